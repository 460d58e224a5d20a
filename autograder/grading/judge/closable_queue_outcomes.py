"""How lesson 05's closable_queue judge reads what the learner's queue did,
as the probe reported it, and words it: shared by the one-thread and the
many-thread judging (``closable_queue``, ``closable_queue_threads``)."""

from __future__ import annotations

from typing import Any

from ...exercises.limits import AT_ONCE
from .subject import Rejected


def shown(value: Any) -> str:
    if isinstance(value, dict):
        return ("the object() put" if "object" in value else
                f"a {value.get('not_plain', 'strange')} object")
    return repr(value)


def reject_unmade(data: dict) -> None:
    """Reject when the probe could not make a queue."""
    if "closed_is" in data:
        raise Rejected(f"Closed is {data['closed_is']}; it should be a class of exception: "
                       "class Closed(Exception).")
    made = data.get("made")
    if made == ["hung"]:
        raise Rejected(f"ClosableQueue() did not return within {AT_ONCE:g} s.")
    if isinstance(made, list):
        reject_error("ClosableQueue()", "", made)


def reject_ended_early(data: dict) -> None:
    reject_unmade(data)
    raise Rejected("The closable_queue probe ended before it used the queue.")


def went_instead(call: str, got: Any) -> str:
    """What a put() or close() that should have returned did instead."""
    if got == ["closed"]:
        return f"{call} raised Closed, though the queue was open."
    if got == ["hung"]:
        return f"{call} did not return within {AT_ONCE:g} s: it should never wait."
    if isinstance(got, list) and len(got) == 2 and got[0] == "error":
        return f"{call} raised {got[1]}"
    return f"{call} gave no outcome."


def reject_error(call: str, before: str, got: list) -> None:
    text = str(got[1]) if len(got) > 1 else "an error"
    if text.startswith("NotImplementedError"):
        raise Rejected(f"{call} is not written yet (it raises NotImplementedError).")
    raise Rejected(f"{before}{call} raised {text}")
