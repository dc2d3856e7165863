"""The Textual studio: wizard, dashboard, attach, export and the plain-prompt `init`.

Screens only read and write what the core provides (config, run dir, events, control, launch,
probes); they never import torch, trl, transformers, unsloth, peft or vllm, so the first frame
paints while the engine is still importing.
"""
