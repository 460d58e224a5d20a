"""Checks for lesson 04, channels vs locks: three ways to learn that workers are done.

Each ``signal_done_*`` answer is called under a deadline while the check
watches, without changing the learner's names:

* every thread the call starts (directly or from its own threads) is recorded
  by a hook on ``Thread.start`` that is in place only during the call, so a
  version that starts no threads is caught even though its threads are gone
  by the time it returns;
* each recorded worker lingers a moment after its last line, as a descheduled
  thread would, so returning before the workers have ended is caught every
  time instead of once in a while;
* for the same time, ``Queue.put``, ``SimpleQueue`` and the answer's
  ``WaitGroup.done``/``wait`` count their calls, and each worker's ``join`` is
  recorded on the thread object itself, so the check knows which mechanism
  carried the signal.

Why not a profiler (``sys.setprofile``) to see the calls: on CPython 3.11, a
profiled thread spins at its next function call for as long as any other
thread has an asynchronous exception pending, and the deadline harness leaves
exactly that behind when a call overruns.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterator

from ..threads import Baseline, describe_threads
from ..threads.census import real_is_alive
from ..threads.leaks import census_notes
from ..threads.stand_ins import stand_in
from .registry import exercise
from .harness import call_answer, expect, learner_error, plural, running_at_return

from .limits import EXIT_DEADLINE  # noqa: E402
WIND_DOWN = 0.1  # each worker lingers this long after its last line (the judge allows
# a joined thread autograder.grading.judge.subject.TEARDOWN to leave /proc: keep this longer)

QUEUE_PUT = "a queue's put()"
WAITGROUP_DONE = "WaitGroup.done()"
WAITGROUP_WAIT = "WaitGroup.wait()"


@dataclass
class CallRecord:
    """What one call into an answer did, as the hooks saw it."""

    caller: int | None = None  # ident of the thread that runs the answer
    workers: list[threading.Thread] = field(default_factory=list)
    joined: set[threading.Thread] = field(default_factory=set)
    errors: list[tuple[threading.Thread, BaseException]] = field(default_factory=list)
    worker_calls: Counter = field(default_factory=Counter)
    caller_calls: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def started_by_answer(self) -> bool:
        """Is the current thread the answer's caller or one of its workers?"""
        ident = threading.get_ident()
        return ident == self.caller or any(w.ident == ident for w in self.workers)

    def note(self, call: str) -> None:
        """Count ``call``, for the caller or the workers; other threads' calls not at all."""
        ident = threading.get_ident()
        if ident == self.caller:
            counter = self.caller_calls
        elif any(w.ident == ident for w in self.workers):
            counter = self.worker_calls
        else:
            return
        with self.lock:
            counter[call] += 1


def _watch_worker(thread: threading.Thread, record: CallRecord) -> None:
    """Record the worker's errors and joins; make it linger at the end."""
    run = thread.run
    join = thread.join
    target = getattr(thread, "_target", None)

    @stand_in("the check's pause after your worker returned")
    def watched_run() -> None:
        try:
            run()
        except BaseException as error:  # noqa: BLE001 - reported by the check
            record.errors.append((thread, error))
        finally:
            thread._target = target  # run() deleted it; a report names it
            time.sleep(WIND_DOWN)  # still alive: its last line ran, the thread has not ended

    def recorded_join(timeout: float | None = None) -> None:
        join(timeout)
        if not real_is_alive(thread):
            with record.lock:
                record.joined.add(thread)

    # Instance attributes: the class (and the census's view of it) is untouched.
    thread.run = watched_run  # type: ignore[method-assign]
    thread.join = recorded_join  # type: ignore[method-assign]


@contextmanager
def _replaced(owner: Any, name: str, replacement: Any) -> Iterator[None]:
    had_own = name in vars(owner)
    original = vars(owner)[name] if had_own else None
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        if had_own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


def _counted(func: Callable, call: str, record: CallRecord) -> Callable:
    def counted(*args: Any, **kwargs: Any) -> Any:
        record.note(call)
        return func(*args, **kwargs)
    return counted


@contextmanager
def _watching(record: CallRecord, waitgroup: Any) -> Iterator[None]:
    """While inside, the answer's threads and its signalling calls are recorded."""
    start = threading.Thread.start

    def recording_start(self: threading.Thread) -> None:
        if record.started_by_answer():
            with record.lock:
                record.workers.append(self)
            _watch_worker(self, record)
        return start(self)

    simple_queue = queue.SimpleQueue

    class SimpleQueue(simple_queue):  # type: ignore[misc,valid-type]
        # Written in C, so its methods cannot be wrapped in place; a subclass
        # stands in for it in the queue module during the call.
        def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
            record.note(QUEUE_PUT)
            super().put(item, block, timeout)

        def put_nowait(self, item: Any) -> None:
            self.put(item, False)

    with ExitStack() as patches:
        patches.enter_context(_replaced(threading.Thread, "start", recording_start))
        patches.enter_context(_replaced(queue, "SimpleQueue", SimpleQueue))
        patches.enter_context(_replaced(queue.Queue, "put",
                                        _counted(queue.Queue.put, QUEUE_PUT, record)))
        if isinstance(waitgroup, type):
            for name, call in (("done", WAITGROUP_DONE), ("wait", WAITGROUP_WAIT)):
                method = getattr(waitgroup, name, None)
                if callable(method):
                    patches.enter_context(_replaced(waitgroup, name,
                                                    _counted(method, call, record)))
        yield


