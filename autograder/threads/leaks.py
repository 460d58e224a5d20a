"""Did a piece of code leave threads behind? Like Go's goleak, for Python.

    baseline = Baseline()
    ... start and stop threads ...
    baseline.expect_gone(deadline=1.0)   # raises LeakError naming each leaked thread

Only threads that appeared after the baseline count. Waiting uses exponential
backoff from 1 ms, and joins a surviving thread for each pause instead of
sleeping, so a correct answer passes the moment its last thread ends.
"""

from __future__ import annotations

import time

from . import census as census_mod
from .census import Census, LiveThread, is_own, real_join
from .report import describe_threads

FIRST_PAUSE = 0.001
MAX_PAUSE = 0.05


class LeakError(AssertionError):
    """Threads outlived their deadline. ``leaked`` lists them."""

    def __init__(self, message: str, leaked: list[LiveThread], tampering: list[str]):
        super().__init__(message)
        self.leaked = leaked
        self.tampering = tampering


class Baseline:
    """The threads alive now; later censuses count only what came after."""

    def __init__(self) -> None:
        self.census = census_mod.take()
        self.tampering_before = frozenset(self.census.tampering)

    def earlier_threads(self) -> list[LiveThread]:
        """Threads left running by earlier cells: named in reports, never counted.

        Those with a recorded origin were started after the checks were
        imported, which leaves out the kernel's own threads.
        """
        return [t for t in self.census.threads.values()
                if t.origin is not None and not is_own(t.thread)]

    def new_threads(self, current: Census | None = None) -> tuple[list[LiveThread], Census]:
        if current is None:
            # Only threads that appeared since the baseline are worth a heap scan.
            current = census_mod.take()
            fresh = current.keys - self.census.keys
            unknown = frozenset(k for k in fresh if current.threads[k].thread is None)
            if unknown:
                current = census_mod.take(scan_heap_for=unknown)
        fresh = [
            live for key, live in current.threads.items()
            if key not in self.census.threads and not is_own(live.thread)
        ]
        return fresh, current

    def wait_gone(self, deadline: float) -> tuple[list[LiveThread], Census]:
        """Wait up to ``deadline`` seconds for every new thread to end."""
        end = time.monotonic() + deadline
        pause = FIRST_PAUSE
        while True:
            fresh, current = self.new_threads()
            left = end - time.monotonic()
            if not fresh or left <= 0:
                return fresh, current
            waitable = next((t.thread for t in fresh if t.thread is not None
                             and not t.finished), None)
            if waitable is not None:
                real_join(waitable, min(pause, left))  # wakes the moment it ends
            else:
                time.sleep(min(pause, left))
            pause = min(pause * 2, MAX_PAUSE)

    def expect_gone(self, deadline: float = 1.0, what: str = "the code under test") -> None:
        """Raise LeakError unless every new thread ends within ``deadline`` s."""
        __tracebackhide__ = True
        leaked, current = self.wait_gone(deadline)
        tampering = self.tampering_since(current)
        if leaked or tampering:
            raise LeakError(leak_message(leaked, current, tampering, what, deadline),
                            leaked, tampering)

    def tampering_since(self, current: Census) -> list[str]:
        """Tampering that happened after the baseline: the code under test did it.

        Earlier tampering does not fail a later check (the census never trusts
        the threading module's counts), so one cheat costs one exercise.
        """
        return [t for t in current.tampering if t not in self.tampering_before]


def leak_message(leaked: list[LiveThread], current: Census, tampering: list[str],
                 what: str, deadline: float) -> str:
    parts = []
    if leaked:
        count = f"{len(leaked)} thread{'s' if len(leaked) != 1 else ''}"
        parts.append(f"{count} started by {what} {'were' if len(leaked) != 1 else 'was'} "
                     f"still running {deadline:g} s later:\n{describe_threads(leaked)}")
    parts += census_notes(current, tampering)
    return "\n".join(parts)


def census_notes(current: Census, tampering: list[str]) -> list[str]:
    """What a report must add about tampering and about what could not be checked."""
    notes = []
    if tampering:
        notes.append("The thread bookkeeping was tampered with (the checks count "
                     "threads from the operating system, so this hides nothing):\n"
                     + "\n".join(f"  - {t}" for t in tampering))
    if not current.os_checked:
        notes.append("(No /proc here: threads were counted from the threading module "
                     "alone, without the operating system's cross-check.)")
    return notes
