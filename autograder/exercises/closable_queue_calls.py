"""The calls lesson 05's closable_queue checks make on a learner's queue, and
how they compare what came out: shared by the one-thread, many-thread and
race cases (``closable_queue``, ``closable_queue_threads``,
``closable_queue_races``) and by the judge."""

from __future__ import annotations

from typing import Any

from ..threads.stand_ins import stand_in
from .harness import call_answer
from .limits import AT_ONCE


def get_outcome(q: Any, Closed: type, what: str = "q.get()") -> tuple[str, Any]:
    """``("item", value)`` or ``("closed", error)``: what one get() did, at once."""
    try:
        return "item", call_answer(q.get, what=what, expected=(Closed,), timeout=AT_ONCE)
    except Closed as error:
        return "closed", error


def same(got: Any, wanted: Any) -> bool:
    """Equal, with the exact types: 0 is not False, and None is itself."""
    if type(got) is not type(wanted):
        return False
    if type(got) is list:
        return len(got) == len(wanted) and all(map(same, got, wanted))
    if type(got) is dict:
        return got.keys() == wanted.keys() and all(same(got[k], wanted[k]) for k in got)
    return got == wanted


@stand_in("the check's getter: q.get()")
def get_once(q: Any, outcome: list) -> None:
    try:
        outcome.append(("item", q.get()))
    except BaseException as error:  # noqa: BLE001 - judged by the check
        outcome.append(("raised", error))
