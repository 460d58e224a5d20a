"""The benchmarks' results as ratios, plots, and a panel that runs them again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import live_demos_enabled
from .done_signals import time_done_signals, time_pool_signals
from .measuring import Measurement, Sizes, default_sizes
from .primitives import time_ping_pong, time_uncontended

def ratios(measurements: list[Measurement]) -> dict[str, float]:
    """Each median as a multiple of the first one's: the numbers that travel."""
    base = measurements[0].median
    return {m.label: m.median / base for m in measurements}


def spread(measurements: list[Measurement]) -> float:
    """The slowest median as a multiple of the fastest."""
    medians = [m.median for m in measurements]
    return max(medians) / min(medians)


def ratio_lines(measurements: list[Measurement]) -> list[str]:
    base = measurements[0].label
    width = max(len(m.label) for m in measurements)
    return [f"{label:>{width}}: {ratio:7.1f} × {base}"
            for label, ratio in ratios(measurements).items()]


def print_ratios(measurements: list[Measurement]) -> None:
    print("\n".join(ratio_lines(measurements)))


def plot_groups(groups: dict[str, list[Measurement]]):
    """One panel per group: a dot per repeat, the median as a diamond, min-max
    whiskers, on a log scale (bar lengths would mean nothing there)."""
    import matplotlib.pyplot as plt

    rows_in_all = sum(len(g) for g in groups.values())
    figure, axes = plt.subplots(len(groups), 1, squeeze=False,
                                figsize=(8, 0.5 + 0.4 * rows_in_all + 0.8 * len(groups)))
    for ax, (title, measurements) in zip(axes[:, 0], groups.items()):
        rows = list(range(len(measurements)))
        medians = [m.median for m in measurements]
        ax.errorbar(medians, rows, fmt="D", color="tab:blue", capsize=4,
                    xerr=[[m.median - m.low for m in measurements],
                          [m.high - m.median for m in measurements]])
        for row, m in zip(rows, measurements):
            ax.plot(m.seconds_per_op, [row] * len(m.seconds_per_op), "o", color="tab:gray",
                    alpha=0.6, markersize=3)
        for row, (m, ratio) in enumerate(zip(measurements, ratios(measurements).values())):
            ax.annotate(f"×{ratio:.1f}", (m.high, row), xytext=(8, -3),
                        textcoords="offset points", fontsize=8)
        ax.set_yticks(rows, [m.label for m in measurements])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xscale("log")
        ax.grid(axis="x", which="both", alpha=0.3)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("seconds per operation (log scale; × = multiple of the first row)",
                      fontsize=8)
        ax.margins(x=0.3)
    figure.tight_layout()
    return figure


def run_benchmarks(sizes: Sizes, done_mechanisms: dict[str, Callable[[int], list[int]]]
                   ) -> dict[str, list[Measurement]]:
    return {
        "one thread, uncontended: one operation": time_uncontended(sizes),
        "two threads, ping-pong: one round trip": time_ping_pong(sizes),
        f"{sizes.threads} workers: start them and learn they are done (per worker)":
            time_done_signals(done_mechanisms, sizes),
        f"a pool of {sizes.threads} long-lived workers: learn a task is done (per task)":
            time_pool_signals(sizes),
    }


def benchmark_panel(done_mechanisms: dict[str, Callable[[int], list[int]]]):
    """Sliders for the benchmarks' size and a button that runs them all again.

    Returns None while nbgrader runs the notebook: nobody is there to click.
    """
    if not live_demos_enabled():
        print("(The benchmark controls only appear when you run the notebook yourself.)")
        return None
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    start = default_sizes()
    operations = widgets.SelectionSlider(
        options=[1_000, 3_000, 10_000, 30_000, 100_000, 300_000],
        value=min([1_000, 3_000, 10_000, 30_000, 100_000, 300_000],
                  key=lambda v: abs(v - start.operations)),
        description="operations", continuous_update=False)
    threads = widgets.SelectionSlider(options=[2, 4, 8, 16, 32, 64, 128, 256],
                                      value=start.threads, description="workers",
                                      continuous_update=False)
    repeats = widgets.IntSlider(value=start.repeats, min=2, max=15, description="repeats",
                                continuous_update=False)
    run = widgets.Button(description="Run the benchmarks", icon="play")
    output = widgets.Output()

    def on_run(_: Any) -> None:
        run.disabled = True
        output.clear_output()
        sizes = Sizes(operations.value, max(10, operations.value // 25), threads.value,
                      repeats.value)
        with output:
            print(f"running: {sizes} ...")
            try:
                groups = run_benchmarks(sizes, done_mechanisms)
                for title, measurements in groups.items():
                    print(f"\n{title}")
                    print_ratios(measurements)
                plot_groups(groups)
                plt.show()
            finally:
                run.disabled = False
    run.on_click(on_run)
    return widgets.VBox([widgets.HTML("<b>Benchmark size</b> (larger is steadier, and slower)"),
                         operations, threads, repeats, run, output])
