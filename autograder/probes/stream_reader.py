"""Lesson 06's probe: run the learner's read_then_stop against a server the
judge plays, and report as data only what the judge cannot see.

The learner's coroutine connects to ``host, port`` in this process's own
network namespace, where the judge cannot listen. So the probe makes the
listening socket here and hands it to the judge (``"handing"``), keeping no
copy: the judge accepts the learner's connection on it, sends the greeting,
sees the end-of-stream or reset arrive, and reads in ``/proc`` whether the
learner's socket is still open and how often the loop's thread woke up. The
loop is held at the moment the coroutine returns (``held``) for the judge to
look. What only this process holds comes back as plain data: the value
returned, the loop's thread, and what the task census found.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

from ..exercises.stream_reader import call_text, run_call
from ..sockets.peer import LOOPBACK
from .held import Held, relayed_call
from .registry import native_id, plain, probe



@probe("stream_reader")
def stream_reader_case(namespace: dict, linger: float) -> Iterator[dict]:
    """Steps: ``listening`` (the listener handed over), ``returned`` (the loop
    held at the return, by its thread), then the result: the value, or why
    the call failed, and the census's findings."""
    answer = namespace.get("read_then_stop")
    if not callable(answer):
        return {"missing": ["read_then_stop"]}
    if type(linger) not in (int, float) or not 0 < linger <= 2:
        raise ValueError("a bad linger")
    listener = socket.create_server((LOOPBACK, 0))
    port = listener.getsockname()[1]
    yield {"listening": port, "handing": [listener.detach()]}
    held = Held()

    def call() -> dict:
        ran = run_call(answer, port, linger,
                       at_return=lambda: held.announce("returned", native_id()))
        return {"value": plain(ran.value), "problems": ran.problems(call_text(port, linger))}

    outcome = yield from relayed_call(held, call, name="read_then_stop caller", join=5.0)
    return _plain_outcome(outcome)


def _plain_outcome(outcome: dict[str, Any]) -> dict[str, Any]:
    if "failed" in outcome:
        return {"failed": outcome["failed"]}
    return {"value": outcome.get("value"),
            "problems": [str(problem) for problem in outcome.get("problems", [])]}