# --- the mechanisms -------------------------------------------------------------

@dataclass(frozen=True)
class Mechanism:
    function: str
    how: str  # how completion must travel, for messages
    still_running_advice: str
    used: Callable[[CallRecord, int], str | None]  # None, or what is missing


def _queue_used(record: CallRecord, n: int) -> str | None:
    puts = record.worker_calls[QUEUE_PUT]
    if puts < n:
        return (f"its workers put {plural(puts, 'item')} on a queue.Queue or "
                f"queue.SimpleQueue for {plural(n, 'worker')}: each worker should put its "
                "index on a queue, and the caller get n of them")
    return None


def _join_used(record: CallRecord, n: int) -> str | None:
    missing = [w for w in record.workers if w not in record.joined]
    if missing:
        return (f"it did not join {plural(len(missing), 'worker')} "
                f"({', '.join(w.name for w in missing[:3])}): join each worker in turn, "
                "and record its index when its join() returns")
    return None


def _waitgroup_used(record: CallRecord, n: int) -> str | None:
    done = record.worker_calls[WAITGROUP_DONE]
    if done != n:
        return (f"its workers called WaitGroup.done() {plural(done, 'time')} for "
                f"{plural(n, 'worker')}: add(n) before starting them, and have each "
                "worker call done() once, as its last step")
    if not record.caller_calls[WAITGROUP_WAIT]:
        return "it never called wait() on the WaitGroup: wait for it before you return"
    return None


MECHANISMS = [
    Mechanism("signal_done_queue", "through a queue", (
        "A worker that has put its index on the queue has not ended yet: after you "
        "have received all n, join every worker."), _queue_used),
    Mechanism("signal_done_join", "with join()", (
        "Join every worker before you return: join() returns only once the thread "
        "has ended."), _join_used),
    Mechanism("signal_done_waitgroup", "with the WaitGroup", (
        "wg.wait() returns once every worker has called done(), not once the threads "
        "have ended: join them too."), _waitgroup_used),
]


# --- the check ------------------------------------------------------------------

@exercise("signal_done", needs=tuple(m.function for m in MECHANISMS))
def check_signal_done(answers: dict[str, Any], hidden: bool) -> str:
    sizes = [0, 2, 16] if hidden else [1, 4]
    for mechanism in MECHANISMS:
        for n in sizes:
            _signal_case(answers[mechanism.function], mechanism, n)
    return ("each function waits for all its workers, returns every index once, and "
            "signals completion its own way.")


def _signal_case(signal_done: Callable, mechanism: Mechanism, n: int) -> None:
    call = f"{mechanism.function}({n})"
    record = CallRecord()
    baseline = Baseline()
    look, still = running_at_return(lambda: list(record.workers))
    with _watching(record, getattr(signal_done, "__globals__", {}).get("WaitGroup")):
        result = call_answer(signal_done, n, what=call,
                             at_start=lambda: setattr(record, "caller", threading.get_ident()),
                             at_return=look)
    fresh, current = baseline.new_threads()

    for thread, error in record.errors:
        raise learner_error(error, f"In {call}, worker thread {thread.name!r}")
    running = [t for t in fresh if t.thread in still]
    expect(not running, "\n".join([
        f"{call} returned while {plural(len(running), 'worker thread')} "
        f"{'was' if len(running) == 1 else 'were'} still running:",
        describe_threads(running),
        f"(The check makes every worker linger {WIND_DOWN * 1000:.0f} ms after its last "
        "line, as a thread the OS has just paused would.) " + mechanism.still_running_advice,
        *census_notes(current, baseline.tampering_since(current))]))
    baseline.expect_gone(EXIT_DEADLINE, what=call)

    started = len(record.workers)
    expect(started >= n,
           f"{call} started {'no thread' if not started else plural(started, 'thread')} "
           f"for {plural(n, 'worker')}: start one thread per worker "
           "(threading.Thread(target=..., args=(i,))), each doing its tiny unit of work.")
    expect(isinstance(result, list),
           f"{call} returned {result!r}; it should return the list of worker indices in "
           "the order their completion was received.")
    _expect_each_index_once(call, result, n)
    missing = mechanism.used(record, n) if n else None
    expect(missing is None,
           f"{call} must learn that its workers are done {mechanism.how}, but {missing}.")


def _expect_each_index_once(call: str, result: list, n: int) -> None:
    strangers = [item for item in result if type(item) is not int or not 0 <= item < n]
    expect(not strangers,
           f"{call} returned {result!r}: {', '.join(map(repr, strangers[:8]))} "
           f"{'is' if len(strangers) == 1 else 'are'} not a worker index (0 to {n - 1}). "
           "Return the indices themselves.")
    counts = Counter(result)
    lost = [i for i in range(n) if i not in counts]
    twice = sorted(i for i, c in counts.items() if c > 1)
    problems = []
    if lost:
        problems.append(f"the completion of {plural(len(lost), 'worker')} "
                        f"({', '.join(map(str, lost[:8]))}) never arrived: receive one "
                        "completion per worker before you return")
    if twice:
        problems.append(f"{', '.join(map(str, twice[:8]))} came more than once: each "
                        "worker signals once, and you record each signal once")
    expect(not problems, f"{call} returned {result!r}: " + "; ".join(problems) + ".")
