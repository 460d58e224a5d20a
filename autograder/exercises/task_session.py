"""Checks for lesson 06's run_session: program B with asyncio tasks, a consumer
task per word, every one stopped and awaited on "exit"."""

from __future__ import annotations

import random
from typing import Any
from collections.abc import Callable

from ..tasks import Outcome
from .coroutines import require_coroutine_function, run_answer
from .harness import CALL_DEADLINE, fail_if_any, plural
from .registry import exercise


def expected_counts(words: list[str]) -> list[int]:
    """Consumer tasks alive after each word: one more per word, none after "exit"."""
    alive, counts = 0, []
    for word in words:
        alive = 0 if word == "exit" else alive + 1
        counts.append(alive)
    return counts


@exercise("task_session", needs=("run_session",))
def check_task_session(answers: dict[str, Any], hidden: bool) -> str:
    sessions = [["a", "b", "exit", "c", "exit"], ["exit", "x", "exit", "exit", "y"], [],
                ["w"] * 6]
    if hidden:
        rng = random.Random(2026)
        sessions = [[rng.choice(["go", "go", "go", "exit"]) for _ in range(rng.randint(1, 25))]
                    for _ in range(6)]
    answer = answers["run_session"]
    require_coroutine_function(answer, "run_session(words)")
    for words in sessions:
        _session_case(answer, words)
    return "each session counted its consumer tasks right and left no task behind."


def _session_case(answer: Callable, words: list[str]) -> None:
    call = f"run_session({words!r})"
    outcome = run_answer(answer, list(words), what=call, deadline=CALL_DEADLINE, when_late=(
        "On \"exit\", each consumer must be told to stop (a stop value each, or cancel()) "
        "before you wait for it."))
    counts = outcome.value
    problems = outcome.problems(call)
    if outcome.left:
        problems.append("Nothing run_session starts may outlive the call: on \"exit\", "
                        "stop every consumer and wait until each has ended (await the "
                        "tasks, or start them in an asyncio.TaskGroup).")
    problems += _started_problems(outcome, words)
    problems += _count_problems(counts, expected_counts(words))
    fail_if_any(call, problems)


def _started_problems(outcome: Outcome, words: list[str]) -> list[str]:
    """Counts are only right if they count tasks that really ran side by side."""
    wanted = sum(1 for word in words if word != "exit")
    most = max(expected_counts(words), default=0)
    if outcome.created < wanted:
        return [f"it started {plural(outcome.created, 'task')}; each word other than "
                f"\"exit\" starts a consumer task ({wanted} here): "
                "asyncio.create_task(consumer(queue))."]
    if outcome.most_at_once < most:
        return [f"at most {plural(outcome.most_at_once, 'task')} ran at once, but "
                f"{most} consumers should have been running side by side before an "
                "\"exit\": start a task per word, and stop them only on \"exit\"."]
    return []


def _count_problems(counts: object, expected: list[int]) -> list[str]:
    """A plain list of plain ints, each right."""
    if type(counts) is not list:
        return [f"it returned {counts!r}, a {type(counts).__name__}; return a list "
                "(a plain list) with one count per word."]
    bad = next((c for c in counts if type(c) is not int), None)
    if bad is not None:
        return [f"it returned {counts!r}, which holds {bad!r}, a {type(bad).__name__}: "
                "each count is an int."]
    if counts == expected:
        return []
    return [f"it returned {counts!r}; after each word, the consumer tasks alive should "
            f"number {expected!r}: one more per word, none after \"exit\" (count the "
            "consumer tasks that are not done, not every task of the loop)."]
