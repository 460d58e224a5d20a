"""The register of judges, by exercise, and what every judge uses."""

from __future__ import annotations

import random
import re
import secrets
from collections.abc import Callable

from .subject import Rejected, Subject

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


def reported_problems(found: dict, probe: str) -> list[str]:
    """What a probe that runs the in-kernel check found, as plain strings; a
    ``failed`` call (the learner's code raised, or ran out of time) is rejected
    with its message."""
    failed = found.get("failed")
    if failed is not None:
        expect(type(failed) is str, f"the {probe} probe said nothing plain")
        raise Rejected(failed)
    problems = found.get("problems")
    expect(type(problems) is list and all(type(p) is str for p in problems),
           f"the {probe} probe did not say what the check found")
    return problems


def fresh_rng() -> random.Random:
    """Inputs drawn afresh for every submission: no answer can know them ahead."""
    return random.Random(secrets.randbits(64))
