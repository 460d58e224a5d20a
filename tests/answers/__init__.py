"""Learner answers, right and wrong, as the source of an answer cell."""

import linecache
import queue
import threading
import time


def load(*sources: str) -> dict:
    """Run answer-cell sources the way the notebook would, in one namespace.

    Each gets a file name of its own in linecache, as a notebook cell does, so
    reports can quote the learner's line.
    """
    namespace = {"queue": queue, "threading": threading, "time": time,
                 "__name__": "__main__"}
    for number, source in enumerate(sources, 1):
        filename = f"/answers/cell_{number}.py"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


def verdict(name: str, answers: dict) -> tuple[bool, str, bool]:
    """Check ``name`` on ``answers``: the visible cases, then the hidden ones, as
    a graded cell runs them. (passed, what was printed, whether the failure
    was in the hidden cases)."""
    import contextlib
    import io

    from autograder import CheckFailed, check
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for hidden in (False, True):
            try:
                check(name, hidden=hidden, answers=answers)
            except CheckFailed:
                return False, printed.getvalue(), hidden
    return True, printed.getvalue(), False
