"""Checks for lesson 01's run_session: program B's session, which starts a
consumer per word and stops them all on "exit"."""

from __future__ import annotations

import contextlib
import queue
import random
import threading
from typing import Any
from collections.abc import Callable, Iterator

from ..threads import Baseline, LeakError, describe_threads
from ..threads.leaks import census_notes
from ..threads.census import real_active_count, real_is_alive
from ..threads.stand_ins import stand_in
from .registry import exercise
from ..threads.origins import started_threads
from .harness import (call_answer, fail_if_any, plural, running_at_return,
                      started_since)
from .limits import EXIT_DEADLINE
from . import beside
from .leaky_consumer import drain, real_current_thread


def expected_offsets(words: list[str]) -> list[int]:
    """Thread counts the seed's main loop records, relative to the start."""
    running, offsets = 0, []
    for word in words:
        if word == "exit":
            running = 0
        else:
            running += 1
            offsets.append(running)
    return offsets


class _SessionConsumers:
    """A known-good consumer as run_session's ``consumer``, keeping a record.

    Each run notes its queue (checked for surplus stop values after), the
    thread it ran in, and its end: counts are only right if they come from
    consumers that really ran, each in a thread of its own, and had ended
    when run_session returned.
    """

    def __init__(self, consumer: Callable[[queue.Queue, list], None]) -> None:
        self.run = consumer
        self.queues: list[queue.Queue] = []
        self.threads: list[threading.Thread] = []  # held, so none is mistaken for another
        self.ended = 0

    def consumer(self) -> Callable[[queue.Queue, list], None]:
        @stand_in("the check's consumer")
        def consumer(ch: queue.Queue, out: list) -> None:
            self.queues.append(ch)
            self.threads.append(real_current_thread())
            try:
                self.run(ch, out)
            finally:
                self.ended += 1
        return consumer


@exercise("run_session", needs=("run_session",))
def check_run_session(answers: dict[str, Any], hidden: bool) -> str:
    sessions = [["a", "b", "exit", "c"], ["exit", "x", "exit", "exit", "y", "z"], [],
                ["w"] * 6]
    if hidden:
        rng = random.Random(2024)
        sessions = [[rng.choice(["go", "go", "go", "exit"]) for _ in range(rng.randint(1, 25))]
                    for _ in range(6)]
    run_session = answers["run_session"]
    with beside.said_when_own("consumer", "run_session"):
        consumer = beside.consumer(getattr(run_session, "__globals__", {}).get("consumer"))
        for words in sessions:
            _session_case(run_session, consumer, words)
    return "each session counted its consumers right and left no thread behind."


@contextlib.contextmanager
def consumer_swapped(answer: Callable, stand_in_consumer: Callable) -> Iterator[None]:
    """``consumer`` in the answer's namespace is the check's one during the call.

    Swapped in the notebook's namespace itself, not in a copy of run_session
    (``harness.isolated``): a right answer may start its consumers through a
    helper of its own, which reads ``consumer`` from that namespace too. The
    learner's own is put back after the call.
    """
    scope = getattr(answer, "__globals__", None)
    if scope is None:
        yield
        return
    missing = object()
    own = scope.get("consumer", missing)
    scope["consumer"] = stand_in_consumer
    try:
        yield
    finally:
        if own is missing:
            scope.pop("consumer", None)
        else:
            scope["consumer"] = own


