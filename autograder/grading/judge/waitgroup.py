"""Lesson 03's WaitGroup judged from outside (run_with_waitgroup: its own module).

The judge picks every sequence of add/done/wait afresh and checks each
call's plain result (True/False with their exact types, ValueError by name);
it sees waiter threads alive in /proc while the counter is above zero and
gone once it reaches zero; it times wait(timeout) itself. The race trials run
in a child process of the learner's process: the judge picks their seed and
checks that the report agrees with it (see ``_race``).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from ...exercises.harness import plural
from ...exercises.race_child.agreed import WAITERS, seeded_rounds
from ...exercises.limits import AT_ONCE, EXIT_DEADLINE
from ...exercises.waitgroup import (SEQUENCES, SETTLE, WAITER_TIMEOUT, counter_step_fault,
                                    left_waiting_fault, random_sequence)
from ...exercises.waitgroup_race import LOST_UPDATE, left_behind, race_budget, race_verdict
from .registry import expect, fresh_rng, judge
from .subject import TEARDOWN, Rejected, Subject

TOO_SOON = 0.8  # wait(timeout) that gives up before this share of timeout did not wait
LATE = 0.5  # ... and one that gives up this much after timeout is too slow


def _spelled(op: list) -> str:
    kind, arg = op
    if kind == "add":
        return f"wg.add({arg})"
    if kind == "done":
        return "wg.done()"
    return "wg.wait()" if arg is None else f"wg.wait(timeout={arg:g})"


def _story(done: list, limit: int = 8) -> str:
    steps = [_spelled(op) for op in done]
    if len(steps) > limit:
        steps = ["..."] + steps[-limit:]
    return "; ".join(["wg = WaitGroup()"] + steps)


def _made(data: dict) -> None:
    """Reject when the probe could not even make a WaitGroup."""
    if "not_class" in data:
        raise Rejected(f"WaitGroup is {data['not_class']}; it should be a class.")
    made = data.get("made")
    if isinstance(made, dict):
        if made.get("hung"):
            raise Rejected(f"WaitGroup() did not return within {AT_ONCE:g} s.")
        raise Rejected(f"WaitGroup() raised {made.get('raised')}: {made.get('message', '')}")
    added = data.get("added")
    if isinstance(added, dict):
        _call_failed(added, "wg = WaitGroup()", "wg.add(...)")


def _call_failed(got: dict, before: str, call: str) -> None:
    if got.get("hung"):
        raise Rejected(f"After {before}, {call} did not return within {AT_ONCE:g} s.")
    if got.get("raised") == "NotImplementedError":
        raise Rejected(f"{call} is not written yet (it raises NotImplementedError).")
    raise Rejected(f"After {before}, {call} raised {got.get('raised')}: "
                   f"{got.get('message', '')}")


def _replay(subject: Subject, ops: list[list]) -> None:
    """``ops`` on a new WaitGroup in the learner's process, each outcome
    compared with Go's counter."""
    _, data = subject.call("waitgroup_ops", ops=ops)
    _made(data)
    results = data.get("results")
    expect(isinstance(results, list) and all(isinstance(r, dict) for r in results),
           "The WaitGroup probe gave no results.")
    count = 0
    for index, op in enumerate(ops):
        kind, arg = op
        before, call = _story(ops[:index]), _spelled(op)
        expect(index < len(results), f"After {before}, {call} gave no result.")
        got = results[index]
        if kind == "wait":
            _judge_wait(got, count, arg, before, call)
            continue
        delta = -1 if kind == "done" else arg
        raised = got.get("raised") == "ValueError"
        if not raised and "returned" not in got:
            _call_failed(got, before, call)
        fault = counter_step_fault(count, delta, raised, before, call)
        expect(fault is None, fault or "")
        if not raised:  # else the counter must be unchanged; the next wait checks that
            count += delta


def _judge_wait(got: dict, count: int, timeout: Any, before: str, call: str) -> None:
    if got.get("hung"):
        limit = AT_ONCE + (timeout or 0 if count else 0)
        advice = ("With the counter at 0 there is nothing to wait for: return True at "
                  "once. Check the counter before you sleep (Condition.wait_for does)."
                  if count == 0 else
                  "When the timeout runs out, wait must give up and return False: pass "
                  "the timeout to Condition.wait_for, once, not again on every loop.")
        raise Rejected(f"After {before}, {call} did not return within {limit:g} s. {advice}")
    if "returned" not in got:
        _call_failed(got, before, call)
    value = got["returned"]
    expect(type(value) is bool and value is (count == 0),
           f"After {before}, {call} returned {value!r}; with the counter at {count} it "
           f"should return {count == 0}"
           + (" at once." if count == 0 else " when the timeout runs out."))


