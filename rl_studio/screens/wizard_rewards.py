"""Wizard step 4: reward functions (built-ins, functions from .py files), weights, and "try it"."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static, TextArea

from rl_studio.config import RewardSpec
from rl_studio.errors import StudioError
from rl_studio.screens.cells import cells
from rl_studio.screens.dialogs import TextPrompt
from rl_studio.screens.thread_calls import ui_call
from rl_studio.screens.wizard_step import StepScreen

BUILTINS = {
    "correctness": "numeric answer matches the answer column (\\boxed{}, Answer:, ####)",
    "think_format": "completion has <think>…</think> then an answer",
    "boxed_format": "completion gives its answer in \\boxed{}",
    "overlong": "soft penalty as completions near max_completion_length",
}
TRY_EXAMPLE = "<think>2 + 3 = 5</think>\nThe answer is \\boxed{5}.\n---\nI think it is 7."


@dataclass
class Candidate:
    spec: RewardSpec
    on: bool
    about: str


def split_completions(text: str) -> list[str]:
    """Completions typed one after another, separated by lines holding only ---."""
    parts, current = [], []
    for line in text.splitlines():
        if line.strip() == "---":
            parts.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    parts.append("\n".join(current).strip())
    return [p for p in parts if p]


class RewardsStep(StepScreen):
    STEP = 4
    TITLE = "Rewards"
    HINT = "space tick  w weight  a .py  ^t try  ^g sample"
    BINDINGS = [
        Binding("space", "toggle", "On/off", id="rewards.toggle"),
        Binding("w", "weight", "Weight", id="rewards.weight"),
        Binding("a", "add_file", "Add .py", id="rewards.add"),
        Binding("ctrl+t", "try_it", "Try it", id="rewards.try", priority=True),
        Binding("ctrl+g", "sample", "Sample", id="rewards.sample", priority=True),
    ]

    def __init__(self, state) -> None:
        super().__init__(state)
        chosen = {(r.name, r.path): r for r in self.cfg.rewards}
        self.candidates: list[Candidate] = []
        for name, about in BUILTINS.items():
            spec = chosen.pop((name, None), None)
            self.candidates.append(Candidate(spec or RewardSpec(name=name), spec is not None, about))
        for spec in chosen.values():
            self.candidates.append(Candidate(spec, True, spec.path or str(spec.name)))

    def body(self) -> ComposeResult:
        yield Static("Reward functions (the total is the weighted sum)", classes="field-label")
        yield DataTable(cursor_type="row", id="rewards-table")
        yield Static("", id="rewards-error", classes="field-note", markup=False)
        yield Static("Try it: ^t scores these (--- between), ^g samples 4 from the model", classes="field-label")
        yield TextArea(TRY_EXAMPLE, id="try-text", compact=True)
        yield Static("", id="try-result", markup=False)

    def on_mount(self) -> None:
        self.query_one("#try-text", TextArea).styles.height = 5
        table = self.query_one("#rewards-table", DataTable)
        table.add_columns("use", "reward", "weight", "what it scores")
        self.refresh_table()
        table.focus()

    def refresh_table(self) -> None:
        table = self.query_one("#rewards-table", DataTable)
        row = table.cursor_row
        table.clear()
        for c in self.candidates:
            table.add_row(*cells("[x]" if c.on else "[ ]", c.spec.label, f"{c.spec.weight:g}", c.about[:44]))
        table.styles.height = len(self.candidates) + 1
        if self.candidates:
            table.move_cursor(row=min(row, len(self.candidates) - 1))

    def current(self) -> Candidate | None:
        table = self.query_one("#rewards-table", DataTable)
        return self.candidates[table.cursor_row] if self.candidates else None

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        # space, w and a belong to the table; in the try-it box they type
        if action in ("toggle", "weight", "add_file"):
            return not isinstance(self.focused, TextArea)
        return True

    def action_toggle(self) -> None:
        c = self.current()
        if c:
            c.on = not c.on
            self.refresh_table()
            self.errors()

    def action_weight(self) -> None:
        c = self.current()
        if not c:
            return

        def set_weight(value: str | None) -> None:
            if value is None:
                return
            try:
                c.spec.weight = float(value)
            except ValueError:
                self.notify(f"weight must be a number, got {value!r}", severity="error", markup=False)
                return
            self.refresh_table()

        self.app.push_screen(TextPrompt(f"Weight of {c.spec.label}", f"{c.spec.weight:g}"), set_weight)

    def action_add_file(self) -> None:
        self.app.push_screen(TextPrompt("Python file with reward functions (TRL convention)",
                                        placeholder="./my_rewards.py"), self.add_file)

    def add_file(self, path: str | None) -> None:
        if not path:
            return
        file = Path(path).expanduser()
        try:
            names = self.app.services.reward_functions_in(self.cfg.resolve_path(str(file)))
        except (StudioError, OSError, SyntaxError) as e:
            self.notify(f"{path}: {e}", severity="error", markup=False)
            return
        if not names:
            self.notify(f"{path} defines no functions", severity="warning", markup=False)
            return
        have = {c.spec.path for c in self.candidates}
        for name in names:
            spec = RewardSpec(path=f"{path}:{name}")
            if spec.path not in have:
                self.candidates.append(Candidate(spec, True, f"from {path}"))
        self.refresh_table()
        self.notify(f"added {len(names)} function(s) from {path}: {', '.join(names)}", markup=False)

    def chosen(self) -> list[RewardSpec]:
        return [c.spec for c in self.candidates if c.on]

    def errors(self):
        bad = super().errors()
        note = self.query_one("#rewards-error", Static)
        if not self.chosen():
            note.update("✗ tick at least one reward function (space)")
            note.add_class("-error")
            bad.append((self.query_one("#rewards-table"), "tick at least one reward function"))
        else:
            note.update("")
            note.remove_class("-error")
        return bad

    def action_next(self) -> None:
        if not self.chosen():
            self.errors()
            self.notify("Rewards: tick at least one reward function", severity="error", markup=False)
            return
        super().action_next()

    def action_try_it(self) -> None:
        completions = split_completions(self.query_one("#try-text", TextArea).text)
        if not completions or not self.chosen():
            self.notify("type a completion and tick a reward first", severity="warning", markup=False)
            return
        self.apply()
        self.query_one("#try-result", Static).update("scoring…")
        self.query_one("#try-result", Static).add_class("preview")
        self.run_try(copy.deepcopy(self.cfg), completions)

    @work(thread=True, exclusive=True, group="try")
    def run_try(self, cfg, completions: list[str]) -> None:
        try:
            result = self.app.services.try_rewards(cfg, completions)
            text = scores_text(result, completions)
        except (StudioError, ImportError) as e:
            text = f"✗ {e}"
        ui_call(self, lambda: self.query_one("#try-result", Static).update(text))

    def action_sample(self) -> None:
        """Let the model itself write completions for dataset row 0, then score them (a child process)."""
        if not self.chosen():
            self.notify("tick a reward first", severity="warning", markup=False)
            return
        self.apply()
        self.query_one("#try-result", Static).update("loading the model and sampling 4 completions…")
        self.query_one("#try-result", Static).add_class("preview")
        self.run_sample(copy.deepcopy(self.cfg))

    @work(thread=True, exclusive=True, group="try")
    def run_sample(self, cfg) -> None:
        try:
            result = self.app.services.generate_and_score(cfg, n=4)
        except (StudioError, ImportError) as e:
            msg = f"✗ {e}"
            ui_call(self, lambda: self.query_one("#try-result", Static).update(msg))
            return
        completions = result["completions"]

        def show() -> None:
            self.query_one("#try-text", TextArea).text = "\n---\n".join(c.strip() or "(empty)" for c in completions)
            self.query_one("#try-result", Static).update(scores_text(result, completions))

        ui_call(self, show)

    def apply(self) -> None:
        if self.chosen():
            self.cfg.rewards = [copy.copy(s) for s in self.chosen()]


def scores_text(result: dict, completions: list[str]) -> str:
    names = result.get("names", [])
    lines = ["completion                     " + "  ".join(f"{n[:12]:>12}" for n in names)]
    for text, scores in zip(completions, result.get("scores", []), strict=False):
        cells = "  ".join(f"{'n/a' if s is None else f'{s:+.3f}':>12}" for s in scores)
        flat = " ".join(text.split())
        lines.append(f"{flat[:30]:<30} {cells}")
    return "\n".join(lines)
