"""Checks for lesson 01, the leaky consumer (programs A and B of the seed): what
its three exercises share, and consumer_exit (``run_session`` and
``robust_stop`` have modules of their own)."""

from __future__ import annotations

import queue
from typing import Any
from collections.abc import Callable

from ..threads import Baseline, LeakError
from ..threads.census import REAL_FUNCTIONS
from .registry import exercise
from .harness import CheckFailed, Worker, expect, plural

from .limits import EXIT_DEADLINE
real_current_thread = REAL_FUNCTIONS["threading.current_thread"]  # learner code may replace it


def drain(ch: queue.Queue) -> list:
    items = []
    while True:
        try:
            items.append(ch.get_nowait())
        except queue.Empty:
            return items


def start_workers(func: Callable[..., Any], count: int, *args: Any,
                   name: str) -> list[Worker]:
    workers = [Worker(func, *args, name=f"{name} {i + 1}") for i in range(count)]
    for worker in workers:
        worker.start()
    return workers


# --- consumer_exit -------------------------------------------------------------

@exercise("consumer_exit", needs=("consumer",))
def check_consumer_exit(answers: dict[str, Any], hidden: bool) -> str:
    consumer = answers["consumer"]
    cases: list[tuple[list, int]] = [([3, 1, 4, 0], 1), ([7, 0, 8, 9], 1)]
    if hidden:
        cases = [([0], 1), (["a", -2, 2.5, 0], 1), (list(range(1, 40)) + [0, 0, 0], 3)]
    for items, workers in cases:
        _consumer_case(consumer, items, workers)
    return "consumer returns on 0, keeps every item before it, and reads nothing after it."


def _consumer_case(consumer: Callable, items: list, count: int) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in items:
        ch.put(item)
    fed = f"consumer(ch, out) with {items!r} queued" if len(items) < 10 else \
        f"{plural(count, 'consumer')} sharing a queue of {len(items)} items"
    baseline = Baseline()
    workers = start_workers(consumer, count, ch, out, name="consumer")
    try:
        baseline.expect_gone(EXIT_DEADLINE, what=f"the check ({fed})")
    except LeakError as leak:
        raise CheckFailed(f"consumer did not return after it received 0.\n{leak}") from None
    for worker in workers:
        worker.raise_error("consumer(ch, out)")
    stop_at = [i for i, item in enumerate(items) if item == 0][count - 1]
    expected = [item for item in items[:stop_at] if item != 0]
    expect(sorted(out, key=repr) == sorted(expected, key=repr),
           f"After {fed}, out is {out!r}; it should be {expected!r}: "
           "append every item that comes before the 0.")
    left = drain(ch)
    expect(left == items[stop_at + 1:],
           f"After {fed}, the queue still holds {left!r}, but it should hold "
           f"{items[stop_at + 1:]!r}: return as soon as you receive 0, without "
           "reading further.")
