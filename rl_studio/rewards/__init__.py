"""Reward functions (UI-free core): built-ins, TRL's own, and user files, all in TRL's convention.

Every function is called with keyword arguments `prompts`, `completions`, `completion_ids`,
`trainer_state` and every dataset column, and returns one float (or None) per completion.
Import the submodules: `builtin`, `resolve` (checks and loads), `capture` (wrappers), `listing` (ast only).
"""
