"""Lesson 05's plumbing: the difference between two Go programs, and the
stopwatch and table that compare the ways of stopping workers. The ways
themselves are written in the notebook, where the learner reads them.

Nothing here implements the lesson's exercises: the rows that need the
learner's ``ClosableQueue`` or ``call_with_timeout`` get them from the
notebook, and say "write ... first" while they raise NotImplementedError.
"""

from __future__ import annotations

import difflib
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..threads import Baseline
from .programs import source_of
from .quick import quick_mode

SETTLE = 0.05  # after starting workers, time for each to block before the stop
JOIN_DEADLINE = 2.0  # a stop that has not ended every worker by then has failed


# --- Go sources --------------------------------------------------------------------------

def source_diff(old: str, new: str) -> str:
    """The lines that differ between two of the course's programs, as a unified
    diff: the lesson's point is that a fix can be one line."""
    return "".join(difflib.unified_diff(
        source_of(old).splitlines(True), source_of(new).splitlines(True),
        fromfile=old, tofile=new, n=1))


# --- sizes ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sizes:
    workers: int  # N, the workers each way starts and stops
    repeats: int  # runs per way; the table shows their median


QUICK = Sizes(workers=4, repeats=3)
FULL = Sizes(workers=16, repeats=7)


def default_sizes() -> Sizes:
    return QUICK if quick_mode() else FULL


# --- ways to stop workers, timed -----------------------------------------------------------

# A way starts n workers and returns them with a function that stops them.
# ``stop()`` returns None, or, for a way whose workers stop at a deadline (a
# timeout), that deadline as a time.monotonic() value: the clock starts there.
Start = Callable[[int], tuple[list[threading.Thread], Callable[[], float | None]]]


@dataclass
class Way:
    """One way of stopping workers, as the table describes it."""

    name: str
    start: Start
    stopper_needs: str  # what the code that says "stop" must hold or know
    worker_must: str  # what each worker must do to be stoppable this way
    answer: str | None = None  # the learner's answer it uses, if any


@dataclass
class Stopped:
    """How long one way took, from "stop" until its last worker was gone."""

    way: Way
    seconds: list[float] = field(default_factory=list)  # one per repeat
    threads_left: int = 0  # threads the way started that outlived the deadline
    missing: str | None = None  # "write ClosableQueue first", if the answer is unwritten

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000


def time_to_stop(start: Start, workers: int) -> tuple[float, int]:
    """Start ``workers`` workers, let them block, stop them, and time until the
    last one has ended. Returns the seconds and the number of threads the run
    left behind (counted by the course's census, so a helper thread the way
    started counts too)."""
    baseline = Baseline()
    threads, stop = start(workers)
    # A random moment: workers that check between units of work are caught
    # anywhere in a unit, not always at the same point of it.
    time.sleep(SETTLE * (1 + random.random()))
    began = time.monotonic()
    stopped_at = stop()
    end = time.monotonic() + JOIN_DEADLINE
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))
    finished = time.monotonic()
    left, _ = baseline.wait_gone(0.2)
    return finished - (began if stopped_at is None else stopped_at), len(left)


def compare_stopping(ways: list[Way], sizes: Sizes | None = None) -> list[Stopped]:
    """Time each way ``sizes.repeats`` times with ``sizes.workers`` workers. A way
    built on an answer that raises NotImplementedError is reported as missing."""
    sizes = sizes or default_sizes()
    rows = []
    for way in ways:
        row = Stopped(way)
        try:
            for _ in range(sizes.repeats):
                seconds, left = time_to_stop(way.start, sizes.workers)
                row.seconds.append(seconds)
                row.threads_left = max(row.threads_left, left)
                if left:
                    break  # it leaks: running it again would leak more
        except NotImplementedError:
            row.missing = f"write {way.answer or 'it'} first"
        rows.append(row)
    return rows


def show_stopping(rows: list[Stopped], workers: int) -> None:
    """The lesson's closing table: what each way needs, and what it cost."""
    print(f"{'way to stop':30} {'the stopper needs':24} {'each worker must':34} "
          f"{f'stop → all {workers} gone':>18} {'threads left':>12}")
    for row in rows:
        way = row.way
        if row.missing or row.threads_left:
            cost = row.missing or f"not all in {JOIN_DEADLINE:g} s"
        else:
            cost = f"{row.median_ms:.1f} ms"
        left = "" if row.missing else str(row.threads_left)
        print(f"{way.name:30} {way.stopper_needs:24} {way.worker_must:34} "
              f"{cost:>18} {left:>12}")
