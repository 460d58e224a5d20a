"""Is the event loop held? A watch from outside, as pyleak's is.

A coroutine that calls ``time.sleep`` (or any blocking call) holds the one
thread every task of its loop runs on: nothing else moves until it returns.
The watch, a thread of the check's own, asks the loop to run a tiny callback
every ``every`` seconds; when the callback has not run within ``threshold``
seconds, the loop is held, and the watch reads the loop thread's stack right
then, which names the learner's line that holds it. A hold with no learner's
line on that stack is not theirs: on a busy machine the loop thread can wait
100 ms for a core while it sits in the selector (a right answer failed so in
a fresh-clone CI run), and that is not counted.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from dataclasses import dataclass

from ..threads.census import mark_own
from ..threads.locations import Location, learners_line, stack_of

THRESHOLD = 0.1  # seconds: far above a loop's normal step, far below a learner's wait


@dataclass(frozen=True)
class Block:
    """The loop was held ``seconds`` long, by the learner's code at ``where``."""

    seconds: float
    where: Location

    def describe(self) -> str:
        return (f"the event loop was held {self.seconds:.2f} s (no other task ran meanwhile) "
                f"by {self.where.describe()}")


class BlockWatch:
    """Watch ``loop``, which runs in thread ``loop_thread``, from a thread of its own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, loop_thread: int,
                 threshold: float = THRESHOLD, every: float = 0.02) -> None:
        self.loop, self.loop_thread = loop, loop_thread
        self.threshold, self.every = threshold, every
        self.blocks: list[Block] = []
        self._stop = threading.Event()
        self._thread = mark_own(threading.Thread(target=self._watch, daemon=True,
                                                 name="autograder loop watch"))

    def __enter__(self) -> BlockWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(2 * self.threshold + 1)

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            answered = threading.Event()
            asked = time.monotonic()
            try:
                self.loop.call_soon_threadsafe(answered.set)
            except RuntimeError:  # the loop is closed
                return
            if answered.wait(self.threshold) or not self.loop.is_running():
                continue  # answered, or the loop had stopped (between two runs)
            stack = stack_of(sys._current_frames().get(self.loop_thread))
            while not answered.wait(0.01) and self.loop.is_running() and not self._stop.is_set():
                pass
            where = learners_line(stack)
            if where is not None:  # else the machine held it (load, the collector), not them
                self.blocks.append(Block(time.monotonic() - asked, where))
