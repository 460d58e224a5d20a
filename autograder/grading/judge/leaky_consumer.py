"""Lesson 01 judged from outside: consumer, run_session, STOP and stop_consumers.

Inputs are drawn afresh for every submission, so an answer cannot be a table
of outputs; threads are the judge's own observation.
"""

from __future__ import annotations

import random
import time

from ...exercises.leaky_consumer import EXIT_DEADLINE
from ...exercises.robust_stop import ODD_ITEMS
from ...exercises.run_session import expected_offsets
from .registry import expect, fresh_rng, judge
from .subject import Rejected, Subject

PLAIN_TYPES = {"NoneType", "bool", "int", "float", "complex", "str", "bytes"}
STUBBORN_TIMEOUT = 0.3
# The probes' stand-ins linger 0.3 s (probes.leaky_consumer.LINGER): the judge
# can wait well past a joined thread's teardown.
TEARDOWN = 0.1


def typed(values: object) -> object:
    """Values with their exact types, so 1 == 1.0 == True no longer holds."""
    if isinstance(values, list):
        return [(type(v).__name__, typed(v)) for v in values]
    return values


def _item(rng: random.Random) -> object:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.choice([-1, 1]) * rng.randint(1, 999)
    if kind == 1:
        return rng.choice(["a", "go", "exit", "0", "x y"])
    return rng.choice([-1, 1]) * (rng.randint(1, 99) + 0.5)


def _some_items(rng: random.Random, count: int) -> list:
    """``count`` random items, a number among them whenever there is one: an
    answer that turns items into strings must not pass by the draw's luck."""
    items = [_item(rng) for _ in range(count)]
    if items and all(type(item) is str for item in items):
        items[rng.randrange(count)] = rng.randint(1, 999)
    return items


def _consumer_cases(rng: random.Random, hidden: bool) -> list[tuple[list, int]]:
    def queue_of(before: int, after: int, zeros: int = 1) -> list:
        return _some_items(rng, before) + [0] * zeros + _some_items(rng, after)
    cases = [(queue_of(rng.randint(1, 4), 0), 1), (queue_of(rng.randint(1, 3), 2), 1)]
    if hidden:
        cases += [(queue_of(0, 0), 1), (queue_of(rng.randint(2, 5), rng.randint(1, 3)), 1),
                  (queue_of(39, 0, zeros=3), 3)]
    return cases


@judge("consumer_exit")
def judge_consumer_exit(subject: Subject, hidden: bool) -> None:
    for items, workers in _consumer_cases(fresh_rng(), hidden):
        fed = f"consumer(ch, out) with {items!r} queued" if workers == 1 else \
            f"{workers} consumers sharing a queue of {len(items)} items"
        before = subject.tasks()
        _, step = subject.call("consumer", items=items, workers=workers)
        threads = subject.started(step.get("started"), before, workers, "consumer")
        _, result = subject.resume("consumer")
        alive = subject.wait_gone(threads, EXIT_DEADLINE)
        expect(not alive, f"After {fed}, {len(alive)} consumer thread(s) still ran after "
                          f"{EXIT_DEADLINE:g} s: consumer must return when it receives 0.")
        expect(not result.get("errors"), f"consumer raised: {result.get('errors')}")
        stop_at = [i for i, item in enumerate(items) if item == 0][workers - 1]
        wanted = [item for item in items[:stop_at] if item != 0]
        out = result.get("out")
        expect(isinstance(out, list) and sorted(typed(out), key=repr)
               == sorted(typed(wanted), key=repr),
               f"After {fed}, out should be {wanted!r}; the judge got {out!r}.")
        expect(typed(result.get("left")) == typed(items[stop_at + 1:]),
               f"After {fed}, the queue should still hold {items[stop_at + 1:]!r}: return "
               "as soon as you receive 0, without reading further.")


def _sessions(rng: random.Random, hidden: bool) -> list[list[str]]:
    sessions = [["a", "b", "exit", "c"], ["exit", "x", "exit", "exit", "y", "z"], [],
                ["w"] * rng.randint(3, 6)]
    if hidden:
        sessions += [[rng.choice(["go", "go", "go", "exit"]) for _ in range(rng.randint(1, 25))]
                     for _ in range(4)]
    return sessions


