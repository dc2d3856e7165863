"""`rl-studio init`: the plain-prompt path writes the same TOML, and Ctrl-C leaves no file."""

from __future__ import annotations

from collections import deque

from rl_studio.config import load
from rl_studio.screens.init_prompt import run


class Question:
    def __init__(self, answer):
        self.answer = answer

    def ask(self):
        return self.answer


class ScriptedAsk:
    """Stands in for questionary: each prompt takes the next scripted answer ('DEFAULT' takes its default)."""

    def __init__(self, answers):
        self.answers = deque(answers)
        self.asked: list[str] = []

    def _next(self, message, default=None, choices=None):
        self.asked.append(message)
        if not self.answers:
            return Question(None)  # what questionary returns on Ctrl-C
        a = self.answers.popleft()
        if a == "DEFAULT":
            if choices is not None and default is None:
                return Question([c.title for c in choices if c.checked])
            return Question(default)
        return Question(a)

    def text(self, message, default="", validate=None):
        q = self._next(message, default)
        if validate is not None and q.answer is not None:
            assert validate(q.answer) is True, f"{message} rejected {q.answer!r}"
        return q

    def select(self, message, choices, default=None):
        return self._next(message, default)

    def confirm(self, message, default=False):
        return self._next(message, default)

    def checkbox(self, message, choices, validate=None):
        return self._next(message, None, choices)

    class Choice:
        def __init__(self, title, checked=False, description=None):
            self.title, self.checked = title, checked


ANSWERS = (["DEFAULT"] * 5  # model, engine, seq len, 4bit, fast
           + ["DEFAULT", "32", "64", "DEFAULT", "DEFAULT"]  # lora on, rank, alpha, dropout, modules
           + ["DEFAULT", "DEFAULT", "DEFAULT", "answer", "Think first."]  # dataset
           + [["correctness", "boxed_format"], "rw.py:fmt", ""]  # rewards
           + ["1.0", "0.5", "0.25"]  # weights
           + ["GSPO", "4", "128", "1e-5", "0.8", "50"]  # preset, knobs (GSPO sets beta)
           + ["arith"])


def test_init_writes_a_config_that_loads(tmp_path):
    path = tmp_path / "run.toml"
    ask = ScriptedAsk(ANSWERS)
    assert run(path, ask=ask) == 0
    cfg = load(path)
    assert cfg.lora.r == 32 and cfg.lora.alpha == 64
    assert [(r.name or r.path, r.weight) for r in cfg.rewards] == [
        ("correctness", 1.0), ("boxed_format", 0.5), ("rw.py:fmt", 0.25)]
    assert cfg.grpo["importance_sampling_level"] == "sequence" and cfg.grpo["beta"] == 0.0
    assert cfg.grpo["num_generations"] == 4 and cfg.grpo["learning_rate"] == 1e-5
    assert cfg.dataset.system_prompt == "Think first." and cfg.run.name == "arith"
    assert not ask.answers


def test_ctrl_c_midway_leaves_no_file(tmp_path, capsys):
    path = tmp_path / "run.toml"
    assert run(path, ask=ScriptedAsk(ANSWERS[:12])) == 1
    assert not path.exists() and list(tmp_path.iterdir()) == []
    assert "no file written" in capsys.readouterr().err


def test_existing_file_is_kept_unless_confirmed(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("keep me")
    assert run(path, ask=ScriptedAsk([False])) == 1
    assert path.read_text() == "keep me"
