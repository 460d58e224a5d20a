"""Lesson 03's race test, the grading side: hand the learner's WaitGroup to a
child process that hammers it from many threads (``race_probe``, ``race_child``),
and turn the child's report into the learner's verdict (the judge gives the
same verdicts from its own trials)."""

from __future__ import annotations

from typing import Any

from ..threads.locations import Location, learners_line
from .harness import CALL_DEADLINE, CheckFailed, expect, plural
from .limits import AT_ONCE
from .race_probe import Unavailable, race_request, run_probe

RACE_STARTUP = 5.0  # the race test's child process: its start-up, on a busy machine
# The stepped pairs: about 70 steps each for a right WaitGroup, 0.3 s on an
# idle machine; this allows for a loaded one.
STEPPED_BUDGET = 10.0


def race_budget(trials: int, stepped: bool) -> float:
    """Seconds the race test's child may take, start-up to report."""
    return RACE_STARTUP + STEPPED_BUDGET * stepped + trials * (CALL_DEADLINE + AT_ONCE + 1.0)


def _told(threads: int, rounds: int) -> str:
    return (f"{threads} threads each called wg.add(1) {rounds} times, all at once, then "
            "wg.done() as many times")


STEPPED_TOLD = ("one thread's wg.add(1) or wg.done() was stopped before each of its steps in "
                "turn while another thread's call ran")
LOST_UPDATE = ("Two threads read the same counter value and both wrote back their own "
               "result, so one update was lost. Read, check and write the counter while "
               "holding the Condition's lock, all in one `with` block.")


def _where(stack: list, fallback: str = "an unknown line") -> str:
    locations = tuple(Location(str(f), int(n), str(name)) for f, n, name in stack)
    line = learners_line(locations) or (locations[-1] if locations else None)
    return line.describe() if line else fallback


def _counter_seen(counter: Any) -> str:
    """What the counter attribute, if the race test found one, says was lost."""
    if not (isinstance(counter, list) and len(counter) == 2 and type(counter[1]) is int):
        return ""
    name, value = counter
    which = ("some of the done() calls were lost" if value > 0 else
             "some of the add(1) calls were lost, and done() then took the counter "
             "below 0 without complaint")
    return f" (self.{name} ended at {value}: {which})"


def race_verdict(report: dict[str, Any], WaitGroup: type, threads: int, rounds: int,
                  budget: float) -> str | None:
    """The learner's message for what the race test's child reported; None if passed."""
    told = STEPPED_TOLD if report.get("phase") == "stepped" else _told(threads, rounds)
    outcome = report.get("outcome")
    if outcome == "passed":
        return None
    seen = _counter_seen(report.get("counter"))
    if outcome == "lost":
        return (f"{told}; afterwards the counter should be 0, but wg.wait(timeout=0) "
                f"returned {report.get('got')}{seen}. {LOST_UPDATE}")
    if outcome == "lost_stepped":
        return (f"{str(report.get('told'))[:300]}: the first was stopped just before "
                f"{_where(report.get('paused_at') or [])}; the second ran meanwhile, then the "
                f"first went on, and afterwards the counter was wrong{seen}. {LOST_UPDATE}")
    if outcome == "released_early":
        return (f"{told}, all but the last done(); then threads that called wg.wait() "
                f"returned before that last done(){seen}. {LOST_UPDATE}")
    if outcome == "not_released":
        return (f"{told}; after the last done(), threads in wg.wait() were still waiting "
                f"{AT_ONCE:g} s later{seen}. {LOST_UPDATE}")
    if outcome == "error":
        kind, message, call = report.get("type"), report.get("message"), report.get("call")
        where = _where(report.get("stack") or [])
        if kind == "ValueError" and report.get("phase") == "done":
            return (f"{told}; wg.done() raised ValueError ({message}) in "
                    f"{plural(report.get('threads', 1), 'thread')}, though no thread called "
                    "done() more often than add(1): some of the add(1) calls were lost, so "
                    f"the counter reached 0 too soon. {LOST_UPDATE}")
        if kind == "NotImplementedError":
            return f"{call} is not written yet (it raises NotImplementedError at {where})."
        if kind == "Untraced":
            return (f"In the race test ({told}), {call} tried to change what makes races "
                    f"show there ({message}: sys.settrace or sys.setswitchinterval). Leave "
                    "them alone in WaitGroup's code.")
        return (f"In the race test ({told}), {call} raised {kind}: {message}\n"
                f"  at {where}")
    if outcome == "stuck":
        phase = {"add": "wg.add(1)", "done": "wg.done()"}.get(report.get("phase", ""),
                                                              "wg.add(1) / wg.done()")
        return (f"{told}; {plural(report.get('threads', 0), 'thread')} had not finished "
                f"{CALL_DEADLINE:g} s later. One was stuck in {phase} at "
                f"{_where(report.get('stack') or [])}. Look for a lock taken and never "
                "released (take it with `with`), a lock taken twice (a Lock is not "
                "re-entrant), or a loop that never ends.")
    if outcome == "wait_stuck":
        return (f"{told}; afterwards wg.wait(timeout=0) did not return within "
                f"{AT_ONCE:g} s (at {_where(report.get('stack') or [])}).")
    if outcome == "left_behind":
        return left_behind(WaitGroup, report.get("names") or [])
    if outcome == "killed":
        return (f"The race test ({told}, in a separate Python process) did not finish "
                f"within {budget:g} s and was stopped. A correct WaitGroup takes well under "
                "a second per round: look for a loop that waits without a timeout, or a "
                "lock taken twice.")
    status = report.get("returncode")
    return ("The race test could not run: its separate Python process "
            + ("could not start" if status is None else
               f"ended without a report (exit status {status})") + ".\n"
            + "\n".join(report.get("stderr") or []))


def left_behind(WaitGroup: type, names: list[str]) -> str:
    return (f"The race test runs {WaitGroup.__name__} in a separate Python process, so that "
            "hammering it cannot slow down or hang this notebook: it takes the source of "
            "your class statement there, with the modules it uses. Your class also uses "
            f"{', '.join(names)}, defined elsewhere in the notebook, which cannot be taken "
            "along: make it part of the class (a method, or an attribute set in __init__).")


def no_lost_updates(WaitGroup: type, threads: int, rounds: int, trials: int,
                    stepped: bool = True) -> None:
    """In a child process (see ``race_probe``): with ``stepped``, each pair of
    calls that can lose an update, the first stopped before each of its
    bytecodes in turn while the second runs (``race_child/stepping.py``: it finds
    a read-modify-write every time, whatever the load); then ``trials`` of
    ``threads`` threads hammering the class. Nothing of it (threads, trace
    function, switch interval) is left in this process."""
    try:
        request = race_request(WaitGroup)
    except Unavailable as missing:
        if missing.names:
            raise CheckFailed(left_behind(WaitGroup, missing.names)) from None
        raise CheckFailed(
            f"The race test runs {WaitGroup.__name__} in a separate Python process, from "
            f"the source of its class statement, but {missing}. Define the whole class in "
            "one `class WaitGroup:` statement in a code cell, and run that cell.") from None
    request.update(threads=threads, rounds=rounds, trials=trials, deadline=CALL_DEADLINE,
                   at_once=AT_ONCE, stepped=stepped)
    budget = race_budget(trials, stepped)
    verdict = race_verdict(run_probe(request, budget), WaitGroup, threads, rounds, budget)
    expect(verdict is None, verdict or "")
