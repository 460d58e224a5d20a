"""Lesson 04's demonstrations and benchmarks: is a channel cheaper than a lock?

The seed claims that Go's channels are built on mutexes, so a channel is not
cheaper than a mutex or a WaitGroup. Here the Python side of that claim is
read from the standard library's own source (``source_reading``) and measured
(``measuring``, ``primitives``, ``done_signals``), then shown (``reporting``).
Every function returns what it observed, so the notebook can show it and the
tests can pin it. The notebook uses it as ``lesson``.
"""

from ..waitgroup import WaitGroup  # the course's own; the notebook imports it from here
from .done_signals import (POOL_SIGNALS, Signal, done_via_executor, time_done_signals,
                           time_pool_signals, timed_pool_signal)
from .measuring import (FULL, QUICK, Measurement, Sizes, default_sizes, measure, quick_mode,
                        tiny_work)
from .primitives import (PING_PONG, UNCONTENDED, PingPong, gil_enabled, time_ping_pong,
                         time_uncontended, time_wake_ups, timed_ping_pong, timed_wake_ups)
from .reporting import (benchmark_panel, plot_groups, print_ratios, ratio_lines, ratios,
                        run_benchmarks, spread)
from .source_reading import (BUILDING_BLOCKS, SourceLine, building_blocks, join_waits_on,
                             mechanisms_and_blocks, show_building_blocks, written_in_c)

__all__ = [
    "BUILDING_BLOCKS", "FULL", "PING_PONG", "POOL_SIGNALS", "QUICK", "UNCONTENDED",
    "Measurement", "PingPong", "Signal", "Sizes", "SourceLine", "WaitGroup",
    "benchmark_panel", "building_blocks", "default_sizes", "done_via_executor",
    "gil_enabled", "join_waits_on", "measure", "mechanisms_and_blocks", "plot_groups",
    "print_ratios", "quick_mode", "ratio_lines", "ratios", "run_benchmarks",
    "show_building_blocks", "spread", "time_done_signals", "time_ping_pong",
    "time_pool_signals", "time_uncontended", "time_wake_ups", "timed_ping_pong",
    "timed_pool_signal", "timed_wake_ups", "tiny_work", "written_in_c",
]
