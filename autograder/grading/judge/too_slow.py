"""A case that failed only by being too slow is tried again, by the rule the
in-kernel checks follow (``exercises.too_slow``): the judge times calls from
outside, on a machine that grades other submissions at the same time. An
answer slow by design misses the bound every time and is still rejected.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

from ...exercises import too_slow
from .subject import Rejected


class TooSlow(Rejected):
    """Right in the end, but past a time bound: the case is tried again."""


def retried(run_case: Callable[..., Any], *args: Any) -> Any:
    return too_slow.retry_when_too_slow(
        run_case, *args, slow=TooSlow,
        give_up=lambda slow, tries: Rejected(f"{slow} (in each of {tries} tries)"))
