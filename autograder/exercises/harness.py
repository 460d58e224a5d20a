"""What every exercise check needs: a failure type, workers that report their
errors, answers run in isolation, and learner errors located in plain words."""

from __future__ import annotations

import threading
import traceback
import types
from typing import Any
from collections.abc import Callable

from ..threads import DeadlineExceeded, call_with_deadline
from ..threads.census import real_is_alive
from ..threads.origins import started_threads
from ..threads.locations import Location, learners_line

from . import too_slow
from .limits import CALL_DEADLINE  # noqa: E402,F401 - re-exported for the checks


class CheckFailed(AssertionError):
    """An answer is wrong; the message says how, in words for the learner."""


class TooSlow(CheckFailed):
    """Right in the end, but past a time bound: on a busy machine that can be
    the scheduler's doing, so a case failing only this way is tried again."""


def retry_when_too_slow(case: Callable[[], Any]) -> Any:
    """Run ``case``; if it fails only by being too slow, run it again
    (``too_slow``: three tries, more on an overloaded machine)."""
    __tracebackhide__ = True
    return too_slow.retry_when_too_slow(
        case, slow=TooSlow, give_up=lambda error, tries: TooSlow(f"{error} (in each of "
                                                                 f"{tries} tries)"))


def expect(condition: object, message: str) -> None:
    __tracebackhide__ = True
    if not condition:
        raise CheckFailed(message)


def where_raised(error: BaseException) -> str:
    """``In [5], line 3 in consumer(): ...`` for the learner's deepest frame."""
    stack = tuple(Location(f.filename, f.lineno or 0, f.name)
                  for f in traceback.extract_tb(error.__traceback__))
    line = learners_line(stack) or (stack[-1] if stack else None)
    return line.describe() if line else "an unknown line"


def learner_error(error: BaseException, what: str) -> CheckFailed:
    """Turn an exception from learner code into a verdict."""
    if isinstance(error, NotImplementedError):
        return CheckFailed(f"{what} is not written yet (it raises NotImplementedError "
                           f"at {where_raised(error)}).")
    return CheckFailed(f"{what} raised {type(error).__name__}: {error}\n"
                       f"  at {where_raised(error)}")


def call_answer(func: Callable[..., Any], *args: Any, what: str,
                expected: tuple[type[BaseException], ...] = (),
                timeout: float = CALL_DEADLINE, at_start: Callable[[], Any] | None = None,
                at_return: Callable[[], Any] | None = None) -> Any:
    """Call learner code under a deadline; its unexpected errors become verdicts.

    Exceptions in ``expected`` (such as a TimeoutError the exercise asks for)
    reach the caller unchanged.
    """
    __tracebackhide__ = True
    try:
        return call_with_deadline(func, *args, timeout=timeout, what=what,
                                  at_start=at_start, at_return=at_return)
    except DeadlineExceeded:
        raise
    except expected:
        raise
    except Exception as error:  # noqa: BLE001 - the learner's code failed
        raise learner_error(error, what) from None


class Worker(threading.Thread):
    """A thread that runs learner code and keeps any exception it raises.

    Daemon, so a worker stuck for good does not keep the kernel from exiting;
    reports do not blame the learner for that flag.
    """

    started_by_check = True

    def __init__(self, func: Callable[..., Any], *args: Any, name: str) -> None:
        super().__init__(target=func, args=args, name=name, daemon=True)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            super().run()
        except BaseException as error:  # noqa: BLE001 - reported by the check
            self.error = error

    def raise_error(self, what: str) -> None:
        __tracebackhide__ = True
        if self.error is not None:
            raise learner_error(self.error, what)


def isolated(func: Callable[..., Any], **replacements: Any) -> Callable[..., Any]:
    """A copy of ``func`` that sees ``replacements`` instead of its own globals.

    So one answer is graded on its own: ``run_session`` is checked with a
    known-good ``consumer``, and a broken ``consumer`` costs only its own test.
    """
    if not isinstance(func, types.FunctionType):
        return func
    scope = dict(func.__globals__)
    scope.update(replacements)
    clone = types.FunctionType(func.__code__, scope, func.__name__,
                               func.__defaults__, func.__closure__)
    clone.__kwdefaults__ = func.__kwdefaults__
    return clone


def running_at_return(threads: Callable[[], list[threading.Thread]]
                      ) -> tuple[Callable[[], None], list[threading.Thread]]:
    """An ``at_return`` hook that records which of ``threads()`` still run.

    It runs in the caller's thread the instant the answer returns, before
    stragglers get a chance to finish, so "returned too early" is seen.
    """
    still: list[threading.Thread] = []

    def look() -> None:
        still.extend(t for t in threads() if real_is_alive(t))
    return look, still


def started_since(before: set[int]) -> list[threading.Thread]:
    """Threads started (through Thread.start) since ``before`` was taken."""
    return [t for t in started_threads() if id(t) not in before]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def fail_if_any(call: str, problems: list[str], joiner: str = ": ", each: str = "",
                failure: type[Exception] = CheckFailed) -> None:
    """Raise ``failure`` naming the call and its one problem, or numbering them all."""
    __tracebackhide__ = True
    if len(problems) == 1:
        raise failure(f"{call}{joiner}{problems[0]}")
    if problems:
        raise failure(f"{call} went wrong in {len(problems)} ways:\n" + "\n".join(
            f"({number}) {each}{problem}" for number, problem in enumerate(problems, 1)))
