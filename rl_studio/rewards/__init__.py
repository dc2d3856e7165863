"""Reward functions (UI-free core): built-ins, TRL's own, and user files, all in TRL's convention.

Every function is called with keyword arguments `prompts`, `completions`, `completion_ids`,
`trainer_state` and every dataset column, and returns one float (or None) per completion.
"""

from rl_studio.rewards.builtin import BUILTINS
from rl_studio.rewards.resolve import resolve_rewards

__all__ = ["BUILTINS", "resolve_rewards"]
