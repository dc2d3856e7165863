"""rl-studio: a terminal studio for GRPO fine-tuning of language models.

The core (config, engine, events, rewards, datasets, export) is UI-free; the Textual app lives in
`rl_studio.screens` and only reads and writes what the core provides.
"""

__version__ = "0.1.0"
