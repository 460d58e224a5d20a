"""Joins in progress, so that a probe's thread can stop lingering early.

The probes keep a thread the learner's code waits for alive a moment after
its work (``LINGER`` in each probe), so that an answer that returns without
waiting is seen, from /proc, returning while the thread runs. A right answer
would wait out every such moment. While a probe calls the answer, this
records each of Python's own ``Thread.join`` calls made by the threads it
watches, with when the join gives up; a lingering thread that such a join
will outlast ends at once: its caller waits for it either way.

The record alone is not trusted: it lives in the learner's process, where
their code can write to it (found by hand: an answer that sleeps instead of
joining, and adds a join that never happened, passed). A linger ends early
only while a watched thread is really inside Python's own ``Thread.join`` on
that very thread, as its stack shows: an answer can only be there by waiting.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..threads.census import real_join


_JOIN_CODE = real_join.__code__


class Joins:
    def __init__(self) -> None:
        self.idents: set[int] = set()  # the threads whose joins count
        self._until: dict[int, list[float]] = {}  # id(thread) -> when each join gives up

    def watch_this_thread(self) -> None:
        self.idents.add(threading.get_ident())

    @contextmanager
    def recorded(self) -> Iterator[None]:
        join = vars(threading.Thread)["join"]

        def recorded_join(thread: threading.Thread, timeout: float | None = None) -> None:
            # Only Python's own join is known to wait: one that the learner's code
            # put in its place runs as it is, and ends no linger.
            if join is not real_join or threading.get_ident() not in self.idents:
                return join(thread, timeout)
            gives_up = time.monotonic() + (math.inf if timeout is None else max(timeout, 0))
            waiting = self._until.setdefault(id(thread), [])
            waiting.append(gives_up)
            try:
                return join(thread, timeout)
            finally:
                waiting.remove(gives_up)

        threading.Thread.join = recorded_join  # type: ignore[method-assign]
        try:
            yield
        finally:
            threading.Thread.join = join  # type: ignore[method-assign]

    def linger(self, thread: threading.Thread, seconds: float) -> None:
        """Sleep ``seconds`` in ``thread``, or less if a recorded join on it
        goes on at least that long and a watched thread is inside it."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0 and not (any(
                gives_up >= end for gives_up in list(self._until.get(id(thread), ())))
                and self._inside_join_on(thread)):
            time.sleep(min(left, 0.005))

    def _inside_join_on(self, thread: threading.Thread) -> bool:
        """Whether a watched thread's stack is in Python's own join, on ``thread``."""
        frames = sys._current_frames()
        for ident in list(self.idents):
            frame = frames.get(ident)
            while frame is not None:
                if frame.f_code is _JOIN_CODE and frame.f_locals.get("self") is thread:
                    return True
                frame = frame.f_back
        return False
