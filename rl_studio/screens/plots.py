"""The dashboard's plots: one PlotextPlot per chart, each owning its plot; built off the UI thread.

Building a plotext chart and turning its ANSI text into styled lines costs tens of milliseconds per
chart, so `build()` runs in the dashboard's plot worker thread, down to the finished Strips, and
`render_line()` only hands them over (Textual's line API). Keys stay responsive while plots redraw.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
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


@dataclass
class PlotData:
    """What one chart draws: taken from the series under the model lock, drawn without it."""

    lines: list[tuple[list[float], list[float], str, str]]
    title: str
    ticks: list[int]


def step_ticks(first: int, last: int, n: int = 4) -> list[int]:
    """A few whole-step ticks from first to last."""
    if last <= first:
        return [first]
    return sorted({round(first + (last - first) * i / n) for i in range(n + 1)})


class MetricPlot(PlotextPlot):
    """A chart of a few metrics. `collect` reads the series, `build` draws (any thread), `render` shows."""

    def __init__(self, title: str, lines_of, **kwargs) -> None:
        super().__init__(**kwargs)
        self.chart_title = title
        self.lines_of = lines_of
        self.drawn_key: tuple | None = None
        self.strips: list[Strip] | None = None
        self.build_lock = threading.Lock()
        self.console = Console(width=80, color_system="truecolor", legacy_windows=False, force_terminal=True)

    def wanted_key(self, store: SeriesStore, smooth: bool) -> tuple:
        return (store.version, self.size.width, self.size.height, smooth)

    def collect(self, store: SeriesStore, smooth: bool) -> PlotData:
        """The downsampled lines, legend title and step ticks (call under the model lock)."""
        width = max(10, self.size.width - 12)
        lines, legend = [], []
        for i, line in enumerate(self.lines_of(store)):
            xs, ys = store.downsample(line.key, width, smooth)
            if ys:
                marker = MARKERS[i % len(MARKERS)]
                lines.append((xs, ys, marker, line.yside))
                legend.append(f"{marker} {line.label[:24]}")
        ticks = step_ticks(int(store.steps[0]), int(store.steps[-1])) if lines and len(store) else []
        # The legend goes in the title: markers tell lines apart without colour and cover no data.
        suffix = " ~smoothed" if smooth else ""
        room = max(8, self.size.width - 1)  # the title is our own line, the whole widget wide
        title = f"{self.chart_title}{suffix}: " + "  ".join(legend) if legend else f"{self.chart_title}: no data yet"
        if len(title) > room:
            title = title.replace(" (right)", " (R)")
        return PlotData(lines, title if len(title) <= room else title[: room - 1] + "…", ticks)

    def build(self, data: PlotData, width: int, height: int, theme: str) -> list[Strip]:
        """Draw with plotext, down to styled lines; safe off the UI thread (plot and console are this widget's)."""
        with self.build_lock:
            plt = self.plt
            plt.clear_data()
            plt.clear_figure()
            for xs, ys, marker, yside in data.lines:
                plt.plot(xs, ys, marker=marker, yside=yside)
            if data.ticks:
                plt.xticks(data.ticks)
            # The title and legend are our own first line: plotext would drop one wider than its canvas.
            rows = max(1, height - 1)
            plt.plotsize(width, rows)
            plt._set_size(width, rows)
            plt.theme(theme)
            text = Text.from_ansi(plt.build(), no_wrap=True, end="")
            options = self.console.options.update(width=width, height=rows, no_wrap=True, overflow="crop")
            lines = self.console.render_lines(text, options, pad=True)
            look = next((seg.style for line in lines[:1] for seg in line if seg.style and seg.style.bgcolor), None)
            style = Style(bold=True, bgcolor=look.bgcolor if look else None, color=look.color if look else None)
            head = Text(data.title.center(width), style=style, no_wrap=True, end="")
            title = self.console.render_lines(head, options.update(height=1), pad=True)[0]
            return [Strip(title, width)] + [Strip(line, width) for line in lines]

    def theme_name(self) -> str:
        return self._get_plotext_theme_name(self.app.theme)

    def show(self, strips: list[Strip], key: tuple) -> None:
        self.strips = strips
        self.drawn_key = key
        self.refresh()

    def draw(self, store: SeriesStore, smooth: bool, force: bool = False) -> bool:
        """Redraw now on this thread (tests and the benchmark); returns whether it drew."""
        key = self.wanted_key(store, smooth)
        if key == self.drawn_key and not force:
            return False
        data = self.collect(store, smooth)
        self.show(self.build(data, self.size.width, self.size.height, self.theme_name()), key)
        return True

    def render_line(self, y: int) -> Strip:
        if self.strips is None:
            if y:
                return Strip.blank(self.size.width)
            return Strip(list(Text(f"{self.chart_title}: drawing…", end="").render(self.console)))
        if y < len(self.strips):
            return self.strips[y].crop_extend(0, self.size.width, None)
        return Strip.blank(self.size.width)