@judge("run_session")
def judge_run_session(subject: Subject, hidden: bool) -> None:
    for words in _sessions(fresh_rng(), hidden):
        call = f"run_session({words!r})"
        before = subject.tasks()
        kind, data = subject.call("session", words=words)
        consumers: list[int] = []
        while kind == "step":
            consumers += subject.started(data.get("started"), before, 1, "a consumer")
            kind, data = subject.resume("session")
        running = subject.still_running(consumers, TEARDOWN)
        expect(not data.get("error"), f"{call} failed: {data.get('error')}")
        starts = len(expected_offsets(words))
        expect(len(consumers) == starts,
               f"{call} should start {starts} consumer thread(s), one per word other than "
               f"\"exit\"; the judge saw {len(consumers)} start.")
        expect(not running, f"{call} returned while {len(running)} consumer(s) it started "
                            "still ran: wait for each to finish (join it).")
        expect(data.get("left") == 0,
               f"{call} left {data.get('left')} stop value(s) in the queue: send one 0 per "
               "consumer you started.")
        counts, base = data.get("counts"), data.get("base")
        expect(type(counts) is list and all(type(c) is int for c in counts)
               and type(base) is int,
               f"{call} should return a list of ints; the judge got {counts!r}.")
        offsets = [count - base for count in counts]
        expect(offsets == expected_offsets(words),
               f"{call}: the counts, relative to the start, should be "
               f"{expected_offsets(words)!r}; the judge got {offsets!r}.")
        alive = subject.wait_gone(consumers, EXIT_DEADLINE)
        expect(not alive, f"{call} left {len(alive)} consumer thread(s) running.")


@judge("robust_stop")
def judge_robust_stop(subject: Subject, hidden: bool) -> None:
    before = subject.tasks()
    _, step = subject.call("robust_consumer", items=ODD_ITEMS)
    expect(step.get("stop_type") not in PLAIN_TYPES,
           f"STOP is a {step.get('stop_type')}, a value real data can carry too.")
    thread = subject.started(step.get("started"), before, 1, "robust_consumer")
    _, result = subject.resume("robust_consumer")
    expect(not subject.wait_gone(thread, EXIT_DEADLINE),
           "robust_consumer did not return after it received STOP.")
    expect(typed(result.get("out")) == typed(ODD_ITEMS),
           f"robust_consumer should keep every value but STOP: {ODD_ITEMS!r}; the judge "
           f"got {result.get('out')!r}.")
    cases = [(3, 30)] + ([(8, 400), (1, 0)] if hidden else [])
    for workers, items in cases:
        _stop_case(subject, workers, items)
    _, left = subject.call("stop_no_workers")
    expect(left.get("raised") is None and left.get("left") == ["data"],
           "stop_consumers(ch, []) should leave the queue as it was: with no workers "
           "there is nothing to send.")
    _stubborn_case(subject)


def _stop_case(subject: Subject, workers: int, items: int) -> None:
    before = subject.tasks()
    _, step = subject.call("stop_consumers", workers=workers, items=items)
    pool = subject.started(step.get("started"), before, workers, "the workers")
    bystander = subject.started([step.get("bystander")], before, 1, "a bystander")
    _, returned = subject.resume("stop_consumers")
    running = subject.still_running(pool, TEARDOWN)
    bystander_alive = subject.alive(bystander[0])
    subject.resume("stop_consumers")
    _raised_nothing(returned, f"with {workers} workers that obey STOP")
    expect(not running, f"stop_consumers returned while {len(running)} worker(s) still ran: "
                        "return only once every worker has exited.")
    expect(returned.get("left") == 0, f"stop_consumers left {returned.get('left')} item(s) "
                                      "in the queue: send exactly one STOP per worker.")
    processed = returned.get("processed")
    expect(type(processed) is list and all(type(item) is int for item in processed)
           and sorted(processed) == list(range(items)),
           f"Of {items} items queued before the call, the workers processed "
           f"{len(processed) if type(processed) is list else 0}: put the STOPs behind "
           "the data.")
    expect(bystander_alive, "stop_consumers stopped a thread that is not in workers.")


def _raised_nothing(returned: dict, told: str) -> None:
    raised = returned.get("raised")
    if raised == "hung":
        raise Rejected(f"stop_consumers did not return ({told}).")
    expect(raised is None, f"stop_consumers raised {raised} ({told}): "
                           f"{returned.get('message', '')}")


def _stubborn_case(subject: Subject) -> None:
    before = subject.tasks()
    _, step = subject.call("stop_stubborn", timeout=STUBBORN_TIMEOUT)
    subject.started(step.get("started"), before, 2, "the workers")
    began = time.monotonic()
    _, returned = subject.resume("stop_stubborn")
    took = time.monotonic() - began
    subject.resume("stop_stubborn")
    raised = returned.get("raised")
    did = ("did not return" if raised == "hung" else f"raised {raised}" if raised
           else "returned")
    expect(raised == "TimeoutError",
           f"With a worker that ignores STOP, stop_consumers(..., timeout="
           f"{STUBBORN_TIMEOUT}) should raise TimeoutError; it {did}.")
    expect(took < STUBBORN_TIMEOUT + 0.5,
           f"stop_consumers(..., timeout={STUBBORN_TIMEOUT}) gave up only after {took:.2f} s.")
    expect("ignores-STOP" in str(returned.get("message", "")),
           "stop_consumers's TimeoutError should name the threads still alive "
           "('ignores-STOP').")
