"""What lesson 06's checks share: an answer that must be a coroutine function,
run on a fresh loop of the check's own (``autograder.tasks``), with the
check's deadline and the learner's own errors told apart."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any
from collections.abc import Callable

from ..tasks import DidNotReturn, Outcome, run_on_fresh_loop
from ..threads import DeadlineExceeded
from .harness import CheckFailed, learner_error

HELD = ("A blocking call (time.sleep, a lock, a plain socket) holds the event loop: "
        "await instead.")


def require_coroutine_function(answer: Callable, signature: str) -> None:
    """``signature``: how the answer is declared, ``read_then_stop(host, port)`` say."""
    if not inspect.iscoroutinefunction(answer):
        name = signature.split("(")[0]
        raise CheckFailed(f"{name} must be a coroutine function (async def {signature}): "
                          "the check runs it on an event loop.")


def run_answer(function: Callable, *args: Any, what: str, deadline: float, when_late: str,
               **options: Any) -> Outcome:
    """``run_on_fresh_loop``, with its failures in the learner's words: a loop held
    past the deadline, a call still running at it (``when_late``: what to do),
    or an exception of the learner's code."""
    __tracebackhide__ = True
    try:
        outcome = run_on_fresh_loop(function, *args, deadline=deadline, what=what, **options)
        outcome.result()
    except DeadlineExceeded as stuck:  # the loop itself was held past the deadline
        raise CheckFailed(f"{stuck}\n{HELD}") from None
    except DidNotReturn as late:
        raise CheckFailed(f"{late}\n{when_late}") from None
    except asyncio.CancelledError:  # not an Exception: told apart, in the learner's words
        raise CheckFailed(f"{what} raised CancelledError, though nobody cancelled it: "
                          "awaiting a task you cancelled (or reading its .result()) "
                          "raises its CancelledError in you. Wait for cancelled tasks "
                          "with asyncio.wait, or gather them with "
                          "return_exceptions=True.") from None
    except Exception as error:  # noqa: BLE001 - the learner's code failed
        raise learner_error(error, what) from None
    return outcome