def _gives_up(subject: Subject, timeout: float) -> None:
    told = f"wg.wait(timeout={timeout:g}) with the counter at 1"
    kind, data = subject.call("waitgroup_gives_up", timeout=timeout)
    if kind == "result":
        _made(data)
        raise Rejected(f"{told}: the probe did not get to wait.")
    before = subject.tasks()
    began = time.monotonic()
    _, data = subject.resume("waitgroup_gives_up")
    took = time.monotonic() - began
    # Before done(), which would let a thread that waits on the wait's behalf end;
    # the probe's own thread that made the call, torn down, goes at once.
    left = subject.wait_gone([host for inner, host in subject.tasks().items()
                              if inner not in before], EXIT_DEADLINE)
    subject.resume("waitgroup_gives_up")
    waited = data.get("waited")
    expect(isinstance(waited, dict), f"{told}: the probe gave no result.")
    if waited.get("hung"):
        raise Rejected(f"{told} did not return within {AT_ONCE + timeout:g} s. When the "
                       "timeout runs out, wait must give up and return False: pass the "
                       "timeout to Condition.wait_for, once, not again on every loop.")
    if "returned" not in waited:
        _call_failed(waited, "wg = WaitGroup(); wg.add(1)", told.split(" with")[0])
    value = waited["returned"]
    expect(type(value) is bool and value is False,
           f"{told} returned {value!r}; it should return False when the timeout runs out "
           "before the counter reaches 0.")
    expect(took >= TOO_SOON * timeout,
           f"{told} returned False after {took:.2f} s: wait up to the timeout for the "
           "counter to reach 0 before you give up.")
    expect(took < timeout + LATE,
           f"{told} gave up only after {took:.2f} s: give up once the timeout has passed.")
    expect(not left, left_waiting_fault(told, len(left), " (the judge sees them in /proc)."))


def _waiters(subject: Subject, waiters: int, start: int, steps: list[int]) -> None:
    """``waiters`` threads wait; the counter goes from ``start`` by ``steps``,
    only the last reaching zero. From /proc: every waiter still waits until
    then, and every one has ended soon after."""
    told = f"{plural(waiters, 'thread')} called wg.wait(timeout={WAITER_TIMEOUT:g}) with " \
           f"the counter at {start}"
    before = subject.tasks()
    kind, data = subject.call("waitgroup_waiters", waiters=waiters, start=start, steps=steps)
    if kind == "result":
        _made(data)
        raise Rejected(f"{told}: the probe did not get to start them.")
    threads = subject.started(data.get("started"), before, waiters, "wg.wait()")
    counter = start
    for number, delta in enumerate(steps, 1):
        kind, data = subject.resume("waitgroup_waiters")
        stepped = data.get("stepped") if kind == "step" else None
        expect(isinstance(stepped, dict), f"{told}: the probe stopped before the counter "
                                          "reached 0.")
        call = "wg.done()" if delta == -1 else f"wg.add({delta})"
        if "returned" not in stepped:
            _call_failed(stepped, f"{told} (counter at {counter})", call)
        counter += delta
        if number < len(steps):
            time.sleep(SETTLE)
            early = [tid for tid in threads if not subject.alive(tid)]
            expect(not early,
                   f"{told}; then the counter went down to {counter}, and "
                   f"{plural(len(early), 'waiter')} returned at once. Waiters must keep "
                   "waiting until the counter is 0 or their timeout runs out: a wake-up is "
                   "a reason to look at the counter again, not to return.")
    still = subject.wait_gone(threads, EXIT_DEADLINE)
    expect(not still,
           f"{told}; then it reached 0, but {len(still)} of the {waiters} waiters were "
           f"still waiting {EXIT_DEADLINE:g} s later. Reaching 0 must release every "
           "waiter: notify_all(), not notify().")
    kind, result = subject.resume("waitgroup_waiters")
    expect(kind == "result", f"{told}: the probe did not finish.")
    errors = result.get("errors")
    expect(not errors, f"{told}; wg.wait(...) raised: {errors}")
    returned = result.get("returned")
    expect(isinstance(returned, list) and len(returned) == waiters
           and all(type(r) is bool and r is True for r in returned),
           f"{told}; when it reached 0 they returned {returned!r}; each should return True.")


