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
from .held import Held, relayed_call
from .registry import probe

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
        reads, writes = _tie_to_pipes(case)
        try:
            yield {"case": number, "handing": reads}  # the channel closes them here
            yield from _run(answer, case)
        finally:
            for name in list(writes):
                _close_once(writes, name)
    return {}


def _tie_to_pipes(case: Case) -> tuple[list[int], dict[str, int]]:
    """Each work's pipe: the read ends, for the judge, and the write ends by
    the work's name, open until the work ends."""
    reads, writes = [], {}
    for work in case.works:
        read, write = _pipe()
        reads.append(read)
        writes[work.name] = write
        work.on_start = lambda write=write: _write(write, STARTED)
        work.on_end = lambda name=work.name: _close_once(writes, name)
    return reads, writes


def _close_once(writes: dict[str, int], name: str) -> None:
    """Close a work's write end, once, whichever thread gets there first."""
    write = writes.pop(name, None)  # one atomic step: a second caller finds nothing
    if write is not None:
        _close(write)


def _run(answer: Any, case: Case) -> Iterator[dict]:
    held = Held()

    def call() -> dict:
        return {"problems": [str(p) for p in case_problems(
            answer, case, at_return=lambda: held.announce("returned", True))]}

    outcome = yield from relayed_call(held, call, name="first_within caller", join=10.0)
    yield {"failed": outcome["failed"]} if "failed" in outcome else \
        {"problems": outcome.get("problems", ["the check did not finish"])}
