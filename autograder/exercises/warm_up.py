"""The ungraded warm-up of lesson 00: a first taste of check()."""

from __future__ import annotations

from typing import Any

from ..threads import Baseline, LeakError
from .registry import exercise
from .harness import CheckFailed, call_answer, expect


@exercise("warm_up", needs=("count_to",))
def check_warm_up(answers: dict[str, Any], hidden: bool) -> str:
    count_to = answers["count_to"]
    for n in (1, 5, 20):
        baseline = Baseline()
        got = call_answer(count_to, n, what=f"count_to({n})")
        try:
            baseline.expect_gone(1.0, what=f"count_to({n})")
        except LeakError as leak:
            raise CheckFailed(f"count_to({n}) returned {got!r} but left threads behind.\n"
                              f"{leak}") from None
        expect(got == list(range(1, n + 1)),
               f"count_to({n}) returned {got!r}; it should be {list(range(1, n + 1))!r}.")
    return "count_to counts, and every thread it started has ended."
