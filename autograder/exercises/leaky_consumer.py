"""Checks for lesson 01, the leaky consumer (programs A and B of the seed)."""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from typing import Any
from collections.abc import Callable, Iterator

from ..threads import Baseline, LeakError, describe_threads
from ..threads.leaks import census_notes
from ..threads.census import REAL_FUNCTIONS, real_active_count, real_is_alive
from ..threads.stand_ins import stand_in
from .registry import exercise
from ..threads.origins import started_threads
from .harness import (CheckFailed, Worker, call_answer, expect, plural,
                      running_at_return, started_since)

from .limits import EXIT_DEADLINE  # noqa: E402
# The checks' own consumers take this long to clean up after their stop value,
# as real ones do: an answer that returns without waiting for them is caught
# every time, not only when the scheduler happens to be slow.
CLEANUP_SECONDS = 0.02
_current_thread = REAL_FUNCTIONS["threading.current_thread"]  # learner code may replace it


@stand_in(f"cleaning up for {CLEANUP_SECONDS * 1000:g} ms")
def _clean_up() -> None:
    time.sleep(CLEANUP_SECONDS)


@stand_in("the check's consumer")
def reference_consumer(ch: queue.Queue, out: list) -> None:
    """The seed's fixed consumer, used to grade run_session on its own."""
    while True:
        item = ch.get()
        if item == 0:
            _clean_up()
            return
        out.append(item)


def _drain(ch: queue.Queue) -> list:
    items = []
    while True:
        try:
            items.append(ch.get_nowait())
        except queue.Empty:
            return items


def _start_workers(func: Callable[..., Any], count: int, *args: Any,
                   name: str) -> list[Worker]:
    workers = [Worker(func, *args, name=f"{name} {i + 1}") for i in range(count)]
    for worker in workers:
        worker.start()
    return workers


# --- consumer_exit -------------------------------------------------------------

@exercise("consumer_exit", needs=("consumer",))
def check_consumer_exit(answers: dict[str, Any], hidden: bool) -> str:
    consumer = answers["consumer"]
    cases: list[tuple[list, int]] = [([3, 1, 4, 0], 1), ([7, 0, 8, 9], 1)]
    if hidden:
        cases = [([0], 1), (["a", -2, 2.5, 0], 1), (list(range(1, 40)) + [0, 0, 0], 3)]
    for items, workers in cases:
        _consumer_case(consumer, items, workers)
    return "consumer returns on 0, keeps every item before it, and reads nothing after it."


def _consumer_case(consumer: Callable, items: list, count: int) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in items:
        ch.put(item)
    fed = f"consumer(ch, out) with {items!r} queued" if len(items) < 10 else \
        f"{plural(count, 'consumer')} sharing a queue of {len(items)} items"
    baseline = Baseline()
    workers = _start_workers(consumer, count, ch, out, name="consumer")
    try:
        baseline.expect_gone(EXIT_DEADLINE, what=f"the check ({fed})")
    except LeakError as leak:
        raise CheckFailed(f"consumer did not return after it received 0.\n{leak}") from None
    for worker in workers:
        worker.raise_error("consumer(ch, out)")
    stop_at = [i for i, item in enumerate(items) if item == 0][count - 1]
    expected = [item for item in items[:stop_at] if item != 0]
    expect(sorted(out, key=repr) == sorted(expected, key=repr),
           f"After {fed}, out is {out!r}; it should be {expected!r}: "
           "append every item that comes before the 0.")
    left = _drain(ch)
    expect(left == items[stop_at + 1:],
           f"After {fed}, the queue still holds {left!r}, but it should hold "
           f"{items[stop_at + 1:]!r}: return as soon as you receive 0, without "
           "reading further.")


# --- run_session ---------------------------------------------------------------

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
    """The reference consumer as run_session's ``consumer``, keeping a record.

    Each run notes its queue (checked for surplus stop values after), the
    thread it ran in, and its end: counts are only right if they come from
    consumers that really ran, each in a thread of its own, and had ended
    when run_session returned.
    """

    def __init__(self) -> None:
        self.queues: list[queue.Queue] = []
        self.threads: list[threading.Thread] = []  # held, so none is mistaken for another
        self.ended = 0

    def consumer(self) -> Callable[[queue.Queue, list], None]:
        @stand_in("the check's consumer")
        def consumer(ch: queue.Queue, out: list) -> None:
            self.queues.append(ch)
            self.threads.append(_current_thread())
            try:
                reference_consumer(ch, out)
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
    for words in sessions:
        _session_case(answers["run_session"], words)
    return "each session counted its consumers right and left no thread behind."


