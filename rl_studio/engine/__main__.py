"""`python -m rl_studio.engine RUN_DIR [--resume]`: the engine process."""

from rl_studio.engine.run import main

raise SystemExit(main())
