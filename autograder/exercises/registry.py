"""The register of graded exercises, by name; each lesson's module adds its own.

An exercise declares the names it needs from the learner's notebook and a
function that checks them, returning a one-line summary or raising
``CheckFailed`` with a message for the learner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

Checker = Callable[[dict[str, Any], bool], str]


@dataclass(frozen=True)
class Exercise:
    name: str
    needs: tuple[str, ...]
    run: Checker  # run(answers, hidden) -> summary


EXERCISES: dict[str, Exercise] = {}


def exercise(name: str, needs: tuple[str, ...]) -> Callable[[Checker], Checker]:
    def register(run: Checker) -> Checker:
        EXERCISES[name] = Exercise(name, needs, run)
        return run
    return register