def _race(subject: Subject, rng: random.Random, rounds: int, trials: int,
          stepped: bool = False) -> None:
    """The race trials run in a child process of the learner's process.

    With ``stepped``, the child first runs each pair of calls that can lose
    an update with the first stopped before each of its bytecodes in turn
    (``race_child/stepping.py``): that finds a read-modify-write every time,
    however loaded the machine, so the hammering after it can be short. The
    judge picks the threads, the rounds and the seed that draws each thread's
    own number of rounds. Each trial ends held (``race_child/hammering.held_end``): the
    judge sees the child's two waiters in ``/proc`` while one done() is
    still to come, and gone once it has been called. Trusted from the child's
    report: that the waiters it names called the learner's ``wait()``, and each
    thread's count of add(1) and done() calls that returned, which must be
    the seed's draw.
    """
    threads, seed = rng.randint(7, 9), rng.randrange(1 << 40)
    budget = race_budget(trials, stepped)
    told = f"{threads} threads each called wg.add(1), all at once, then wg.done() as often"
    waited = subject.reply_timeout
    subject.reply_timeout = max(waited, budget + 5.0)
    try:
        kind, data = subject.call("waitgroup_race", threads=threads, rounds=rounds,
                                  trials=trials, seed=seed, stepped=stepped)
        held = 0
        while kind == "step":
            waiters, child = _held_waiters(subject, data.get("holding"))
            time.sleep(SETTLE)
            expect(None not in waiters and all(subject.alive(tid, child) for tid in waiters),
                   f"{told}, all but the last done(); then threads that called wg.wait() "
                   f"returned before that last done(). {LOST_UPDATE}")
            kind, data = subject.resume("waitgroup_race")
            if kind != "step":
                break  # the last done() failed: the child's report says how
            expect(isinstance(data.get("released"), dict),
                   "The race test's child did not go on after the last done().")
            still = subject.wait_gone([tid for tid in waiters if tid], TEARDOWN, child)
            expect(os.path.exists(f"/proc/{child}"),
                   "The race test's child ended before the judge could see its waiters "
                   "released.")
            expect(not still,
                   f"{told}; after the last done(), threads in wg.wait() were still "
                   f"waiting. {LOST_UPDATE}")
            kind, data = subject.resume("waitgroup_race")
            held += 1
    finally:
        subject.reply_timeout = waited
    if data.get("outcome") == "unavailable":
        names = data.get("names")
        if isinstance(names, list) and names:
            raise Rejected(left_behind(_Named, [str(n) for n in names]))
        raise Rejected(
            "The race test runs WaitGroup in a separate Python process, from the source of "
            f"its class statement, but {data.get('message')}. Define the whole class in "
            "one `class WaitGroup:` statement in a code cell, and run that cell.")
    report = data.get("report")
    expect(isinstance(report, dict), "The race test gave no report.")
    low, high = rounds - rounds // 4, rounds - rounds // 4 + rounds // 2
    try:
        verdict = race_verdict(report, _Named, threads, f"{low}\N{EN DASH}{high}", budget)
    except (TypeError, ValueError, IndexError, AttributeError):
        verdict = f"The race test's report could not be read: {str(report)[:300]}"
    expect(verdict is None, verdict or "")
    wanted = [[[r, r] for r in seeded_rounds(seed + trial, threads, rounds)]
              for trial in range(trials)]
    expect(held == trials and _exact_ints(report.get("tallies"))
           and report.get("tallies") == wanted,
           f"The race test's report does not match the trials the judge asked for "
           f"({threads} threads, each its own number of rounds, {trials} trials, each "
           "ending with waiters the judge sees): it did not run them. "
           + LOST_UPDATE.split(". ")[0] + " cannot be ruled out.")


def _held_waiters(subject: Subject, holding: Any) -> tuple[list[int | None], int]:
    """The host ids of the waiters a held trial names (None for one that is
    not a thread of the race test's child, or no longer), and of the child."""
    expect(isinstance(holding, dict), "The race test's child did not say which threads wait.")
    child = subject.child(holding.get("pid"), "race_child")
    inner = holding.get("waiters")
    expect(isinstance(inner, list) and len(inner) == WAITERS == len(set(inner))
           and all(type(t) is int for t in inner),
           "The race test's child did not say which threads wait.")
    tasks = subject.tasks(child)
    return [tasks.get(tid) for tid in inner], child


_Named = type("WaitGroup", (), {})  # what the race messages call the learner's class


def _exact_ints(value: Any) -> bool:
    if isinstance(value, list):
        return all(_exact_ints(v) for v in value)
    return type(value) is int


@judge("waitgroup")
def judge_waitgroup(subject: Subject, hidden: bool) -> None:
    rng = fresh_rng()
    for timeout in (None, round(rng.uniform(2.0, WAITER_TIMEOUT), 1)):
        _replay(subject, [["wait", timeout]])  # a new WaitGroup: True at once
    _gives_up(subject, round(rng.uniform(0.1, 0.2), 2))
    for ops in SEQUENCES + [random_sequence(rng, 20) for _ in range(2)]:
        _replay(subject, [list(op) for op in ops])
    _waiters(subject, waiters=rng.randint(3, 5), start=1, steps=[-1])
    if hidden:
        for _ in range(6):
            _replay(subject, [list(op) for op in random_sequence(rng, 40)])
        _gives_up(subject, round(rng.uniform(0.25, 0.35), 2))
        _waiters(subject, waiters=3, start=2, steps=[-1, -1])
        _waiters(subject, waiters=rng.randint(5, 7), start=3, steps=[-3])
        _waiters(subject, waiters=2, start=3, steps=[1, -2, -2])
    # As in the kernel's check: the stepped pairs, then short hammering to the
    # held ends; the hidden test hammers longer, unstepped (stepping is exact).
    _race(subject, rng, rounds=200, trials=1, stepped=True)
    if hidden:
        _race(subject, rng, rounds=600, trials=1)
