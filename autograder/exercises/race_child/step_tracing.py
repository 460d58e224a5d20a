"""The trace functions that make races show (every bytecode a switch, or one
call stopped at a given bytecode), and what keeps learner code from switching
them off."""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any
from collections.abc import Callable

from trial_report import stack_of_frame


def _into_files(files: frozenset[str], every_step: Callable) -> Callable:
    """The call events of a trace function: ``every_step`` traces each
    bytecode of code from ``files``, and nothing else is traced."""
    def on_call(frame: FrameType, event: str, arg: object) -> Callable | None:
        if frame.f_code.co_filename in files:
            frame.f_trace_opcodes = True
            return every_step
        return None
    return on_call


# Both tracers take _into_files as a default, bound when this module is
# imported: a helper looked up by name at call time is one the learner's class
# body could rebind.

def switch_at_every_step(files: frozenset[str], _into: Callable = _into_files) -> Callable:
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
    return _into(files, every_step)


def pausing_tracer(files: frozenset[str], step: int, paused: dict[str, Any],
                   go_on: threading.Event, deadline: float,
                   _into: Callable = _into_files) -> Callable:
    """A trace function that stops its thread before the ``step``-th bytecode
    of code from ``files``, noting where, until ``go_on`` is set."""
    seen = [0]

    def every_step(frame: FrameType, event: str, arg: object) -> Callable:
        if event == "opcode":
            seen[0] += 1
            if seen[0] == step:
                paused["stack"] = stack_of_frame(frame)
                paused["event"].set()
                go_on.wait(deadline)
        return every_step
    return _into(files, every_step)


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


# Bound before any learner code runs in this process (and into the trials'
# defaults): a class body that rebinds this module's names, or sys's, does not
# change what the trials use.
TRACING = (switch_at_every_step, code_files, sys.settrace, sys.gettrace,
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


