"""Lesson 03's probes: the learner's WaitGroup on the judge's sequences, its
waiters held until the judge has seen them, the race trials in a child
process, and run_with_waitgroup against a server this process owns.

The sandbox gives this process a network of its own, so the judge cannot be
the server the learner connects to: the probe is, and it reports what that
server saw (end-of-stream or not) as plain data.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from typing import Any
from collections.abc import Iterator

from ..exercises.harness import CALL_DEADLINE, Worker, isolated
from ..exercises.race_probe import Unavailable, race_request, run_held_probe
from ..exercises.limits import AT_ONCE, EXIT_DEADLINE
from ..exercises.run_with_waitgroup import FINISHING, observed_waitgroup
from ..known_good.waitgroup import WaitGroup as KnownGood
from ..exercises.waitgroup import WAITER_TIMEOUT, wait_until_waiting
from ..exercises.waitgroup_race import race_budget
from ..sockets import Peer
from ..sockets.peer import LOOPBACK
from ..threads import DeadlineExceeded, call_with_deadline
from .held import HOLD, Held
from .registry import error_text, native_id, plain, probe

WIND_DOWN = 0.15  # the judge's WaitGroup returns from done() this long after zero


def _waitgroup(namespace: dict) -> tuple[Any, dict | None]:
    if "WaitGroup" not in namespace:
        return None, {"missing": ["WaitGroup"]}
    WaitGroup = namespace["WaitGroup"]
    if not isinstance(WaitGroup, type):
        return None, {"not_class": repr(WaitGroup)[:100]}
    return WaitGroup, None


def _fresh(namespace: dict) -> tuple[Any, dict | None]:
    """A new WaitGroup of the learner's class, or what stopped the probe making one."""
    WaitGroup, problem = _waitgroup(namespace)
    return (None, problem) if problem else _new(WaitGroup)


def _new(WaitGroup: type) -> tuple[Any, dict | None]:
    """A new WaitGroup, or what went wrong making one."""
    try:
        return call_with_deadline(WaitGroup, timeout=AT_ONCE, what="WaitGroup()"), None
    except DeadlineExceeded:
        return None, {"made": {"hung": True}}
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return None, {"made": {"raised": type(error).__name__, "message": str(error)[:300]}}


def _call(func: Any, *args: Any, what: str, timeout: float) -> dict:
    """One call into the learner's WaitGroup, as data."""
    try:
        return {"returned": plain(call_with_deadline(func, *args, timeout=timeout, what=what))}
    except DeadlineExceeded:
        return {"hung": True}
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return {"raised": type(error).__name__, "message": str(error)[:300]}


def _op(wg: Any, op: list) -> dict:
    kind, arg = op
    if kind == "add":
        return _call(functools.partial(wg.add, arg), what=f"wg.add({arg})", timeout=AT_ONCE)
    if kind == "done":
        return _call(wg.done, what="wg.done()", timeout=AT_ONCE)
    return _call(functools.partial(wg.wait, timeout=arg), what="wg.wait(...)",
                 timeout=AT_ONCE + (arg or 0))


def _quietly(wg: Any, *ops: list) -> None:
    for op in ops:
        _op(wg, op)


@probe("waitgroup_ops")
def ops_case(namespace: dict, ops: list) -> dict:
    """``ops`` (``["add", d]``, ``["done", -1]``, ``["wait", timeout]``) on one
    new WaitGroup, each call's outcome; stops at the first call that hangs."""
    wg, problem = _fresh(namespace)
    if problem:
        return problem
    results = []
    for op in ops:
        results.append(_op(wg, op))
        if results[-1].get("hung"):
            _quietly(wg, ["add", 1], ["done", -1], ["done", -1])  # let a stuck wait go
            break
    return {"results": results}


@probe("waitgroup_gives_up")
def gives_up_case(namespace: dict, timeout: float) -> Iterator[dict]:
    """wait(timeout) with the counter at 1: the judge times it from the step."""
    wg, problem = _fresh(namespace)
    if problem:
        return problem
    added = _op(wg, ["add", 1])
    if "returned" not in added:
        return {"added": added}
    yield {"ready": True}
    waited = _op(wg, ["wait", timeout])
    yield {"waited": waited}
    _quietly(wg, ["done", -1])
    return {}


@probe("waitgroup_waiters")
def waiters_case(namespace: dict, waiters: int, start: int, steps: list) -> Iterator[dict]:
    """``waiters`` threads wait(WAITER_TIMEOUT) while the judge takes the
    counter from ``start`` by ``steps``, one step per resume; each waiter's
    thread ends when its wait returns, for the judge to see in /proc."""
    wg, problem = _fresh(namespace)
    if problem:
        return problem
    added = _op(wg, ["add", start])
    if "returned" not in added:
        return {"added": added}
    gate = threading.Event()
    results: dict[int, Any] = {}

    def waiter(index: int) -> None:
        gate.wait(HOLD)
        results[index] = wg.wait(WAITER_TIMEOUT)

    workers = [Worker(waiter, i, name=f"waiter {i + 1}") for i in range(waiters)]
    for worker in workers:
        worker.start()
    counter = start
    try:
        yield {"started": [w.native_id for w in workers]}
        gate.set()
        wait_until_waiting(workers, type(wg).wait)
        for delta in steps:
            stepped = _op(wg, ["done", -1] if delta == -1 else ["add", delta])
            if "returned" in stepped:
                counter += delta
            yield {"stepped": stepped, "returned_so_far": len(results)}
    finally:
        _release(wg, workers, counter)
    return {"returned": [plain(results.get(i, "no result")) for i in range(waiters)],
            "errors": [error_text(w.error) for w in workers if w.error is not None]}


