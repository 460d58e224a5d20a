"""Lesson 06's first_within judged from outside, as far as a task can be seen.

Tasks live inside the learner's process, but the work each one runs is the
check's, and each work is tied to a pipe whose read end the judge holds
(``probes.cancel_on_timeout``): a byte when the work starts, the pipe closed
when it ends. The moment first_within returns (the loop held there), the
judge reads every pipe itself: a work that started, is neither the winner
nor the one that refuses to be cancelled, and has not ended, was left
running, whatever the census inside the process was made to say. The rest
(the value, the timing, the census's findings) comes back as data. The
hidden cases are drawn from a seed the judge picks for each submission.
"""

from __future__ import annotations

import os
import random

from ...exercises.cancel_on_timeout import Case, cases
from ...exercises.harness import fail_if_any
from ...probes.cancel_on_timeout import STARTED
from .registry import expect, fresh_rng, judge, reported_problems
from .subject import Rejected, Subject


@judge("cancel_on_timeout")
def judge_first_within(subject: Subject, hidden: bool) -> None:
    for part in ([False, True] if hidden else [False]):  # as the graded cell runs them
        _judge_cases(subject, part, fresh_rng().randrange(1 << 32))


def _judge_cases(subject: Subject, hidden: bool, seed: int) -> None:
    kind, step = subject.call("cancel_on_timeout", hidden=hidden, seed=seed)
    for number, make in enumerate(cases(hidden, random.Random(seed))):
        case = make()
        expect(kind == "step" and step.get("case") == number,
               "the cancel_on_timeout probe did not run the judge's case")
        pipes = subject.take_files(step, len(case.works), "the works' pipes")
        try:
            kind, step = subject.resume("cancel_on_timeout")
            seen = None
            if kind == "step" and step.get("returned") is True:  # held at the return
                seen = [_seen(fd) for fd in pipes]
                kind, step = subject.resume("cancel_on_timeout")
        finally:
            for fd in pipes:
                os.close(fd)
        expect(kind == "step", "the cancel_on_timeout probe did not finish its case")
        _decide(case, seen, step)
        kind, step = subject.resume("cancel_on_timeout")
    expect(kind == "result", "the cancel_on_timeout probe ran more cases than the judge's")


def _seen(pipe: int) -> tuple[bool, bool]:
    """(started, ended) of one work, read from its pipe without waiting."""
    os.set_blocking(pipe, False)
    started = ended = False
    try:
        while chunk := os.read(pipe, 16):
            started = started or STARTED in chunk
        ended = True  # end of file: the work closed its end
    except BlockingIOError:
        pass
    return started, ended


def _decide(case: Case, seen: list[tuple[bool, bool]] | None, found: dict) -> None:
    problems = reported_problems(found, "cancel_on_timeout")
    expect(seen is not None, "the cancel_on_timeout probe never held the call's return")
    fail_if_any(case.describe(), _seen_from_outside(case, seen) or problems, failure=Rejected)


def _seen_from_outside(case: Case, seen: list[tuple[bool, bool]]) -> list[str]:
    never = [w.name for w, (started, _) in zip(case.works, seen) if not started]
    if never:
        return [f"{', '.join(never)} never started: start every work as a task of its own "
                "at once (asyncio.create_task(work())), so they run side by side."]
    if case.cancel_caller_after is not None:
        return []  # cancelled by its caller, the call need only ask its tasks to end
    running = [w.name for w, (_, ended) in zip(case.works, seen)
               if w is not case.winner and not w.stubborn and not ended]
    if running:
        return [f"it returned while {', '.join(running)} had not ended: cancel each task "
                "still running, then await them (asyncio.wait or gather) before you return."]
    return []
