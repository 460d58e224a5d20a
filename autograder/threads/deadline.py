"""Call learner code with a deadline, so a check never hangs the notebook.

The call runs in a thread of its own; the check waits for it with a timeout.
Python cannot kill a thread, so a call that overruns is asked to stop (an
exception raised inside it at its next bytecode) and then left behind as a
daemon thread; the check fails with the line the call is stuck on.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from typing import Any
from collections.abc import Callable

from .census import LiveThread, mark_own, real_is_alive, real_join
from .locations import stack_of
from .report import describe_thread


class DeadlineExceeded(AssertionError):
    """A call into learner code did not return in time."""


class _StopCall(BaseException):
    """Raised inside an overrunning call to ask it to stop."""


def call_with_deadline(func: Callable[..., Any], *args: Any, timeout: float,
                       what: str | None = None, at_start: Callable[[], Any] | None = None,
                       at_return: Callable[[], Any] | None = None) -> Any:
    """Return ``func(*args)``, or raise ``DeadlineExceeded`` after ``timeout`` s.

    ``at_start`` and ``at_return`` run in the same thread right before and
    right after ``func``, so a check can observe the state at the exact start
    and the exact return of the call (which threads were still running, say).
    """
    __tracebackhide__ = True
    what = what or f"{getattr(func, '__name__', 'the call')}()"
    outcome: dict[str, Any] = {}
    caller_is_daemon = threading.current_thread().daemon

    def run() -> None:
        # The runner is daemon so a stuck call cannot keep the interpreter
        # alive, but threads inherit the daemon flag from the thread that
        # creates them: give the learner's threads the flag they would get
        # from the caller. (Only start() reads it for shutdown, so this is safe.)
        runner._daemonic = caller_is_daemon  # type: ignore[attr-defined]
        try:
            if at_start is not None:
                at_start()
            outcome["value"] = func(*args)
            if at_return is not None:
                at_return()
        except _StopCall:
            outcome["stopped"] = True
        except BaseException as error:  # noqa: BLE001 - handed back to the caller
            outcome["error"] = error

    runner = mark_own(threading.Thread(target=run, name=f"autograder call {what}",
                                       daemon=True))
    runner.start()
    real_join(runner, timeout)
    if real_is_alive(runner):
        stack = stack_of(sys._current_frames().get(runner.ident))
        live = LiveThread(runner.native_id or 0, runner, stack)
        ask_to_stop(runner)
        raise DeadlineExceeded(
            f"{what} did not return within {timeout:g} s.\n"
            + describe_thread(live, title=what)
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def ask_to_stop(thread: threading.Thread, grace: float = 0.2) -> bool:
    """Raise _StopCall in ``thread`` at its next bytecode; True if it ended.

    A thread blocked in C code (a lock, a socket) never runs that bytecode, so
    after ``grace`` seconds the request is withdrawn: left pending, it can
    hang other threads that run with a profile or trace function (CPython 3.11).
    """
    if thread.ident is None:
        return not real_is_alive(thread)
    ident = ctypes.c_ulong(thread.ident)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ident, ctypes.py_object(_StopCall))
    real_join(thread, grace)
    if real_is_alive(thread):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ident, None)
        _clear_the_pending_flag()
        return False
    return True


class _Absorbed(BaseException):
    """Raised in the sponge thread of ``_clear_the_pending_flag``, and caught there."""


def _clear_the_pending_flag() -> None:
    """Undo what a withdrawn request leaves behind.

    Withdrawing a pending exception clears it from its thread, but on CPython
    3.11 not the interpreter's flag that says one is pending: from then on
    every thread that runs with a trace function (a debugger, the checks that
    step learner code line by line) loops for ever before its first line. The
    flag is cleared only when some thread takes an exception that way, so a
    short-lived thread of ours takes one.
    """
    ready = threading.Event()

    def sponge() -> None:
        try:
            ready.set()
            while True:
                time.sleep(0.001)
        except _Absorbed:
            pass

    taker = mark_own(threading.Thread(target=sponge, name="autograder sponge", daemon=True))
    taker.start()
    ready.wait()
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(taker.ident),
                                               ctypes.py_object(_Absorbed))
    real_join(taker, 1.0)