def _release(wg: Any, workers: list[Worker], counter: int) -> None:
    """Let the waiters a wrong answer left waiting go (notify() wakes one)."""
    for _ in range(max(counter, 0)):
        _op(wg, ["done", -1])
    for _ in range(len(workers) * 3):
        if not any(w.is_alive() for w in workers):
            return
        _quietly(wg, ["add", 1], ["done", -1])
        for worker in workers:
            worker.join(0.02)


@probe("waitgroup_race")
def race_case(namespace: dict, threads: int, rounds: int, trials: int,
              seed: int, stepped: bool = False) -> Iterator[dict]:
    """The race trials, in a child process (``race_probe``), on the judge's
    parameters and seed: the stepped pairs first if asked, then each trial's
    held end as a step, then the child's report, as it gave it."""
    WaitGroup, problem = _waitgroup(namespace)
    if problem:
        return problem
    try:
        request = race_request(WaitGroup)
    except Unavailable as missing:
        return {"outcome": "unavailable", "message": str(missing),
                "names": [str(n) for n in missing.names]}
    stepped = stepped is True
    request.update(threads=threads, rounds=rounds, trials=trials, seed=seed,
                   deadline=CALL_DEADLINE, at_once=AT_ONCE, stepped=stepped)
    budget = race_budget(trials, stepped)
    report = yield from run_held_probe(request, budget)
    return {"report": plain_report(report), "budget": budget}


def plain_report(report: Any) -> dict:
    if not isinstance(report, dict):
        return {"outcome": "crashed", "returncode": None, "stderr": []}
    return {str(k): _plain_deep(v) for k, v in report.items()}


def _plain_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain_deep(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return [_plain_deep(v) for v in value]
    return value if type(value) in (type(None), bool, int, float, str) else repr(value)


# --- run_with_waitgroup ----------------------------------------------------------------

@probe("run_with_waitgroup")
def run_case(namespace: dict, linger: float | None, timeout: float | None,
             never_finishes: bool) -> Iterator[dict]:
    """Call run_with_waitgroup against this process's own server, with the
    course's WaitGroup (a known-good one) in place of the learner's.

    Steps: ``{"caller": [tids]}`` (the probe's own threads); ``{"reader":
    tid}`` when a thread calls done() (held there until the judge has seen
    it); ``{"returned": ...}`` the instant the call returns, the caller held
    until the judge has looked at /proc; then the server's view.
    """
    if "run_with_waitgroup" not in namespace or not callable(namespace["run_with_waitgroup"]):
        return {"missing": ["run_with_waitgroup"]}
    held_threads = Held()
    release = threading.Event()
    held = release if never_finishes else None
    Base, created = observed_waitgroup(KnownGood, finishing=0.0 if never_finishes else FINISHING,
                                       hold=held, wind_down=0.0 if never_finishes else WIND_DOWN)

    class WaitGroup(Base):  # type: ignore[misc,valid-type]
        def add(self, delta: int = 1) -> None:
            if delta < 0 and not never_finishes:
                held_threads.announce("reader", native_id())
            super().add(delta)

    func = isolated(namespace["run_with_waitgroup"], WaitGroup=WaitGroup)
    args: tuple = ()
    if linger is not None or timeout is not None:
        args = (0.2 if linger is None else linger,)
    if timeout is not None:
        args += (timeout,)
    limit = (linger or 0.2) + (timeout or 1.0) + WIND_DOWN + CALL_DEADLINE
    outcome: dict[str, Any] = {}
    runner: list[int] = []

    def at_return() -> None:
        held_threads.announce("returned", [wg.counted for wg in created])

    with socket.create_server((LOOPBACK, 0)) as listener:
        address = listener.getsockname()

        def call() -> None:
            try:
                call_with_deadline(func, address, *args, timeout=limit,
                                   what="run_with_waitgroup",
                                   at_start=lambda: runner.append(native_id()),
                                   at_return=at_return)
                outcome["raised"] = None
            except DeadlineExceeded:
                outcome["raised"] = "hung"
            except BaseException as error:  # noqa: BLE001 - reported to the judge
                outcome.update(raised=type(error).__name__, message=str(error)[:300])

        yield {"ready": True}
        caller = threading.Thread(target=call, name="run_with_waitgroup caller", daemon=True)
        caller.start()
        while not runner and caller.is_alive():
            time.sleep(0.001)
        yield {"caller": [caller.native_id] + runner}
        yield from held_threads.relay(caller)
        caller.join()
        release.set()
        if outcome.get("raised") is not None:
            return dict(outcome, made=len(created))
        listener.settimeout(EXIT_DEADLINE)
        try:
            accepted, _ = listener.accept()
        except (TimeoutError, OSError):
            return dict(outcome, made=len(created), peer="never connected")
        with accepted:
            seen_by_peer = Peer(accepted).watch(EXIT_DEADLINE)
        return dict(outcome, made=len(created), peer=seen_by_peer.value)
