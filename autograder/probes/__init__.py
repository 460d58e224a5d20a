"""Probes: what the judge asks of a learner's process, answered as plain data.

The points of a test are decided by a judge that runs no learner code
(``autograder.grading.judge``). It cannot call the learner's functions
itself, so it asks the process that holds them, the sealed-off re-check, to
run one: "start consumer on these items and tell me which threads you
started". That process answers here, in a probe. A probe runs learner code
under deadlines and reports only plain data (lists, numbers, strings, thread
ids); everything it says is checked on the judge's side against inputs the
judge chose and against what the judge sees of the process from outside
(``/proc``). Learner code can replace a probe, but a replacement still has to
answer right and behave right, seen from outside: it has to be an answer.

A probe is a function ``probe(namespace, **args)``; one that must let the
judge look at the process midway is a generator: each ``yield`` sends a step
(``{"started": [thread ids]}``, say) and resumes when the judge has looked.
"""

from __future__ import annotations

from typing import Any, Callable

Probe = Callable[..., Any]
PROBES: dict[str, Probe] = {}
PLAIN = (type(None), bool, int, float, str)


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(func: Probe) -> Probe:
        PROBES[name] = func
        return func
    return register


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data of exact types; anything else as a tagged repr,
    which never equals what the judge expects."""
    if type(value) in PLAIN:
        return value
    if type(value) in (list, tuple) and depth < 4:
        return [plain(item, depth + 1) for item in value]
    return {"not_plain": type(value).__name__}


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


# Importing the lesson modules registers their probes.
from . import channels_vs_locks, leaky_consumer, socket_reader, waitgroup  # noqa: E402,F401
