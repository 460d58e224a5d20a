"""The child's side of the race test (see ``race_probe``): run as
``python -P race_child.py``, it rebuilds the learner's class from the request
on stdin, hammers it, and answers with one line of JSON on stdout.

For the judge (a request with a seed), the child's own verdict is not
enough: learner code runs in the child and could print any report. So each
trial ends *held*: every thread's done() but the last has returned, two
threads wait in ``wg.wait()``, and the child says which and stops until told
to go on; it stops again once the last done() has returned. The judge sees
those waiters in ``/proc`` from outside, there while one done() is still to
come and gone after it, while the child still runs: a WaitGroup that lost an
add(1) releases them too soon, one that lost a done() never.

It imports nothing outside the standard library, and nothing of the grader;
run with ``-P``, it cannot import a module beside it either, so it is one
file: the tracing, the hammering, the held end and the report together.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import json
import os
import pickle
import random
import sys
import threading
import time
from types import FrameType
from typing import Any
from collections.abc import Callable


Stack = list[list[Any]]  # [filename, line number, function], outermost first


def _stack_of_error(error: BaseException) -> Stack:
    import traceback
    return [[f.filename, f.lineno or 0, f.name] for f in traceback.extract_tb(error.__traceback__)]


def _stack_of_frame(frame: FrameType | None) -> Stack:
    stack = []
    while frame is not None:
        stack.append([frame.f_code.co_filename, frame.f_lineno or 0, frame.f_code.co_name])
        frame = frame.f_back
    return stack[::-1]


def _error(error: BaseException, **more: Any) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": str(error),
            "stack": _stack_of_error(error), **more}


def switch_at_every_step(files: frozenset[str]) -> Callable:
    """A trace function that runs between any two bytecodes of code from ``files``.

    CPython hands the GIL to another thread only at certain points (calls,
    loops), so a read-modify-write without a lock often survives plain
    hammering. A Python trace function is such a point: traced per bytecode,
    the answer's code can be interrupted anywhere, as a faster machine, a
    later Python or a free-threaded build may do any day. All of the answer's
    code is traced, by its file: its methods, and the functions, wrappers and
    lambdas inside them.
    """
    def every_step(frame: FrameType, event: str, arg: object) -> Callable:
        return every_step

    def on_call(frame: FrameType, event: str, arg: object) -> Callable | None:
        if frame.f_code.co_filename in files:
            frame.f_trace_opcodes = True
            return every_step
        return None
    return on_call


def code_files(cls: type) -> frozenset[str]:
    """The files the code of ``cls`` (and of the classes it builds on) came from."""
    files = set()
    for klass in cls.__mro__[:-1]:
        for value in vars(klass).values():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            func = value.fget if isinstance(value, property) else value
            code = getattr(func, "__code__", None)
            if code is not None:
                files.add(code.co_filename)
    return frozenset(files)


# Bound before any learner code runs in this process (and into hammer's
# defaults): a class body that rebinds this module's names, or sys's, does not
# change what the trials use.
_TRACING = (switch_at_every_step, code_files, sys.settrace, sys.gettrace,
            sys.setswitchinterval, sys.getswitchinterval)


class Untraced(Exception):
    """Learner code switched the race test's trace function off."""


def _refused(what: str) -> Callable[..., None]:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise Untraced(f"the race test's own {what} may not be changed")
    return refuse


def keep_learner_off_the_switches() -> None:
    """What makes races show (the trace function, the switch interval) is
    the trials' own: from here on, learner code that calls sys.settrace or
    sys.setswitchinterval gets Untraced instead."""
    sys.settrace = _refused("trace function")  # type: ignore[assignment]
    sys.setswitchinterval = _refused("switch interval")  # type: ignore[assignment]


class _Adder(threading.Thread):
    def __init__(self, work: Callable[[_Adder], None], index: int, rounds: int) -> None:
        super().__init__(name=f"adder {index + 1}", daemon=True)
        self.work = work
        self.rounds = rounds
        self.phase = "start"
        self.adds = self.dones = 0  # calls that returned
        self.withheld = 0  # done() calls left for the end of a held trial
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work(self)
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            self.error = error


def _counter_of(wg: Any) -> list[Any] | None:
    """``[attribute, value]`` of the one int attribute of ``wg``, if one."""
    try:
        ints = [[k, v] for k, v in vars(wg).items()
                if isinstance(v, int) and not isinstance(v, bool)]
    except TypeError:
        return None
    return ints[0] if len(ints) == 1 else None


