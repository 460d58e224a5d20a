"""Run a learner's coroutine on an event loop of the check's own, and see what it left.

    outcome = run_on_fresh_loop(run_session, ["a", "exit"], deadline=3.0)
    outcome.expect_clean("run_session()")

The loop is new for each call and runs in a thread of its own, with a
deadline (``threads.call_with_deadline``): the kernel's loop is not touched,
and a coroutine that never returns, or holds the loop for ever, costs the
check its deadline, not the notebook. What the check sees:

* tasks not done when the coroutine returned (a leak, whatever they do
  later), each with where it waits and where it was created;
* tasks destroyed while pending, which asyncio reports to the loop's
  exception handler ("Task was destroyed but it is pending!"): a task kept in
  no variable, collected mid-flight;
* coroutines never awaited (Python's RuntimeWarning), with where each was
  made (coroutine origin tracking, on in the loop's thread);
* the loop held by a blocking call (``watch.BlockWatch``).

Then the tasks left are cancelled, given a moment, and the loop is closed,
so one check's leftovers never run into the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import logging
import re
import selectors
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from ..threads.deadline import call_with_deadline
from ..threads.locations import Location, learners_line
from .census import LiveTask, describe_task, record_origin, unfinished
from .watch import THRESHOLD, Block, BlockWatch

ORIGIN_DEPTH = 32  # frames kept of where each coroutine was made (never-awaited reports)
CANCEL_GRACE = 0.3  # seconds the leftovers get to end once cancelled (they take ms)
_FRAME_LINE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>\S+)')


class DidNotReturn(TimeoutError):
    """The coroutine was still running at its deadline (the check's, not the learner's)."""


class TaskLeakError(AssertionError):
    """The coroutine left tasks, lost some, never awaited some, or held the loop."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass
class Outcome:
    """What one run on a fresh loop returned and left."""

    value: Any = None
    error: BaseException | None = None
    left: list[LiveTask] = field(default_factory=list)
    destroyed_pending: list[str] = field(default_factory=list)
    never_awaited: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    refused_to_end: list[LiveTask] = field(default_factory=list)
    created: int = 0  # tasks the coroutine's code created (directly or through asyncio)
    most_at_once: int = 0  # the most of them not done at one time
    said: str = ""  # what it printed, warned or logged meanwhile
    returned_at: float | None = None  # time.monotonic() when it returned or raised
    wakeups: list[float] = field(default_factory=list)  # when the loop woke up (monotonic)

    def result(self) -> Any:
        """The coroutine's value, or its exception raised again."""
        if self.error is not None:
            raise self.error
        return self.value

    def problems(self, what: str, excused: Callable[[LiveTask], bool] = lambda task: False
                 ) -> list[str]:
        """Each finding, in a learner's words (empty: a clean run). Tasks for
        which ``excused`` is true are not the learner's fault: not counted."""
        found = []
        left = [task for task in self.left if not excused(task)]
        refused = [task for task in self.refused_to_end if not excused(task)]
        if left:
            found.append(f"{_count(left, 'task')} started by {what} "
                         f"{'were' if len(left) != 1 else 'was'} not done when it "
                         "returned:\n" + "\n".join(describe_task(t) for t in left))
        if refused:
            found.append("Cancelled by the check afterwards, "
                         f"{_count(refused, 'task')} still did not end "
                         f"within {CANCEL_GRACE:g} s (CancelledError caught and ignored?):\n"
                         + "\n".join(describe_task(t) for t in refused))
        if self.destroyed_pending:
            found.append("Tasks were destroyed while still pending (no variable kept "
                         "them, so Python collected them mid-flight):\n"
                         + "\n".join(f"  - {d}" for d in self.destroyed_pending))
        if self.never_awaited:
            found.append("Coroutines were created and never awaited (their code never ran):\n"
                         + "\n".join(f"  - {n}" for n in self.never_awaited))
        if self.blocks:
            found.append("A blocking call held the event loop:\n"
                         + "\n".join(f"  - {b.describe()}" for b in self.blocks))
        return found

    def expect_clean(self, what: str) -> None:
        """Raise TaskLeakError naming every finding, if there is any."""
        __tracebackhide__ = True
        found = self.problems(what)
        if found:
            raise TaskLeakError("\n".join(found), self)


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'s' if len(items) != 1 else ''}"


def run_on_fresh_loop(coroutine_function: Callable[..., Any], *args: Any, deadline: float,
                      block_threshold: float | None = THRESHOLD, what: str | None = None,
                      at_return: Callable[[], Any] | None = None) -> Outcome:
    """Run ``coroutine_function(*args)`` on a new loop, within ``deadline`` seconds.

    ``block_threshold`` None: no watch for a blocked loop (its pings wake the
    loop 50 times a second, which a check that counts wake-ups cannot have).
    ``at_return`` runs the moment the coroutine returns or raises, before any
    other task takes a step: what a check must see exactly then.
    """
    what = what or f"{getattr(coroutine_function, '__name__', 'the coroutine')}()"
    return call_with_deadline(_run, coroutine_function, args, deadline, block_threshold, what,
                              at_return, timeout=deadline + 2 * CANCEL_GRACE + 1.0, what=what)