@contextlib.contextmanager
def _consumer_swapped(answer: Callable, stand_in_consumer: Callable) -> Iterator[None]:
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


def _session_case(answer: Callable, words: list[str], attempts: int = 3) -> None:
    call = f"run_session({words!r})"
    for attempt in range(attempts):
        # Graded with a known-good consumer, so a broken consumer costs only its own test.
        consumers = _SessionConsumers()
        baseline = Baseline()
        others = list(dict(threading._active).values())  # type: ignore[attr-defined]
        before = {id(t) for t in started_threads()}
        start: list[int] = []
        caller: list[threading.Thread] = []
        ended: list[int] = []
        look, still = running_at_return(lambda: started_since(before))

        def at_start() -> None:
            caller.append(_current_thread())
            start.append(real_active_count())

        def at_return() -> None:
            look()
            ended.append(consumers.ended)
        with _consumer_swapped(answer, consumers.consumer()):
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
    if len(problems) == 1:
        raise CheckFailed(f"{call} {problems[0]}")
    if problems:
        raise CheckFailed(f"{call} went wrong in {len(problems)} ways:\n" + "\n".join(
            f"({number}) It {problem}" for number, problem in enumerate(problems, 1)))


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
            for item in _drain(ch)]
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


# --- robust_stop ---------------------------------------------------------------

_PLAIN_DATA = (type(None), bool, int, float, complex, str, bytes)
ODD_ITEMS = [0, None, "", False, 0.0, [], "STOP", "exit", -1]


def _reference_robust_consumer(stop: object) -> Callable[[queue.Queue, list], None]:
    @stand_in("the check's robust_consumer")
    def robust_consumer(ch: queue.Queue, out: list) -> None:
        while True:
            item = ch.get()
            if item is stop:
                _clean_up()
                return
            out.append(item)
    return robust_consumer


def _stubborn_consumer(release: threading.Event) -> Callable[[queue.Queue, list], None]:
    @stand_in("the check's worker that ignores STOP")
    def ignores_stop(ch: queue.Queue, out: list) -> None:
        while not release.is_set():
            try:
                out.append(ch.get(timeout=0.05))
            except queue.Empty:
                pass
    return ignores_stop


@exercise("robust_stop", needs=("STOP", "robust_consumer", "stop_consumers"))
def check_robust_stop(answers: dict[str, Any], hidden: bool) -> str:
    stop, consumer, stop_consumers = (answers[n] for n in ("STOP", "robust_consumer",
                                                           "stop_consumers"))
    expect(not isinstance(stop, _PLAIN_DATA),
           f"STOP is {stop!r}, a value that real data can carry too. Make it a value "
           "nothing else can equal: STOP = object().")
    # stop_consumers is graded with a known-good consumer of the learner's STOP.
    good = _reference_robust_consumer(stop)
    if hidden:
        _stop_case(stop_consumers, good, workers=8, items=400, stop=stop)
        _stop_case(stop_consumers, good, workers=1, items=0, stop=stop)
    else:
        _robust_consumer_case(consumer, stop)
        _stop_case(stop_consumers, good, workers=3, items=30, stop=stop)
        _no_workers_case(stop_consumers)
        _stubborn_case(stop_consumers, good)
    return ("robust_consumer keeps every value but STOP; stop_consumers stops exactly "
            "its workers, leaves the queue empty and gives up on time.")


