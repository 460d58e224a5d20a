"""Lesson 04's probe: one call of a ``signal_done_*`` answer, watched.

The call runs under the in-kernel check's hooks (``_watching``: the threads
it starts, the queue puts and WaitGroup calls they make, the joins), and
each worker it starts is held at its first line until the judge has seen it
alive in /proc. The instant the call returns, its runner is held until the
judge has looked at /proc again. What the hooks counted is reported as
plain numbers and names.
"""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Iterator

from ..exercises.channels_vs_locks import (MECHANISMS, QUEUE_PUT, WAITGROUP_DONE,
                                           WAITGROUP_WAIT, CallRecord, _replaced, _watching)
from ..exercises.harness import CALL_DEADLINE, learner_error
from ..threads import DeadlineExceeded, call_with_deadline
from .held import Held
from .registry import native_id, plain, probe

FUNCTIONS = {m.function for m in MECHANISMS}


@probe("signal_done")
def signal_case(namespace: dict, function: str, n: int) -> Iterator[dict]:
    if function not in FUNCTIONS:
        return {"error": f"no such function {function!r}"}
    if function not in namespace or not callable(namespace[function]):
        return {"missing": [function]}
    answer = namespace[function]
    call = f"{function}({n})"
    record = CallRecord()
    held_threads = Held()
    outcome: dict[str, Any] = {}
    runner: list[int] = []

    held = held_threads.announce

    def gated(thread: threading.Thread) -> None:
        run = thread.run

        def announced_run() -> None:
            held("worker", native_id())
            run()
        thread.run = announced_run  # type: ignore[method-assign]

    def at_start() -> None:
        record.caller = threading.get_ident()
        runner.append(native_id())

    def at_return() -> None:
        held("returned", True)

    def caller() -> None:
        with _watching(record, getattr(answer, "__globals__", {}).get("WaitGroup")):
            recording_start = threading.Thread.start

            def gated_start(self: threading.Thread) -> None:
                if record.started_by_answer():
                    gated(self)
                return recording_start(self)

            with _replaced(threading.Thread, "start", gated_start):
                try:
                    outcome["result"] = plain(call_with_deadline(
                        answer, n, timeout=CALL_DEADLINE, what=call, at_start=at_start,
                        at_return=at_return))
                except DeadlineExceeded as stuck:
                    outcome.update(raised="hung", message=str(stuck)[:1500])
                except BaseException as error:  # noqa: BLE001 - reported to the judge
                    outcome.update(raised=type(error).__name__,
                                   message=str(learner_error(error, call))[:1500])

    thread = threading.Thread(target=caller, name=f"{function} caller", daemon=True)
    thread.start()
    while not runner and thread.is_alive():
        thread.join(0.001)
    yield {"caller": [thread.native_id] + runner}
    yield from held_threads.relay(thread)
    return dict(outcome, **_counted(record, call))


def _counted(record: CallRecord, call: str) -> dict:
    """What the hooks saw, as plain data."""
    with record.lock:
        workers = list(record.workers)
        joined = [w in record.joined for w in workers]
        errors = [str(learner_error(error, f"In {call}, worker thread {thread.name!r}"))[:1500]
                  for thread, error in record.errors]
        return {"workers": [str(w.name)[:100] for w in workers], "joined": joined,
                "puts": record.worker_calls[QUEUE_PUT],
                "dones": record.worker_calls[WAITGROUP_DONE],
                "waits": record.caller_calls[WAITGROUP_WAIT], "errors": errors}
