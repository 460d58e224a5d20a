"""Lesson 05's probes for closable_queue: the learner's ClosableQueue run on
the judge's inputs, answered as plain data.

``queue_ops`` runs the judge's operations on one thread and reports each
outcome; ``queue_getters`` and ``queue_consumers`` start the check's getters
or consumers held at a gate until the judge has seen them in /proc, then put
and close when the judge says; ``queue_races`` runs the in-kernel check's
stepped races here, where they happen (inside the learner's object, which
/proc cannot see), and reports the verdict.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..exercises.closable_queue_races import races_case
from ..exercises.harness import CheckFailed, Worker, call_answer
from ..exercises.limits import AT_ONCE, EXIT_DEADLINE
from ..threads import DeadlineExceeded, LeakError, call_with_deadline
from ..threads.census import real_is_alive, real_join
from ..threads.stand_ins import stand_in
from .held import gated
from .registry import error_text, plain, probe

LISTED = 1000  # list(q) is cut off after this many items: a queue that never ends


def _new_queue(namespace: dict) -> tuple[Any, Any, dict | None]:
    """A new ClosableQueue and the Closed class, or what stopped the probe."""
    absent = [name for name in ("Closed", "ClosableQueue") if name not in namespace]
    if absent:
        return None, None, {"missing": absent}
    Closed = namespace["Closed"]
    if not (isinstance(Closed, type) and issubclass(Closed, Exception)):
        return None, None, {"closed_is": repr(Closed)[:100]}
    try:
        made = call_with_deadline(namespace["ClosableQueue"], timeout=AT_ONCE,
                                  what="ClosableQueue()")
    except DeadlineExceeded:
        return None, None, {"made": ["hung"]}
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return None, None, {"made": ["error", error_text(error)]}
    return made, Closed, None


def _outcome(call: Callable[[], Any], Closed: type, what: str,
             returned: Callable[[Any], list]) -> list:
    """One call into the queue, as data: ``returned(value)``, ``["closed"]``,
    ``["error", text]`` or ``["hung"]``."""
    try:
        value = call_with_deadline(call, timeout=AT_ONCE, what=what)
    except DeadlineExceeded:
        return ["hung"]
    except Closed:
        return ["closed"]
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return ["error", error_text(error)]
    return returned(value)


def _let_go(q: Any, Closed: type) -> None:
    """Close the queue, quietly, so no thread of the probe's stays blocked or spinning."""
    _outcome(lambda: q.close(), Closed, "q.close()", lambda _: [])


def _done(_: Any) -> list:
    return ["returned"]


@probe("queue_ops")
def ops_case(namespace: dict, ops: list) -> dict:
    """``ops`` on one new queue, from one thread: ``["put", value]``,
    ``["put_object"]`` (a fresh object(), reported as ``{"object": n}``),
    ``["get"]``, ``["close"]``, ``["list"]`` (list(q)); stops at a call that hangs."""
    q, Closed, problem = _new_queue(namespace)
    if problem:
        return problem
    objects: list[object] = []

    def shown(value: Any) -> Any:
        number = next((n for n, o in enumerate(objects) if value is o), None)
        return plain(value) if number is None else {"object": number}

    results = []
    for op in ops:
        kind = op[0]
        if kind in ("put", "put_object"):
            if kind == "put_object":
                objects.append(object())
            item = op[1] if kind == "put" else objects[-1]
            result = _outcome(lambda item=item: q.put(item), Closed, "q.put()", _done)
        elif kind == "get":
            result = _outcome(lambda: q.get(), Closed, "q.get()",
                              lambda value: ["item", shown(value)])
        elif kind == "close":
            result = _outcome(lambda: q.close(), Closed, "q.close()", _done)
        elif kind == "list":
            result = _outcome(lambda: list(itertools.islice(iter(q), LISTED)), Closed,
                              "list(q)", lambda values: ["items", [shown(v) for v in values]])
        else:
            raise ValueError(f"no such operation {kind!r}")
        results.append(result)
        if result == ["hung"]:
            break
    _let_go(q, Closed)
    return {"results": results}


