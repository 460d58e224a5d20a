"""Every graded exercise, by name. Each lesson's checks live in a module here.

An exercise declares the names it needs from the learner's notebook and a
function that checks them, returning a one-line summary or raising
``CheckFailed`` with a message for the learner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .harness import CheckFailed

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


# Importing the lesson modules registers their exercises.
from . import (  # noqa: E402,F401
    channels_vs_locks, leaky_consumer, socket_reader, waitgroup, warm_up)

__all__ = ["EXERCISES", "CheckFailed", "Exercise", "exercise"]
