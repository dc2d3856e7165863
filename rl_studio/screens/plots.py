"""The dashboard's plots: one PlotextPlot per chart, each drawing downsampled series it owns."""

from __future__ import annotations

from dataclasses import dataclass

from textual_plotext import PlotextPlot

from rl_studio.screens.series import SeriesStore

# Distinct marker characters so lines differ by shape, not by colour alone.
MARKERS = ("●", "x", "+", "o", "*", "#", "@", "%")


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    yside: str = "left"


def reward_lines(store: SeriesStore) -> list[Line]:
    return [Line("reward", "total")] + [Line(f"rewards/{n}/mean", n) for n in store.reward_names()]


def std_lines(store: SeriesStore) -> list[Line]:
    return [Line("reward_std", "reward_std"), Line("frac_reward_zero_std", "zero-std frac (right)", "right")]


def length_lines(store: SeriesStore) -> list[Line]:
    return [Line("completions/mean_length", "mean"), Line("completions/clipped_ratio", "clipped (right)", "right")]


def kl_lines(store: SeriesStore) -> list[Line]:
    return [Line("kl", "KL"), Line("entropy", "entropy (right)", "right")]


CHARTS = (
    ("reward", "Reward", reward_lines),
    ("std", "Std", std_lines),
    ("length", "Length", length_lines),
    ("kl", "KL/entropy", kl_lines),
)


class MetricPlot(PlotextPlot):
    """A chart of a few metrics; `draw(store)` redraws it from the shared series."""

    def __init__(self, title: str, lines_of, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chart_title = title
        self.lines_of = lines_of
        self.drawn_key: tuple | None = None

    def draw(self, store: SeriesStore, smooth: bool, force: bool = False) -> bool:  # noqa: C901
        """Redraw when the data, size or smoothing changed; returns whether it drew."""
        width = max(10, self.size.width - 12)
        key = (store.version, width, self.size.height, smooth)
        if key == self.drawn_key and not force:
            return False
        self.drawn_key = key
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        legend = []
        for i, line in enumerate(self.lines_of(store)):
            xs, ys = store.downsample(line.key, width, smooth)
            if ys:
                marker = MARKERS[i % len(MARKERS)]
                plt.plot(xs, ys, marker=marker, yside=line.yside)
                legend.append(f"{marker} {line.label}")
        if legend and len(store):
            plt.xticks(step_ticks(int(store.steps[0]), int(store.steps[-1])))
        # The legend goes in the title: markers tell lines apart without colour and cover no data.
        suffix = " ~smoothed" if smooth else ""
        title = f"{self.chart_title}{suffix}: " + "  ".join(legend) if legend else f"{self.chart_title}: no data yet"
        room = max(8, self.size.width - 4)
        plt.title(title if len(title) <= room else title[: room - 1] + "…")
        self.refresh()
        return True


def step_ticks(first: int, last: int, n: int = 4) -> list[int]:
    """A few whole-step ticks from first to last."""
    if last <= first:
        return [first]
    return sorted({round(first + (last - first) * i / n) for i in range(n + 1)})
