"""Checks for lesson 06's first_within: the first result within a timeout, the
rest cancelled and awaited; a timeout when nothing comes; a task that refuses
to be cancelled named, not waited for without end; the caller's own
cancellation passed on.

The work is the check's: coroutine functions that record when they start,
whether they were cancelled and when they end, so the check knows, at the
moment first_within returns, whether each one had really ended.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from ..tasks import LiveTask, Outcome
from .coroutines import require_coroutine_function, run_answer
from .harness import fail_if_any, learner_error, plural
from .registry import exercise

SLACK = 0.25  # seconds a right answer may take past the moment it should return


@dataclass
class Work:
    """One coroutine function handed to first_within, and what happened to it."""

    name: str
    delay: float  # seconds until its result (or for ever, if None)
    stubborn: bool = False  # catches CancelledError and goes on
    started: float | None = None
    task: asyncio.Task | None = None  # the task it runs in
    cancelled: bool = False
    ended: float | None = None
    function: Callable[[], Any] = field(init=False, repr=False)
    # Told as it happens (the judge's probe shows each to the judge outside).
    on_start: Callable[[], None] = field(default=lambda: None, repr=False)
    on_end: Callable[[], None] = field(default=lambda: None, repr=False)

    def state(self) -> str:
        """"ended", "cancel asked" (not yet delivered) or "running"."""
        if self.ended is not None:
            return "ended"
        return "cancel asked" if self.task is not None and self.task.cancelling() else "running"

    def __post_init__(self) -> None:
        async def work() -> str:
            self.started = time.monotonic()
            self.task = asyncio.current_task()
            self.on_start()
            try:
                await self._wait()
                return f"result of {self.name}"
            except asyncio.CancelledError:
                self.cancelled = True
                if self.stubborn:  # the work's fault: it goes on regardless
                    await asyncio.sleep(30)
                raise
            finally:
                self.ended = time.monotonic()
                self.on_end()
        work.__name__ = work.__qualname__ = self.name
        self.function = work

    async def _wait(self) -> None:
        if self.delay is None:
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(self.delay)


@dataclass(frozen=True)
class Case:
    timeout: float
    works: tuple[Work, ...]
    cancel_caller_after: float | None = None  # the check cancels the call itself

    @property
    def winner(self) -> Work | None:
        in_time = [w for w in self.works if w.delay is not None and w.delay < self.timeout]
        return min(in_time, key=lambda w: w.delay) if in_time else None

    def describe(self) -> str:
        works = ", ".join(w.name for w in self.works)
        return f"first_within({self.timeout:g}, {works})"


def cases(hidden: bool, rng: random.Random | None = None) -> list[Callable[[], Case]]:
    """Fresh works for each case (a case's works keep a record); the hidden
    ones drawn by ``rng`` (the judge's: fresh for each submission)."""
    if not hidden:
        return [
            lambda: Case(0.5, (Work("slow_mirror", 5), Work("fast_mirror", 0.05))),
            lambda: Case(0.2, (Work("never_a", None), Work("never_b", 5))),
            lambda: Case(0.2, (Work("stubborn_mirror", 5, stubborn=True),
                               Work("quick_mirror", 0.05))),
            lambda: Case(1.0, (Work("first", 5), Work("second", 5)), cancel_caller_after=0.1),
        ]
    rng = rng or random.Random(606)
    made: list[Callable[[], Case]] = []
    for number in range(4):
        # Results in time come far apart and well before the timeout: which one is
        # first must not hang on a busy machine's scheduling.
        timeout = rng.choice([0.3, 0.4])
        in_time = rng.sample([0.02, 0.06, 0.1], rng.randint(0, 2))
        delays = in_time + [rng.choice([2.0, None]) for _ in range(rng.randint(1, 4))]
        rng.shuffle(delays)
        names = [f"mirror_{number}_{index}" for index in range(len(delays))]
        made.append(lambda t=timeout, d=tuple(delays), n=tuple(names): Case(
            t, tuple(Work(name, delay) for name, delay in zip(n, d))))
    made.append(lambda: Case(0.3, (Work("never_c", None),
                                   Work("stubborn_c", 3, stubborn=True))))
    return made


@exercise("cancel_on_timeout", needs=("first_within",))
def check_first_within(answers: dict[str, Any], hidden: bool) -> str:
    answer = answers["first_within"]
    require_coroutine_function(answer, "first_within(timeout, *work)")
    for make in cases(hidden):
        case = make()
        fail_if_any(case.describe(), case_problems(answer, case))
    return ("the first result came back at once, the rest were cancelled and awaited, "
            "a timeout raised TimeoutError, and a task that refused was named, not waited for.")


@dataclass
class _Seen:
    """What the check's driver saw of one call."""

    value: Any = None
    error: BaseException | None = None
    returned_after: float = 0.0
    at_return: dict[str, str] = field(default_factory=dict)  # name -> Work.state()


def case_problems(answer: Callable, case: Case,
                  at_return: Callable[[], None] = lambda: None) -> list[str]:
    """What is wrong with one call (CheckFailed if the learner's code failed
    on its own); ``at_return`` runs the moment it returns, before any other
    task takes a step."""
    call = case.describe()
    seen = _Seen()

    async def call_and_look() -> None:
        """The call, and what had ended the moment it returned or raised (before
        any other task takes a step)."""
        start = time.monotonic()
        try:
            seen.value = await answer(case.timeout, *(w.function for w in case.works))
        except BaseException as error:  # noqa: BLE001 - judged below, with the rest
            seen.error = error
        finally:
            seen.returned_after = time.monotonic() - start
            seen.at_return = {w.name: w.state() for w in case.works}
            at_return()

    async def driver() -> None:
        call = asyncio.ensure_future(call_and_look())
        if case.cancel_caller_after is not None:
            await asyncio.sleep(case.cancel_caller_after)
            call.cancel()
        await asyncio.wait({call})

    # Still running past 2 x timeout is already wrong: no need to wait longer.
    deadline = 2 * case.timeout + 2 * SLACK
    outcome = run_answer(driver, what=call, deadline=deadline, when_late=(
        "Give up on a task that does not end within 2 × timeout: wait for the cancelled "
        "ones with a time limit (asyncio.wait(tasks, timeout=...))."))
    if isinstance(seen.error, Exception) and not isinstance(seen.error, TimeoutError):
        raise learner_error(seen.error, call)  # not written yet, or broken: say that alone
    return _verdict(case, seen, outcome)


def _verdict(case: Case, seen: _Seen, outcome: Outcome) -> list[str]:
    stubborn = {w.name for w in case.works if w.stubborn}
    # The stubborn work's own task, even when the learner's wrapper coroutine runs it
    # (told by identity: an answer may give all its tasks one name).
    stubborn_tasks = {id(w.task) for w in case.works if w.stubborn and w.task}

    def excused(task: LiveTask) -> bool:  # the work's fault, not the learner's
        return task.coroutine in stubborn or task.task_id in stubborn_tasks

    problems = outcome.problems("first_within", excused)
    problems += _started_problems(case)
    if case.cancel_caller_after is not None:
        return problems + _caller_cancelled_problems(case, seen)
    if isinstance(seen.error, asyncio.CancelledError):
        return problems + ["it raised CancelledError, though nobody cancelled the call: "
                           "cancel the other tasks, not the one you run in."]
    winner = case.winner
    if winner is None:
        problems += _timeout_problems(case, seen)
    else:
        problems += _result_problems(case, seen, winner)
    unfinished = {w.name: seen.at_return[w.name] for w in case.works
                  if w is not winner and not w.stubborn and w.started is not None
                  and seen.at_return[w.name] != "ended"}
    if "cancel asked" in unfinished.values():
        they = "it" if len(unfinished) == 1 else "they"
        problems.append(f"it cancelled {', '.join(unfinished)} but returned before {they} "
                        "had ended: cancel() only asks; await the cancelled tasks "
                        "(asyncio.wait or gather) before you return.")
    elif unfinished:
        problems.append(f"it returned while {', '.join(unfinished)} still ran: cancel "
                        "each task still running, then await them (asyncio.wait or gather) "
                        "before you return.")
    if stubborn:
        problems += _stubborn_problems(case, seen, outcome, stubborn)
    return problems


def _started_problems(case: Case) -> list[str]:
    never = [w.name for w in case.works if w.started is None]
    if never:
        return [f"{', '.join(never)} never started: start every work as a task of its own "
                "at once (asyncio.create_task(work())), so they run side by side."]
    first_end = min((w.ended for w in case.works if w.ended is not None), default=None)
    late = [w.name for w in case.works if first_end is not None and w.started > first_end]
    if late:
        return [f"{', '.join(late)} started only after another work had ended: the work "
                "ran one after another; start them all as tasks first, then wait."]
    return []


def _result_problems(case: Case, seen: _Seen, winner: Work) -> list[str]:
    problems = []
    if seen.error is not None:
        problems.append(f"it raised {type(seen.error).__name__}, but {winner.name} "
                        f"returned after {winner.delay:g} s, within the timeout: return "
                        "its result.")
    elif seen.value != f"result of {winner.name}":
        problems.append(f"it returned {seen.value!r}; the first result to arrive was "
                        f"{winner.name}'s, {f'result of {winner.name}'!r}.")
    if not any(w.stubborn for w in case.works) and seen.returned_after > winner.delay + SLACK:
        problems.append(f"it returned {seen.returned_after:.2f} s after the call, though "
                        f"{winner.name}'s result came after {winner.delay:g} s: return as "
                        "soon as the first result arrives (return_when=FIRST_COMPLETED), "
                        "not after the whole timeout.")
    return problems


def _timeout_problems(case: Case, seen: _Seen) -> list[str]:
    problems = []
    if not isinstance(seen.error, TimeoutError):
        problems.append(f"it returned {seen.value!r}, but no work finished within "
                        f"{case.timeout:g} s: raise TimeoutError.")
    stubborn = any(w.stubborn for w in case.works)
    limit = (2 * case.timeout if stubborn else case.timeout) + SLACK
    if seen.returned_after > limit:
        problems.append(f"it took {seen.returned_after:.2f} s; with a timeout of "
                        f"{case.timeout:g} s it should be done within {limit - SLACK:g} s.")
    return problems


def _stubborn_problems(case: Case, seen: _Seen, outcome: Outcome,
                       stubborn: set[str]) -> list[str]:
    problems = []
    limit = 2 * case.timeout + SLACK
    if seen.returned_after > limit:
        problems.append(f"it took {seen.returned_after:.2f} s: a task that ignores "
                        "cancel() must not hold the call past 2 × timeout "
                        f"({2 * case.timeout:g} s); wait for the cancelled tasks with a "
                        "time limit, then give up on those still running.")
    unnamed = [name for name in stubborn if name not in outcome.said]
    if unnamed:
        problems.append(f"{' and '.join(unnamed)} refused to be cancelled and the call "
                        "did not say so: name each task still running after the wait "
                        "(print it, warnings.warn or logging), with its work's name.")
    return problems


def _caller_cancelled_problems(case: Case, seen: _Seen) -> list[str]:
    problems = []
    if not isinstance(seen.error, asyncio.CancelledError):
        got = (f"raised {type(seen.error).__name__}" if seen.error is not None
               else f"returned {seen.value!r}")
        problems.append(f"the check cancelled the call after {case.cancel_caller_after:g} "
                        f"s, and it {got}: a CancelledError of the caller must go on up "
                        "(re-raise it after cleaning up; never swallow it).")
    # Asked to cancel is enough here: the caller's cancellation is on its way up,
    # and what the lesson asks of the call is to pass it on to the tasks it started.
    running = [w.name for w in case.works if w.started is not None
               and seen.at_return[w.name] == "running"]
    if running:
        problems.append(f"cancelled by the check, it left {plural(len(running), 'task')} "
                        f"running ({', '.join(running)}) without cancelling them: cancel them on "
                        "the way out (try/finally, or an asyncio.TaskGroup).")
    return problems
