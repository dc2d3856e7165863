"""Pilot tests of the wizard: every step by key, inline validation, presets, all settings, save and start."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Static

from rl_studio.config import load
from rl_studio.screens.all_settings import AllSettingsScreen
from rl_studio.screens.dashboard import DashboardScreen
from rl_studio.screens.wizard import first_step
from rl_studio.screens.wizard_dataset import DatasetStep
from rl_studio.screens.wizard_fields import Field
from rl_studio.screens.wizard_lora import LoraStep
from rl_studio.screens.wizard_model import ModelStep
from rl_studio.screens.wizard_review import ReviewStep
from rl_studio.screens.wizard_rewards import RewardsStep, split_completions
from rl_studio.screens.wizard_training import TrainingStep
from tests.ui.fakes import FakeServices
from tests.ui.helpers import app_on, wait_for


def wizard(tmp_path: Path, services=None):
    return app_on(lambda: first_step(tmp_path / "runs"), services=services or FakeServices(tmp_path / "runs" / "x"))


async def set_input(pilot, selector: str, value: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.value = value
    await pilot.pause()


def note(screen, selector: str) -> str:
    field = screen.query_one(selector).query_ancestor(Field)
    return str(field.query_one(".field-note", Static).render())


async def test_bad_value_is_marked_with_its_reason_and_blocks_next(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, ModelStep)
        await set_input(pilot, "#max-seq", "lots")
        assert note(app.screen, "#max-seq") == "✗ must be a whole number ≥ 16"
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ModelStep)
        await set_input(pilot, "#max-seq", "2048")
        assert "✗" not in note(app.screen, "#max-seq")
        await set_input(pilot, "#model-name", "./no/such/model")
        assert "no such file or folder" in note(app.screen, "#model-name")
        await set_input(pilot, "#model-name", "Qwen/Qwen2.5-0.5B-Instruct")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, LoraStep)
        assert app.screen.cfg.model.max_seq_length == 2048
        assert app.screen.cfg.model.name == "Qwen/Qwen2.5-0.5B-Instruct"


async def test_model_list_fills_the_name_and_estimate_shows(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "135M parameters" in str(app.screen.query_one("#model-estimate").render()))
        est = str(app.screen.query_one("#model-estimate").render())
        assert "needs about 1.9 GiB" in est and "no NVIDIA GPU" in est
        opts = app.screen.query_one("#model-list")
        await wait_for(pilot, lambda: opts.option_count == 2)
        opts.focus()
        await pilot.press("down", "enter")
        assert app.screen.query_one("#model-name", Input).value == "Qwen/Qwen2.5-0.5B-Instruct"


async def test_whole_wizard_by_keys_saves_the_toml_and_starts_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    services = FakeServices(tmp_path / "runs" / "x")
    (tmp_path / "runs" / "x").mkdir(parents=True)
    app = wizard(tmp_path, services)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, LoraStep)
        app.screen.query_one("#rank").focus()
        await pilot.press("down", "down", "enter")  # rank 32
        await pilot.pause()
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DatasetStep)
        assert app.screen.cfg.lora.r == 32
        await wait_for(pilot, lambda: "17 tokens" in str(app.screen.query_one("#ds-preview").render()))
        await set_input(pilot, "#ds-prompt", "prompt")
        await pilot.press("ctrl+n")  # "prompt" is not a column of the preview
        assert isinstance(app.screen, DatasetStep)
        assert "no column 'prompt'; columns: question, answer" in note(app.screen, "#ds-prompt")
        await set_input(pilot, "#ds-prompt", "question")
        await set_input(pilot, "#ds-answer", "answer")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, RewardsStep)
        app.screen.query_one("#rewards-table").focus()
        await pilot.press("down", "space")  # tick think_format
        await pilot.press("w")
        await pilot.press(*"0.5", "enter")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "+1.000" in str(app.screen.query_one("#try-result").render()))
        assert services.calls[-1][0] == "try_rewards" and len(services.calls[-1][1]) == 2
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, TrainingStep)
        assert [(r.name, r.weight) for r in app.screen.cfg.rewards] == [("correctness", 1.0), ("think_format", 0.5)]
        app.screen.query_one("#preset").focus()
        await pilot.press("down", "down", "enter")  # DAPO
        await set_input(pilot, "#knob-max_steps", "0")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, TrainingStep)  # max_steps must be ≥ 1
        await set_input(pilot, "#knob-max_steps", "30")
        await set_input(pilot, "#run-name", "arith-dapo")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ReviewStep)
        toml = app.screen.query_one("#review-toml").text
        assert 'loss_type = "dapo"' in toml and "max_steps = 30" in toml and "r = 32" in toml
        await pilot.press("ctrl+s")
        saved = load(tmp_path / "arith-dapo.toml")
        assert saved.grpo["loss_type"] == "dapo" and saved.grpo["epsilon_high"] == 0.28
        assert saved.dataset.answer_column == "answer" and saved.lora.r == 32
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert services.calls[-1][0] == "start_run" and 'name = "arith-dapo"' in services.calls[-1][1]


async def test_start_failure_is_shown_and_stays_on_review(tmp_path):
    services = FakeServices()
    services.fail_start = "runs/run holds another run; choose another run.name"
    app = wizard(tmp_path, services)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await pilot.press("ctrl+n")
        assert isinstance(app.screen, ReviewStep)
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ReviewStep)
        assert "holds another run" in str(app.screen.query_one("#review-check").render())


async def test_back_keeps_values_and_escape_on_first_step_asks(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await set_input(pilot, "#max-seq", "512")
        await pilot.press("ctrl+n")
        await pilot.press("escape")
        assert isinstance(app.screen, ModelStep)
        assert app.screen.query_one("#max-seq", Input).value == "512"
        app.screen.query_one("#max-seq", Input).blur()
        await pilot.press("escape")
        await pilot.pause()
        assert "Leave the wizard" in str(app.screen.query_one(".heading").render())
        await pilot.press("y")
        await pilot.pause()
    assert not app.is_running


async def test_all_settings_lists_grpo_fields_and_edits_one(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(4):
            await pilot.press("ctrl+n")
        assert isinstance(app.screen, TrainingStep)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, AllSettingsScreen)
        table = app.screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 5)
        await pilot.press("slash", *"top", "enter")
        assert table.row_count == 1
        await pilot.press("enter")
        await pilot.press("ctrl+a", "ctrl+k", *"0.9", "enter")
        assert app.screen.cfg.grpo["top_p"] == 0.9
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TrainingStep) and app.screen.cfg.grpo["top_p"] == 0.9


async def test_reward_file_functions_are_added(tmp_path):
    services = FakeServices()
    app = wizard(tmp_path, services)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            await pilot.press("ctrl+n")
        assert isinstance(app.screen, RewardsStep)
        app.screen.query_one("#rewards-table").focus()
        await pilot.press("a", *"my_rewards.py", "enter")
        await pilot.pause()
        labels = [c.spec.label for c in app.screen.candidates if c.on]
        assert labels == ["correctness", "format_reward", "length_reward"]
        assert app.screen.candidates[-1].spec.path == "my_rewards.py:length_reward"


def test_try_it_splits_completions_on_dashes():
    assert split_completions("a\n---\nb\nc\n---\n") == ["a", "b\nc"]


async def test_help_shows_for_the_field_being_edited_only(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        def shown(selector: str) -> bool:
            return app.screen.query_one(selector).query_ancestor(Field).query_one(".field-note").display

        app.screen.query_one("#max-seq").focus()
        await pilot.pause()
        assert shown("#max-seq") and not shown("#model-name")
        app.screen.query_one("#model-name").focus()
        await pilot.pause()
        assert shown("#model-name") and not shown("#max-seq")
        await set_input(pilot, "#max-seq", "x")
        app.screen.query_one("#model-name").focus()
        await pilot.pause()
        assert shown("#max-seq"), "a reason for a bad value stays in view"


async def test_empty_max_samples_means_all_rows(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")
        assert isinstance(app.screen, DatasetStep)
        await set_input(pilot, "#ds-max", "")
        assert "✗" not in note(app.screen, "#ds-max")
        await set_input(pilot, "#ds-max", "0")
        assert note(app.screen, "#ds-max") == "✗ must be a whole number ≥ 1"
        await set_input(pilot, "#ds-max", "")
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, RewardsStep) and app.screen.cfg.dataset.max_samples is None


async def test_review_runs_the_train_checks_and_blocks_a_start_that_would_fail(tmp_path):
    services = FakeServices(tmp_path / "runs" / "x")
    app = wizard(tmp_path, services)
    async with app.run_test(size=(80, 24)) as pilot:
        engine = app.screen.query_one("#engine")
        engine.value = "unsloth"
        await pilot.pause()
        for _ in range(5):
            await pilot.press("ctrl+n")
        assert isinstance(app.screen, ReviewStep)
        await wait_for(pilot, lambda: "✗ engine unsloth needs an NVIDIA GPU" in
                       str(app.screen.query_one("#review-preflight").render()))
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, ReviewStep)
        assert not [c for c in services.calls if c[0] == "start_run"]


async def test_lora_custom_rank_and_modules(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, LoraStep)
        custom = app.screen.query_one("#rank-custom", Input)
        assert custom.disabled  # rank 16 is a preset
        app.screen.query_one("#rank").focus()
        for _ in range(5):
            await pilot.press("down")
        await pilot.press("enter")  # custom
        await pilot.pause()
        assert not custom.disabled
        await set_input(pilot, "#rank-custom", "0")
        assert note(app.screen, "#rank-custom") == "✗ must be a whole number ≥ 1"
        await set_input(pilot, "#rank-custom", "24")
        for m in ("gate_proj", "up_proj", "down_proj"):
            app.screen.query_one(f"#mod-{m}").value = False
        await pilot.pause(0.9)
        await wait_for(pilot, lambda: "trainable parameters: 7,326,720" in
                       str(app.screen.query_one("#lora-estimate").render()))
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, DatasetStep)
        assert app.screen.cfg.lora.r == 24
        assert app.screen.cfg.lora.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]


async def test_no_target_module_blocks_next(tmp_path):
    app = wizard(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        for box in app.screen.query("#modules TickBox"):
            box.value = False
        await pilot.pause()
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, LoraStep)


async def test_dataset_kind_switch_and_a_preview_error(tmp_path):
    services = FakeServices()
    app = wizard(tmp_path, services)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")
        assert isinstance(app.screen, DatasetStep)
        app.screen.query_one("#ds-kind").value = "hub"
        await pilot.pause()
        assert app.screen.query_one("#ds-source", Input).value == ""
        await set_input(pilot, "#ds-source", "missing/dataset")
        await wait_for(pilot, lambda: "✗ dataset missing/dataset not found" in
                       str(app.screen.query_one("#ds-preview").render()))
        app.screen.query_one("#ds-kind").value = "local"
        await pilot.pause()
        await set_input(pilot, "#ds-source", "./nowhere.jsonl")
        assert "no such file: ./nowhere.jsonl" in note(app.screen, "#ds-source")


async def test_sample_from_the_model_fills_the_try_box_and_scores(tmp_path):
    services = FakeServices(tmp_path / "runs" / "x")
    app = app_on(lambda: RewardsStep(first_step(tmp_path / "runs").state), services=services)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: "completion" in str(app.screen.query_one("#try-result").render()))
        assert ("generate_and_score", 4) in services.calls
        text = app.screen.query_one("#try-text").text
        assert split_completions(text) == [f"The answer is \\boxed{{{5 + i}}}" for i in range(4)]
        result = str(app.screen.query_one("#try-result").render())
        assert result.count("+1.000") == 1  # the fake scores only the completion holding a 5
