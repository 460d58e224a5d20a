"""Known-good consumers for lesson 01: the seed's consumer, fixed, and the
robust consumer of a stop value.

Each cleans up for a moment after its stop value, as real consumers do, so
an answer that returns without waiting for them is caught every time, not
only when the scheduler happens to be slow.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from ..threads.stand_ins import stand_in

CLEANUP_SECONDS = 0.02


@stand_in(f"cleaning up for {CLEANUP_SECONDS * 1000:g} ms")
def clean_up() -> None:
    time.sleep(CLEANUP_SECONDS)


@stand_in("the check's consumer")
def consumer(ch: queue.Queue, out: list) -> None:
    """The seed's consumer, returning on 0: run_session is graded with it."""
    while True:
        item = ch.get()
        if item == 0:
            clean_up()
            return
        out.append(item)


def robust_consumer(stop: object) -> Callable[[queue.Queue, list], None]:
    """A consumer of ``stop``: stop_consumers is graded with it."""
    @stand_in("the check's robust_consumer")
    def robust_consumer(ch: queue.Queue, out: list) -> None:
        while True:
            item = ch.get()
            if item is stop:
                clean_up()
                return
            out.append(item)
    return robust_consumer
