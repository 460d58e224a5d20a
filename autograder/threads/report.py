"""Threads described in plain words: name, target, where it waits, who started it."""

from __future__ import annotations

from . import stand_ins
from .census import LiveThread
from .locations import innermost_library_call, learners_line


def describe_thread(live: LiveThread, indent: str = "  ", title: str | None = None) -> str:
    """Several lines about one thread, for a learner reading a failed check.

    ``title`` replaces the first line (name and target) and drops the flags
    and the origin: for the checks' own threads, where they would distract.
    """
    flags = []
    by_check = getattr(live.thread, "started_by_check", False)
    if live.daemon and not by_check:
        flags.append("daemon: Python will kill it at exit, but it still runs now")
    if live.hidden_from_registry:
        flags.append("removed from threading._active, still running")
    if live.finished:
        flags.append("its code has returned; the OS thread is still winding down")
    if title is not None:
        return f"{indent}- {title}\n{indent}    {_where_it_is(live)}"
    lines = [f'{indent}- thread "{live.name}", target {_target(live)}']
    lines += [f"{indent}    ({flag})" for flag in flags]
    lines.append(f"{indent}    {_where_it_is(live)}")
    origin = live.origin
    if by_check:
        lines.append(f"{indent}    started by the check, running your function")
    elif origin is not None:
        lines.append(f"{indent}    started at {origin.describe()}")
    return "\n".join(lines)


def _where_it_is(live: LiveThread) -> str:
    if not live.stack:
        if live.thread is None:
            return "no Python stack: a thread the threading module does not know"
        return "no Python stack available"
    own = learners_line(live.stack)
    check = stand_ins.innermost(live.stack)
    if check is not None:  # the check's own code: its words, never its lines
        index, words = check
        call = live.stack[index + 1] if index + 1 < len(live.stack) else None
        inside = f" (inside {call.function}() of {_short_file(call.filename)})" if call else ""
        if own is None:
            return f"in {words}{inside}"
        return f"stuck at {own.describe()} (inside {words})"
    inner = live.stack[-1]
    if own is None:
        return f"waiting at {inner.describe()}"
    call = innermost_library_call(live.stack)
    waiting_in = f" (inside {call.function}() of {_short_file(call.filename)})" if call else ""
    return f"stuck at {own.describe()}{waiting_in}"


def _target(live: LiveThread) -> str:
    target = getattr(live.thread, "_target", None)
    words = stand_ins.label_of_function(target)
    if words is not None:
        return f"{target.__name__}() ({words})"
    return f"{live.target}()"


def _short_file(filename: str) -> str:
    return filename.rsplit("/", 1)[-1]


def describe_threads(threads: list[LiveThread], indent: str = "  ") -> str:
    return "\n".join(describe_thread(t, indent) for t in threads)
