"""Lesson 03's plumbing: the course's own WaitGroup, and the table that
compares the ways of waiting for threads (the ways themselves are in the
notebook, where the learner reads them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from collections.abc import Callable

from ..threads import Baseline

# --- the course's own WaitGroup ----------------------------------------------------------

class WaitGroup:
    """Go's ``sync.WaitGroup``: a counter, and waiters released when it is zero.

    As Go has it: ``wait()`` takes no timeout. Lesson 04, whose kernel has not
    seen the WaitGroup you wrote in lesson 03, and lesson 03's program D use
    it. (Lesson 03 asks for a ``wait(timeout)``, so this one does not answer
    that exercise.)
    """

    def __init__(self) -> None:
        self._count = 0
        self._zero = threading.Condition()

    def add(self, delta: int = 1) -> None:
        with self._zero:
            if self._count + delta < 0:
                raise ValueError("WaitGroup counter cannot go negative")
            self._count += delta
            if self._count == 0:
                self._zero.notify_all()

    def done(self) -> None:
        self.add(-1)

    def wait(self) -> None:
        with self._zero:
            while self._count:
                self._zero.wait()


# --- ways to wait for threads, compared -----------------------------------------------------

@dataclass
class Waited:
    """What one way of waiting told the waiter about its workers."""

    mechanism: str
    all_finished: bool  # the waiter learned, within the timeout, that every worker finished
    error_seen: str | None  # a worker's exception, as the waiter got it
    threads_left: int  # worker threads still running after the wait (given 0.2 s to end)


def compare_waiting(ways: dict[str, Callable[[int, bool, float], tuple[bool, str | None]]],
                    tidy_up: Callable[[], None] = lambda: None, workers: int = 4,
                    failing: bool = False, timeout: float = 0.5,
                    grace: float = 0.2) -> list[Waited]:
    """Run each way of waiting, ``way(workers, failing, timeout)``, and count the
    worker threads it left running (given ``grace`` s to end); ``tidy_up()`` after
    each count. A failing worker's traceback is kept from the screen
    (threading.excepthook) so the table says it all."""
    rows = []
    with _quiet_thread_errors():
        for name, wait_for in ways.items():
            baseline = Baseline()
            all_finished, error = wait_for(workers, failing, timeout)
            left, _ = baseline.wait_gone(grace)
            rows.append(Waited(name, all_finished, error, len(left)))
            tidy_up()
    return rows


class _quiet_thread_errors:
    """Swallow the tracebacks of this demo's own failing workers, nothing else."""

    def __enter__(self) -> None:
        self.original = threading.excepthook

        def hook(args: threading.ExceptHookArgs) -> None:
            if not (isinstance(args.exc_value, RuntimeError)
                    and str(args.exc_value) == "worker 0 failed"):
                self.original(args)
        threading.excepthook = hook

    def __exit__(self, *exc: object) -> None:
        threading.excepthook = self.original


def show_waiting(rows: list[Waited]) -> None:
    print(f"{'mechanism':39} {'all finished?':14} {'error seen by the waiter':32} "
          "threads left")
    for row in rows:
        print(f"{row.mechanism:39} {str(row.all_finished):14} {str(row.error_seen):32} "
              f"{row.threads_left}")
