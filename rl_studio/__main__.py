"""`python -m rl_studio` is the `rl-studio` command."""

from rl_studio.cli import main

raise SystemExit(main())
