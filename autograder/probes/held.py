"""Learner threads held until the judge has seen them, one step at a time.

A probe cannot know in advance which threads the learner's code will start
or when it returns; the judge must see each such moment in ``/proc`` while it
lasts. So the thread it happens in stops and announces itself here, and the
probe's generator relays each announcement to the judge as a step: the
thread goes on when the judge resumes the probe (or after ``HOLD`` seconds,
should the judge never look).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..exercises.harness import CheckFailed, Worker
from .registry import error_text

HOLD = 2.0  # a held thread waits at most this long for the judge


class Held:
    def __init__(self) -> None:
        self._waiting: queue.SimpleQueue = queue.SimpleQueue()

    def announce(self, kind: str, data: Any) -> None:
        """From the thread to be seen: say ``{kind: data}``, wait for the judge."""
        seen = threading.Event()
        self._waiting.put((kind, data, seen))
        seen.wait(HOLD)

    def relay(self, caller: threading.Thread) -> Iterator[dict]:
        """Steps for the judge, one per announcement, while ``caller`` runs."""
        while caller.is_alive() or not self._waiting.empty():
            try:
                kind, data, seen = self._waiting.get(timeout=0.005)
            except queue.Empty:
                continue
            yield {kind: data}
            seen.set()


def relayed_call(held: Held, call: Callable[[], dict], *, name: str,
                 join: float) -> Iterator[dict]:
    """Run ``call`` in a thread named ``name``, relaying each moment it
    announces on ``held``; the generator returns what ``call`` returned, or
    ``{"failed": why}`` if it raised (a check's failure in the check's words)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome.update(call())
        except CheckFailed as failure:
            outcome["failed"] = str(failure)[:2000]
        except BaseException as error:  # noqa: BLE001 - reported to the judge
            outcome["failed"] = error_text(error)

    caller = Worker(run, name=name)
    caller.start()
    yield from held.relay(caller)
    caller.join(join)
    return dict(outcome)


def gated(func: Callable, *args: Any, name: str, gate: threading.Event) -> Worker:
    """A worker that runs ``func`` once ``gate`` opens (the judge has seen it)."""
    def run() -> None:
        gate.wait(HOLD)
        func(*args)
    worker = Worker(run, name=name)
    worker.start()
    return worker