def seeded_rounds(seed: int, threads: int, rounds: int) -> list[int]:
    """Each thread's rounds in a seeded trial (the judge's): 0.75 to 1.25 x
    ``rounds``, drawn from ``seed``, so that a report of the trial has to
    agree with the seed's draw."""
    draw = random.Random(seed)
    return [rounds - rounds // 4 + draw.randrange(rounds // 2 + 1) for _ in range(threads)]


WAITERS = 2  # threads in wg.wait() at the end of a held trial
SETTLE = 0.05  # time for a waiter that should not wait to return


def hammer(WaitGroup: type, threads: int, rounds: int, deadline: float,
           at_once: float, per_thread: list[int] | None = None,
           tally: list[list[int]] | None = None,
           hold: Callable[[dict[str, Any]], None] | None = None,
           _tracing: tuple = _TRACING) -> dict[str, Any] | None:
    """``threads`` threads each call add(1) ``rounds`` times (or
    ``per_thread[i]`` times), all at once, then done() as often; None if the
    counter ends at 0, else what went wrong. ``tally`` receives each thread's
    ``[adds, dones]`` that returned. With ``hold``, the trial ends held (see
    ``held_end``) instead of with wait(timeout=0)."""
    try:
        wg = WaitGroup()
    except Exception as error:  # noqa: BLE001
        return {"outcome": "error", **_error(error, call="WaitGroup()")}
    trace_every_step, files_of, settrace, gettrace, set_interval, get_interval = _tracing
    tracer = trace_every_step(files_of(WaitGroup))

    def still_traced() -> None:
        if gettrace() is not tracer:
            raise Untraced("the race test's trace function was switched off")

    start_together = threading.Barrier(threads, timeout=deadline)

    def add_and_done(me: _Adder) -> None:
        settrace(tracer)  # this thread only
        try:
            # All add, then all count down: a lost add cannot be cancelled by a
            # lost done, so any lost update shows at the end.
            start_together.wait()
            me.phase = "add"
            for _ in range(me.rounds):
                wg.add(1)
                still_traced()
                me.adds += 1
            me.phase = "between"
            start_together.wait()
            me.phase = "done"
            for _ in range(me.rounds - me.withheld):
                wg.done()
                still_traced()
                me.dones += 1
            me.phase = "end"
        except BaseException:
            start_together.abort()  # the others must not wait for this one
            raise
        finally:
            settrace(None)

    workers = [_Adder(add_and_done, i, per_thread[i] if per_thread else rounds)
               for i in range(threads)]
    workers[0].withheld = int(hold is not None)
    interval = get_interval()
    set_interval(1e-6)
    try:
        for worker in workers:
            worker.start()
        end = time.monotonic() + deadline
        for worker in workers:
            worker.join(max(0.0, end - time.monotonic()))
    finally:
        set_interval(interval)
    stuck = [w for w in workers if w.is_alive()]
    if stuck:
        frames = sys._current_frames()
        return {"outcome": "stuck", "threads": len(stuck), "phase": stuck[0].phase,
                "stack": _stack_of_frame(frames.get(stuck[0].ident))}
    failed = sorted((w for w in workers if w.error is not None),
                    key=lambda w: isinstance(w.error, threading.BrokenBarrierError))
    if failed:
        first = failed[0]
        assert first.error is not None
        return {"outcome": "error", "threads": len(failed),
                **_error(first.error, call="wg.done()" if first.phase == "done"
                         else "wg.add(1)" if first.phase == "add" else "wg.add(1) / wg.done()",
                         phase=first.phase)}
    found = (held_end(wg, workers[0], hold, at_once) if hold is not None
             else final_wait(wg, at_once))
    if found is None and tally is not None:
        tally.extend([w.adds, w.dones] for w in workers)
    return found


def final_wait(wg: Any, at_once: float) -> dict[str, Any] | None:
    """wg.wait(timeout=0) once every done() has returned: True, or what went wrong."""
    got: dict[str, Any] = {}

    def wait_once() -> None:
        try:
            got["value"] = wg.wait(timeout=0)
        except BaseException as error:  # noqa: BLE001
            got["error"] = error
    waiter = threading.Thread(target=wait_once, daemon=True)
    waiter.start()
    waiter.join(at_once)
    if waiter.is_alive():
        return {"outcome": "wait_stuck", "stack": _stack_of_frame(
            sys._current_frames().get(waiter.ident))}
    if "error" in got:
        return {"outcome": "error", "threads": 1,
                **_error(got["error"], call="wg.wait(timeout=0)", phase="wait")}
    if got["value"] is not True:
        return {"outcome": "lost", "got": repr(got["value"]), "counter": _counter_of(wg)}
    return None


def held_end(wg: Any, last: _Adder, hold: Callable[[dict[str, Any]], None],
             at_once: float) -> dict[str, Any] | None:
    """The end of a held trial: with one done() still to come, ``WAITERS``
    threads call wg.wait(); ``hold`` names them to the judge and returns when
    the judge has seen them waiting; then the last done() must release them,
    which the judge sees at the second ``hold``."""
    returned: dict[int, Any] = {}

    def wait_for_zero(index: int) -> None:
        try:
            returned[index] = wg.wait()
        except BaseException as error:  # noqa: BLE001
            returned[index] = error
    waiters = [threading.Thread(target=wait_for_zero, args=(i,), name=f"waiter {i + 1}",
                                daemon=True) for i in range(WAITERS)]
    for waiter in waiters:
        waiter.start()
    time.sleep(SETTLE)
    early = len(returned)
    hold({"holding": {"pid": os.getpid(),
                      "waiters": [waiter.native_id or 0 for waiter in waiters]}})
    try:
        wg.done()
    except BaseException as error:  # noqa: BLE001
        return {"outcome": "error", "threads": 1,
                **_error(error, call="wg.done()", phase="done")}
    last.dones += 1
    for waiter in waiters:
        waiter.join(at_once)
    hold({"released": {"pid": os.getpid()}})
    errors = [r for r in returned.values() if isinstance(r, BaseException)]
    if errors:
        return {"outcome": "error", "threads": len(errors),
                **_error(errors[0], call="wg.wait()", phase="wait")}
    if early:
        return {"outcome": "released_early", "counter": _counter_of(wg)}
    if len(returned) < WAITERS:
        return {"outcome": "not_released", "counter": _counter_of(wg)}
    if any(r is not True for r in returned.values()):
        return {"outcome": "lost", "got": repr(next(r for r in returned.values()
                                                    if r is not True)),
                "counter": _counter_of(wg)}
    return None


def _rebuild(request: dict[str, Any]) -> type | dict[str, Any]:
    if "import" in request:
        module, qualname = request["import"]
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
        return found
    scope: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    left_behind = []
    for name, how in request["globals"].items():
        try:
            scope[name] = (importlib.import_module(how["module"]) if "module" in how
                           else pickle.loads(base64.b64decode(how["pickle"])))
        except Exception:  # noqa: BLE001 - say which name could not be carried
            left_behind.append(name)
    if left_behind:
        return {"outcome": "left_behind", "names": left_behind}
    code = compile("\n" * (request["first"] - 1) + request["source"], request["filename"],
                   "exec")
    try:
        exec(code, scope)
    except Exception as error:  # noqa: BLE001
        return {"outcome": "error", **_error(error, call=f"class {request['class_name']}")}
    return scope[request["class_name"]]


def main() -> None:
    request = json.loads(sys.stdin.readline())
    report_to = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr  # the learner's prints must not get in the report's way

    def hold(step: dict[str, Any]) -> None:
        """Tell the judge ``step``; go on once it says so."""
        report_to.write(json.dumps({"step": step}) + "\n")
        report_to.flush()
        sys.stdin.readline()

    report: dict[str, Any] = {"outcome": "passed"}
    keep_learner_off_the_switches()
    WaitGroup = _rebuild(request)
    if isinstance(WaitGroup, dict):
        report = WaitGroup
    else:
        seed, tallies = request.get("seed"), []
        for trial in range(request["trials"]):
            tally: list[list[int]] = []
            per_thread = (None if seed is None else
                          seeded_rounds(seed + trial, request["threads"], request["rounds"]))
            found = hammer(WaitGroup, request["threads"], request["rounds"],
                           request["deadline"], request["at_once"], per_thread, tally,
                           hold=None if seed is None else hold)
            if found is not None:
                report = {**found, "trial": trial + 1}
                break
            tallies.append(tally)
        if seed is not None and report["outcome"] == "passed":
            report["tallies"] = tallies  # for the judge: what each thread's calls did
    report_to.write(json.dumps(report) + "\n")
    report_to.flush()
    os._exit(0)  # threads stuck in the learner's code must not delay the exit


if __name__ == "__main__":
    main()
