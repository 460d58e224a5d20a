"""The judge: each test's points decided by a process that runs no learner code.

``VerifyOutsideKernel`` runs the notebook again in a sealed-off process (the
subject, ``recheck.py``). At each test cell the subject stops and the judge,
in nbgrader's own process, judges every exercise the cell checks: it picks
the inputs (fresh random ones each time), asks the subject to run the
learner's functions on them (``autograder.probes``), checks the plain data
that comes back against what a right answer gives, and checks threads from
outside, in ``/proc``. A test keeps its points only if it passed in the
learner's kernel and the judge confirms it.

An exercise without a judge here is re-checked inside the subject as
before: the README says which those are and what that trusts.
"""

from __future__ import annotations

import re
from typing import Callable

from .subject import Rejected, Subject, SubjectGone

Judge = Callable[[Subject, bool], None]
JUDGES: dict[str, Judge] = {}


def judge(exercise: str) -> Callable[[Judge], Judge]:
    def register(func: Judge) -> Judge:
        JUDGES[exercise] = func
        return func
    return register


_CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z0-9_]+)["']\s*(,\s*hidden\s*=\s*True)?""")


def exercises_checked(test_source: str) -> dict[str, bool]:
    """The exercises a test cell checks, each with whether it asks for the
    hidden cases (the instructor's cell: nbgrader restored it)."""
    found: dict[str, bool] = {}
    for name, hidden in _CHECK_CALL.findall(test_source):
        found[name] = found.get(name, False) or bool(hidden)
    return found


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Rejected(message)


# Importing the lesson modules registers their judges.
from . import channels_vs_locks, leaky_consumer, socket_reader, waitgroup  # noqa: E402,F401

__all__ = ["JUDGES", "Rejected", "Subject", "SubjectGone", "exercises_checked", "judge"]