def _session_case(answer: Callable, consumer: Callable, words: list[str],
                  attempts: int = 3) -> None:
    call = f"run_session({words!r})"
    for attempt in range(attempts):
        # Graded with a known-good consumer, so a broken consumer costs only its own test.
        consumers = _SessionConsumers(consumer)
        baseline = Baseline()
        others = list(dict(threading._active).values())  # type: ignore[attr-defined]
        before = {id(t) for t in started_threads()}
        start: list[int] = []
        caller: list[threading.Thread] = []
        ended: list[int] = []
        look, still = running_at_return(lambda: started_since(before))

        def at_start() -> None:
            caller.append(real_current_thread())
            start.append(real_active_count())

        def at_return() -> None:
            look()
            ended.append(consumers.ended)
        with consumer_swapped(answer, consumers.consumer()):
            counts = call_answer(answer, list(words), what=call, at_start=at_start,
                                 at_return=at_return)
        if not all(real_is_alive(t) for t in others) and attempt + 1 < attempts:
            continue  # a thread from elsewhere ended meanwhile: the counts shifted
        break
    problems = _thread_problems(baseline, still, call)
    if not problems:  # every consumer has run its course: its record is complete
        problems += _consumer_problems(consumers, words, caller[0], ended[0])
    problems += _surplus_problems(consumers)
    problems += _count_problems(counts, [start[0] + offset for offset in
                                         expected_offsets(words)], start[0])
    fail_if_any(call, problems, joiner=" ", each="It ")


def _thread_problems(baseline: Baseline, still: list[threading.Thread],
                     call: str) -> list[str]:
    """Threads it started, running when it returned or a second later."""
    fresh, current = baseline.new_threads()
    running = [t for t in fresh if t.thread in still]
    if running:
        return ["\n".join([
            f"returned while {plural(len(running), 'thread')} it started "
            f"{'was' if len(running) == 1 else 'were'} still running:",
            describe_threads(running),
            "Nothing run_session starts may outlive the call: after sending the stop "
            "values, wait for each consumer to finish (join it).",
            *census_notes(current, baseline.tampering_since(current))])]
    try:
        baseline.expect_gone(EXIT_DEADLINE, what=call)
    except LeakError as leak:
        return [f"did not stop everything it started.\n{leak}"]
    return []


def _consumer_problems(consumers: _SessionConsumers, words: list[str],
                       caller: threading.Thread, ended: int) -> list[str]:
    """Each word other than "exit" must have run one consumer in a new thread,
    and every one of them must have returned by the time run_session did."""
    wanted = sum(1 for word in words if word != "exit")
    ran = consumers.threads
    if len(ran) != wanted:
        return [f"ran consumer {len(ran)} times; it should start {wanted}, one thread "
                "per word other than \"exit\", each running consumer(ch, out). The "
                "counts must be taken right after really starting each consumer."]
    problems = []
    if any(thread is caller for thread in ran):
        problems.append("called consumer(ch, out) itself instead of starting a thread "
                        "that runs it: threading.Thread(target=consumer, args=(ch, out)).")
    elif len({id(thread) for thread in ran}) < len(ran):
        problems.append(f"ran {plural(len(ran), 'consumer')} in only "
                        f"{plural(len({id(t) for t in ran}), 'thread')}: start a new "
                        "thread for each consumer.")
    if ended < len(ran):
        problems.append(f"returned before {plural(len(ran) - ended, 'consumer')} it "
                        "started had received its stop value and returned: send one 0 "
                        "per consumer and join each.")
    return problems


def _surplus_problems(consumers: _SessionConsumers) -> list[str]:
    left = [item for ch in {id(q): q for q in consumers.queues}.values()
            for item in drain(ch)]
    if not left:
        return []
    return [f"left {plural(len(left), 'stop value')} in the queue: it sent more "
            "than there were consumers running, and the next consumer would read one "
            "and quit at once. Send one 0 per consumer you started, not "
            "threading.active_count() - 1."]


def _count_problems(counts: object, expected: list[int], base: int) -> list[str]:
    """A plain list of plain ints (nothing that merely compares equal), each right."""
    if type(counts) is not list:
        return [f"returned {counts!r}, a {type(counts).__name__}; it should return a "
                "list (a plain list, not a subclass) of the recorded counts."]
    bad = next((c for c in counts if type(c) is not int), None)
    if bad is not None:
        return [f"returned {counts!r}, which holds {bad!r}, a {type(bad).__name__}: "
                "each count is the int threading.active_count() gives."]
    if len(counts) == len(expected) and all(
            got == want for got, want in zip(counts, expected)):
        return []
    return [f"returned {counts!r}. With {base} threads running when the call "
            f"started, the counts right after each start should be {expected!r}: "
            "one more per consumer started, back to the start after \"exit\"."]