def _run(coroutine_function, args, deadline: float, block_threshold: float | None,
         what: str, at_return: Callable[[], Any] | None) -> Outcome:
    outcome = Outcome()
    loop = asyncio.SelectorEventLoop(_CountingSelector(outcome.wakeups))
    loop.set_exception_handler(lambda _loop, context: _loop_report(outcome, context))
    depth = sys.get_coroutine_origin_tracking_depth()
    sys.set_coroutine_origin_tracking_depth(ORIGIN_DEPTH)
    said = io.StringIO()
    heard = logging.StreamHandler(said)
    logging.getLogger().addHandler(heard)
    # What lived before the call is not its garbage: frozen, the collection
    # below scans only what came after (in a notebook's kernel a full one
    # takes 15-30 ms, and a check makes several calls).
    gc.freeze()
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            warnings.simplefilter("always")
            own: set[asyncio.Task] = set()
            kept: list[asyncio.Task] = []  # counted as left: not to be collected later
            main = loop.create_task(_call(coroutine_function, args, outcome, own, kept,
                                          at_return))
            waiting = loop.create_task(asyncio.wait({main}, timeout=deadline))
            own.update({main, waiting})
            loop.set_task_factory(_counting(outcome))  # from here on, the learner's
            watch = (BlockWatch(loop, threading.get_ident(), block_threshold)
                     if block_threshold is not None else contextlib.nullcontext())
            with watch:
                loop.run_until_complete(waiting)
                if main.done():
                    if main.cancelled():
                        outcome.error = asyncio.CancelledError(
                            "the coroutine was cancelled, and the check did not cancel it")
                    else:
                        outcome.error = main.exception()
                        outcome.value = None if outcome.error else main.result()
                else:
                    outcome.error = DidNotReturn(
                        f"{what} did not return within {deadline:g} s{_stuck_at(main)}")
                    main.cancel()  # its census is taken as it ends (_call)
                    loop.run_until_complete(asyncio.wait({main}, timeout=CANCEL_GRACE))
                outcome.refused_to_end = _cancel_the_rest(loop, own)
            outcome.blocks = watch.blocks if block_threshold is not None else []
            gc.collect()  # tasks and coroutines dropped by the learner's code: now
        outcome.never_awaited = [_never_awaited(w) for w in caught
                                 if "was never awaited" in str(w.message)]
        outcome.said = said.getvalue() + "".join(
            f"{w.category.__name__}: {w.message}\n" for w in caught
            if "was never awaited" not in str(w.message))
    finally:
        gc.unfreeze()
        logging.getLogger().removeHandler(heard)
        sys.set_coroutine_origin_tracking_depth(depth)
        loop.close()
    return outcome


class _CountingSelector(selectors.DefaultSelector):
    """The loop's selector, noting each time the loop wakes up: a reader that
    polls wakes it many times a second, one that waits, once."""

    def __init__(self, wakeups: list[float]) -> None:
        super().__init__()
        self._wakeups = wakeups

    def select(self, timeout=None):
        ready = super().select(timeout)
        self._wakeups.append(time.monotonic())
        return ready


def _counting(outcome: Outcome):
    """A task factory that records where each task was made, and counts them."""
    alive = 0

    def ended(_task) -> None:
        nonlocal alive
        alive -= 1

    def factory(loop, coro, context=None):
        nonlocal alive
        task = record_origin(loop, coro, context)
        alive += 1
        outcome.created += 1
        outcome.most_at_once = max(outcome.most_at_once, alive)
        task.add_done_callback(ended)
        return task
    return factory


def _stuck_at(task: asyncio.Task) -> str:
    line = learners_line(LiveTask.of(task).stack)
    return f": suspended at {line.describe()}" if line else ""


async def _call(coroutine_function, args, outcome: Outcome, own: set, kept: list,
                at_return: Callable[[], Any] | None) -> Any:
    """The learner's coroutine, and the census the moment it returns (or raises),
    before any other task runs another step."""
    try:
        return await coroutine_function(*args)
    finally:
        outcome.returned_at = time.monotonic()
        if at_return is not None:
            at_return()
        if asyncio._get_running_loop() is not None:  # not when closed pending
            kept += unfinished(asyncio.get_running_loop(), own)
            outcome.left = [LiveTask.of(task) for task in kept]


def _cancel_the_rest(loop: asyncio.AbstractEventLoop, own: set) -> list[LiveTask]:
    rest = unfinished(loop, own)
    for task in rest:
        task.cancel()
    if rest:
        loop.run_until_complete(asyncio.wait(rest, timeout=CANCEL_GRACE))
    return [LiveTask.of(t) for t in rest if not t.done()]


def _loop_report(outcome: Outcome, context: dict) -> None:
    message = context.get("message", "")
    task = context.get("task")
    if task is not None and "destroyed but it is pending" in message:
        outcome.destroyed_pending.append(describe_task(LiveTask.of(task), indent="").lstrip(
            "- ").replace("\n    ", "; "))


def _never_awaited(caught: warnings.WarningMessage) -> str:
    text = str(caught.message)
    name = text.split("\n", 1)[0]
    origin = tuple(Location(m["file"], int(m["line"]), m["function"])
                   for m in _FRAME_LINE.finditer(text))
    made = learners_line(origin)
    return f"{name}; made at {made.describe()}" if made else name
