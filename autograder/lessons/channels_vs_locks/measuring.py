"""How the benchmarks measure: sizes, repeats, and a measurement's spread.
Timings are compared as ratios within one run: absolute times depend on the
machine, ratios much less."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from ..quick import quick_mode


def tiny_work(index: int) -> int:
    """The one tiny unit of work each worker does in the exercise."""
    return index * index


@dataclass(frozen=True)
class Sizes:
    operations: int  # per repeat, for single-thread operations
    round_trips: int  # per repeat, for ping-pong between two threads
    threads: int  # workers per call, for the "done" signals
    repeats: int


FULL = Sizes(operations=50_000, round_trips=2_000, threads=64, repeats=7)
QUICK = Sizes(operations=2_000, round_trips=100, threads=8, repeats=3)


def default_sizes() -> Sizes:
    return QUICK if quick_mode() else FULL


@dataclass
class Measurement:
    label: str
    seconds_per_op: list[float]  # one per repeat

    @property
    def median(self) -> float:
        return statistics.median(self.seconds_per_op)

    @property
    def low(self) -> float:
        return min(self.seconds_per_op)

    @property
    def high(self) -> float:
        return max(self.seconds_per_op)


def measure(label: str, timed_batch: Callable[[int], float], count: int,
            repeats: int) -> Measurement:
    """Run ``timed_batch(count)`` ``repeats`` times; it returns the seconds it took."""
    timed_batch(max(1, count // 10))  # warm up: first calls fill caches
    return Measurement(label, [timed_batch(count) / count for _ in range(repeats)])