@stand_in("the check's getter: q.get()")
def _get_once(q: Any, Closed: type, outcome: list) -> None:
    try:
        outcome.append(["item", plain(q.get())])
    except Closed:
        outcome.append(["closed"])
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        outcome.append(["error", error_text(error)])


@probe("queue_getters")
def getters_case(namespace: dict, getters: int, item: Any) -> Iterator[dict]:
    """Steps: the getters started, held (``started``); released into q.get()
    on the empty queue (``getting``: the judge watches them sleep); one
    ``q.put(item)`` (``put``); one ``q.close()`` (``closed``). The result:
    what each get() did."""
    q, Closed, problem = _new_queue(namespace)
    if problem:
        return problem
    gate = threading.Event()
    outcomes: list[list] = [[] for _ in range(getters)]
    try:
        pool = [gated(_get_once, q, Closed, out, name=f"getter-{i}", gate=gate)
                for i, out in enumerate(outcomes)]
        yield {"started": [w.native_id for w in pool]}
        gate.set()
        yield {"getting": True}
        yield {"put": _outcome(lambda: q.put(item), Closed, "q.put()", _done)}
        yield {"closed": _outcome(lambda: q.close(), Closed, "q.close()", _done)}
        return {"got": [out[0] if out else None for out in outcomes]}
    finally:
        gate.set()
        _let_go(q, Closed)


@stand_in("the check's consumer: for item in q")
def _consume(q: Any, out: list) -> None:
    for item in q:
        out.append(item)


@stand_in("the check's producer")
def _produce(q: Any, items: list) -> None:
    for item in items:
        q.put(item)


@probe("queue_consumers")
def consumers_case(namespace: dict, consumers: int, batches: list) -> Iterator[dict]:
    """Steps: the consumers started, held (``started``); released, one
    producer per batch has put its items (``producers``); q.close() called
    once (``closed``). The result: what each consumer received."""
    q, Closed, problem = _new_queue(namespace)
    if problem:
        return problem
    gate = threading.Event()
    outs: list[list] = [[] for _ in range(consumers)]
    try:
        pool = [gated(_consume, q, out, name=f"consumer-{i}", gate=gate)
                for i, out in enumerate(outs)]
        yield {"started": [w.native_id for w in pool]}
        gate.set()
        makers = [Worker(_produce, q, batch, name=f"producer-{p}")
                  for p, batch in enumerate(batches)]
        for maker in makers:
            maker.start()
        end = time.monotonic() + EXIT_DEADLINE * 3
        for maker in makers:
            real_join(maker, max(0.0, end - time.monotonic()))
        producers = {"stuck": any(real_is_alive(m) for m in makers),
                     "errors": [error_text(m.error) for m in makers if m.error is not None]}
        if producers["stuck"] or producers["errors"]:
            return {"producers": producers}
        yield {"producers": producers}  # the judge sees every consumer still there
        yield {"closed": _outcome(lambda: q.close(), Closed, "q.close()", _done)}
        for worker in pool:
            real_join(worker, 0.2)
        return {"outs": [[plain(item) for item in out] for out in outs],
                "errors": [error_text(w.error) for w in pool if w.error is not None]}
    finally:
        gate.set()
        _let_go(q, Closed)


@probe("queue_races")
def races(namespace: dict, hidden: bool) -> dict:
    """The in-kernel check's stepped races (``races_case``), run here: the
    verdict, and the check's message if it failed."""
    absent = [name for name in ("Closed", "ClosableQueue") if name not in namespace]
    if absent:
        return {"missing": absent}
    ClosableQueue = namespace["ClosableQueue"]

    def make() -> Any:
        return call_answer(ClosableQueue, what="ClosableQueue()", timeout=AT_ONCE)

    try:
        races_case(make, namespace["Closed"], hidden=hidden is True)
    except (CheckFailed, DeadlineExceeded, LeakError) as failed:
        return {"passed": False, "message": str(failed)[:3000]}
    return {"passed": True}
