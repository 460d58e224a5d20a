"""The checks' own stand-ins for learner code, named as such in reports.

A check grades one answer with known-good versions of the others (the
lesson's consumer, say). When a thread is inside such a stand-in, quoting its
file and line ("consumers.py, line 22 ... time.sleep(CLEANUP_SECONDS)")
would show the learner code they have never seen and cannot change. Marked
with ``@stand_in("the check's consumer")``, the same place reads "in the
check's consumer". Marks nest: a marked helper called from a marked function
adds its own words ("the check's consumer, cleaning up for 20 ms").
"""

from __future__ import annotations

from typing import TypeVar
from collections.abc import Callable

from .locations import Location

F = TypeVar("F", bound=Callable)

# (file, function name) of each marked function: what a stack's Location has.
_LABELS: dict[tuple[str, str], str] = {}


def stand_in(label: str) -> Callable[[F], F]:
    """Mark a check's function as a stand-in that reports call ``label``."""
    def mark(func: F) -> F:
        code = func.__code__
        _LABELS[code.co_filename, code.co_name] = label
        return func
    return mark


def label_of(location: Location) -> str | None:
    return _LABELS.get((location.filename, location.function))


def label_of_function(func: object) -> str | None:
    code = getattr(func, "__code__", None)
    return _LABELS.get((code.co_filename, code.co_name)) if code is not None else None


def innermost(stack: tuple[Location, ...]) -> tuple[int, str] | None:
    """The innermost stand-in frame's index, and the words for where it is.

    Only frames below the learner's innermost line count: a stand-in that
    calls learner code leaves that code to be described as usual.
    """
    labels: list[str] = []
    found = None
    for index in range(len(stack) - 1, -1, -1):
        location = stack[index]
        if location.is_learners:
            break
        label = label_of(location)
        if label is not None:
            found = index if found is None else found
            if label not in labels:
                labels.insert(0, label)
    return None if found is None else (found, ", ".join(labels))
