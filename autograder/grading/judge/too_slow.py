"""A case that failed only by being too slow is tried again.

The judge times calls from outside, on a machine that grades other
submissions at the same time: a right answer can miss a time bound once
because the scheduler looked away. An answer slow by design misses it every
time and is still rejected (the same rule as the in-kernel checks'
``retry_when_too_slow``).
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

from .subject import Rejected

TRIES_WHEN_TOO_SLOW = 3


class TooSlow(Rejected):
    """Right in the end, but past a time bound: the case is tried again."""


def retried(run_case: Callable[..., Any], *args: Any) -> Any:
    for attempt in range(1, TRIES_WHEN_TOO_SLOW + 1):
        try:
            return run_case(*args)
        except TooSlow as slow:
            if attempt == TRIES_WHEN_TOO_SLOW:
                raise Rejected(f"{slow} (in each of {TRIES_WHEN_TOO_SLOW} tries)") from None
    raise AssertionError("unreachable")