def _robust_consumer_case(consumer: Callable, stop: object) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in ODD_ITEMS + [stop]:
        ch.put(item)
    baseline = Baseline()
    workers = _start_workers(consumer, 1, ch, out, name="robust_consumer")
    try:
        baseline.expect_gone(EXIT_DEADLINE, what="robust_consumer(ch, out)")
    except LeakError as leak:
        raise CheckFailed(f"robust_consumer did not return after it received STOP.\n{leak}"
                          ) from None
    workers[0].raise_error("robust_consumer(ch, out)")
    typed = [(type(x), x) for x in out]
    expect(typed == [(type(x), x) for x in ODD_ITEMS],
           f"robust_consumer kept {out!r} of {ODD_ITEMS!r}: every value but STOP is "
           "data, 0, None, \"\" and False included. Compare with `item is STOP`.")


def _call_stop(stop_consumers: Callable, ch: queue.Queue, workers: list,
               timeout: float | None = None) -> list[threading.Thread]:
    """Call it; return the workers still running the instant it returned."""
    args = (ch, workers) if timeout is None else (ch, workers, timeout)
    call = "stop_consumers(ch, workers)" if timeout is None else \
        f"stop_consumers(ch, workers, timeout={timeout})"
    look, still = running_at_return(lambda: list(workers))
    call_answer(stop_consumers, *args, what=call, expected=(TimeoutError,), at_return=look)
    return still


def _stop_case(stop_consumers: Callable, consumer: Callable, workers: int, items: int,
               stop: object) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    bystander_release = threading.Event()
    bystander = Worker(bystander_release.wait, name="bystander (not a worker)")
    bystander.start()
    try:
        pool = _start_workers(consumer, workers, ch, out, name="worker")
        data = list(range(items))
        for item in data:
            ch.put(item)
        try:
            alive = _call_stop(stop_consumers, ch, pool)
        except TimeoutError as error:
            raise CheckFailed(
                f"stop_consumers raised TimeoutError ({error}) although all "
                f"{plural(workers, 'worker')} obey STOP. Send one STOP per worker, then "
                "join each with what is left of the timeout.") from None
        expect(not alive, f"stop_consumers returned while {plural(len(alive), 'worker')} "
               "still ran: return only once every worker has exited.")
        left = _drain(ch)
        stops = sum(1 for item in left if item is stop)
        expect(not left,
               f"stop_consumers left {left[:5]!r}{'...' if len(left) > 5 else ''} in the "
               f"queue ({plural(stops, 'STOP')} too many). Send exactly one STOP per "
               "thread in workers: count the workers you were given, not "
               "threading.active_count().")
        expect(sorted(out) == data,
               f"Of {items} items queued before the call, the workers processed "
               f"{len(out)}: put the STOPs behind the data already in the queue.")
        expect(real_is_alive(bystander),
               "stop_consumers stopped a thread that is not in workers.")
    finally:
        bystander_release.set()


def _no_workers_case(stop_consumers: Callable) -> None:
    ch: queue.Queue = queue.Queue()
    ch.put("data")
    _call_stop(stop_consumers, ch, [])
    left = _drain(ch)
    expect(left == ["data"],
           f"stop_consumers(ch, []) changed the queue to {left!r}: with no workers "
           "there is nothing to send.")


def _stubborn_case(stop_consumers: Callable, good: Callable) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    release = threading.Event()
    pool = _start_workers(good, 1, ch, out, name="worker") + \
        _start_workers(_stubborn_consumer(release), 1, ch, out, name="ignores-STOP")
    stubborn = pool[1]
    timeout = 0.3
    began = time.monotonic()
    try:
        _call_stop(stop_consumers, ch, pool, timeout=timeout)
        took = time.monotonic() - began
    except TimeoutError as error:
        took = time.monotonic() - began
        expect(took < timeout + 0.5,
               f"stop_consumers(..., timeout={timeout}) raised TimeoutError only after "
               f"{took:.2f} s: share one deadline among all the joins instead of "
               "waiting the full timeout for each worker.")
        expect(stubborn.name in str(error),
               f"stop_consumers raised TimeoutError({str(error)!r}); name the threads "
               f"still alive, such as {stubborn.name!r}, so the caller knows which.")
    else:
        raise CheckFailed(
            f"stop_consumers returned after {took:.2f} s although worker "
            f"{stubborn.name!r} ignores STOP and is still running; it should raise "
            "TimeoutError naming the threads still alive.")
    finally:
        release.set()
        ch.put(None)
