"""Lesson 06's probe for first_within: the check's cases, each work tied to a
pipe whose far end the judge holds.

A task lives inside this process, where nothing outside can see it. The
work it runs can be seen, though: each work writes one byte on its pipe when
it starts and closes the pipe when it ends, however it ends (returned,
cancelled, or cancelled and refusing for a while). The judge holds the read
ends, handed over before the call; when first_within returns, the loop is
held (``held``) while the judge reads which works had started and which had
ended. What the in-kernel check finds (the task census, the value, the
timing) comes back as data; the judge draws the hidden cases' seed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

from ..exercises.cancel_on_timeout import Case, case_problems, cases
from ..exercises.harness import CheckFailed, Worker
from .held import Held
from .registry import error_text, probe

_write, _close, _pipe = os.write, os.close, os.pipe  # bound before any learner code runs
STARTED = b"S"


@probe("cancel_on_timeout")
def first_within_cases(namespace: dict, hidden: bool, seed: int) -> Iterator[dict]:
    """For each case: ``case`` (its number; the read ends handed over), then
    ``returned`` (the loop held at the return), then what the check found;
    the result, empty, after the last."""
    answer = namespace.get("first_within")
    if not callable(answer):
        return {"missing": ["first_within"]}
    if type(hidden) is not bool or type(seed) is not int:
        raise ValueError("a bad case")
    for number, make in enumerate(cases(hidden, random.Random(seed))):
        case = make()
        open_ends = _tie_to_pipes(case)
        try:
            yield {"case": number, "handing": [read for read, _ in open_ends.values()]}
            yield from _run(answer, case)
        finally:
            for _, write in list(open_ends.values()):
                _close_once(open_ends, write)
    return {}


def _tie_to_pipes(case: Case) -> dict[str, tuple[int, int]]:
    """Each work's pipe (read end, write end), by the work's name."""
    ends = {}
    for work in case.works:
        read, write = _pipe()
        ends[work.name] = (read, write)
        work.on_start = lambda write=write: _write(write, STARTED)
        work.on_end = lambda write=write: _close_once(ends, write)
    return ends


def _close_once(ends: dict[str, tuple[int, int]], write: int) -> None:
    for name, (_, fd) in list(ends.items()):
        if fd == write:
            del ends[name]
            _close(write)


def _run(answer: Any, case: Case) -> Iterator[dict]:
    held, outcome = Held(), {}

    def call() -> None:
        try:
            outcome["problems"] = [str(p) for p in case_problems(
                answer, case, at_return=lambda: held.announce("returned", True))]
        except CheckFailed as failure:
            outcome["failed"] = str(failure)[:2000]
        except BaseException as error:  # noqa: BLE001 - reported to the judge
            outcome["failed"] = error_text(error)

    caller = Worker(call, name="first_within caller")
    caller.start()
    yield from held.relay(caller)
    caller.join(10.0)
    yield {"failed": outcome["failed"]} if "failed" in outcome else \
        {"problems": outcome.get("problems", ["the check did not finish"])}
