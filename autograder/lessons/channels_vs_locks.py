"""Lesson 04's demonstrations and benchmarks: is a channel cheaper than a lock?

The seed claims that Go's channels are built on mutexes, so a channel is not
cheaper than a mutex or a WaitGroup. Here the Python side of that claim is
read from the standard library's own source and measured. Every function
returns what it observed, so the notebook can show it and the tests can pin it.
Timings are compared as ratios within one run: absolute times depend on the
machine, ratios much less.
"""

from __future__ import annotations

import inspect
import io
import os
import queue
import statistics
import sys
import textwrap
import threading
import time
import timeit
import tokenize
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from . import live_demos_enabled
from .waitgroup import WaitGroup  # the course's own; the notebook imports it from here


def tiny_work(index: int) -> int:
    """The one tiny unit of work each worker does in the exercise."""
    return index * index


# --- reading the source: Python's chan.go ---------------------------------------

# Calls that create a building block, by the name called.
BUILDING_BLOCKS = {"Lock": "Lock", "RLock": "Lock", "allocate_lock": "Lock",
                   "_allocate_lock": "Lock", "Condition": "Condition", "deque": "deque"}


@dataclass(frozen=True)
class SourceLine:
    lineno: int  # within the object's source, from 1
    text: str
    block: str  # "Lock", "Condition" or "deque"


def building_blocks(obj: Any) -> list[SourceLine]:
    """The lines of ``obj``'s Python source that create a Lock, Condition or deque.

    Read as tokens, so names in comments, strings and docstrings do not count.
    """
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    return [SourceLine(token.start[0], lines[token.start[0] - 1].strip(),
                       BUILDING_BLOCKS[token.string])
            for token, after in zip(tokens, tokens[1:])
            if token.type == tokenize.NAME and token.string in BUILDING_BLOCKS
            and after.string == "("]


def show_building_blocks(obj: Any) -> None:
    name = getattr(obj, "__qualname__", repr(obj))
    print(f"{name}: {len(inspect.getsource(obj).splitlines())} lines of Python")
    for line in building_blocks(obj):
        print(f"  line {line.lineno:3}  {line.block:9}  {line.text}")


def written_in_c(obj: Any) -> bool:
    """True when ``obj`` has no Python source: the interpreter implements it in C."""
    try:
        inspect.getsource(obj)
    except (TypeError, OSError):
        return True
    return False


def join_waits_on() -> Any:
    """The function ``Thread.join`` waits in, on this Python version."""
    return getattr(threading.Thread, "_wait_for_tstate_lock", threading.Thread.join)


def mechanisms_and_blocks() -> dict[str, str]:
    """Each "done" mechanism of the lesson, and what it is built from here."""
    objects = {"queue.Queue": queue.Queue, "queue.SimpleQueue": queue.SimpleQueue,
               "threading.Event": threading.Event, "threading.Condition": threading.Condition,
               "WaitGroup": WaitGroup}
    table = {}
    for name, obj in objects.items():
        if written_in_c(obj):
            table[name] = "written in C"
            continue
        found = [line.block for line in building_blocks(obj)]
        table[name] = ", ".join(f"{found.count(b)} {b}" for b in ("Lock", "Condition", "deque")
                                if b in found)
    # Up to 3.12 join acquires a lock the interpreter releases as the thread
    # ends; 3.13 moved that wait into C.
    table["Thread.join"] = ("waits on the thread's _tstate_lock, a Lock released as the "
                            "thread ends" if hasattr(threading.Thread, "_wait_for_tstate_lock")
                            else "written in C")
    return table


# --- timing ---------------------------------------------------------------------

def quick_mode() -> bool:
    """Benchmarks shrink while nbgrader runs the notebook and in CI."""
    return bool(os.environ.get("NBGRADER_EXECUTION") or os.environ.get("CI"))


@dataclass(frozen=True)
class Sizes:
    operations: int  # per repeat, for single-thread operations
    round_trips: int  # per repeat, for ping-pong between two threads
    threads: int  # workers per call, for the "done" signals
    repeats: int


FULL = Sizes(operations=50_000, round_trips=2_000, threads=64, repeats=7)
QUICK = Sizes(operations=2_000, round_trips=100, threads=8, repeats=3)


def default_sizes() -> Sizes:
    return QUICK if quick_mode() else FULL


@dataclass
class Measurement:
    label: str
    seconds_per_op: list[float]  # one per repeat

    @property
    def median(self) -> float:
        return statistics.median(self.seconds_per_op)

    @property
    def low(self) -> float:
        return min(self.seconds_per_op)

    @property
    def high(self) -> float:
        return max(self.seconds_per_op)


def measure(label: str, timed_batch: Callable[[int], float], count: int,
            repeats: int) -> Measurement:
    """Run ``timed_batch(count)`` ``repeats`` times; it returns the seconds it took."""
    timed_batch(max(1, count // 10))  # warm up: first calls fill caches
    return Measurement(label, [timed_batch(count) / count for _ in range(repeats)])


# One operation of each primitive in one thread, nobody else around.
UNCONTENDED = {
    "Lock": ("acquire(); release()",
             "lock = threading.Lock(); acquire, release = lock.acquire, lock.release"),
    "SimpleQueue": ("put(None); get()",
                    "ch = queue.SimpleQueue(); put, get = ch.put, ch.get"),
    "Queue": ("put(None); get()", "ch = queue.Queue(); put, get = ch.put, ch.get"),
    "Event": ("set_(); wait(); clear()",
              "event = threading.Event(); set_, wait, clear = event.set, event.wait, event.clear"),
    "Condition": ("with cond: notify()",
                  "cond = threading.Condition(); notify = cond.notify"),
}


def time_uncontended(sizes: Sizes) -> list[Measurement]:
    """Seconds per operation of each primitive, used by one thread alone."""
    names = {"threading": threading, "queue": queue}
    return [measure(label, timeit.Timer(stmt, setup, globals=names).timeit,
                    sizes.operations, sizes.repeats)
            for label, (stmt, setup) in UNCONTENDED.items()]


# A ping-pong pair: ping() sends to the partner and waits for its answer;
# answer() waits for a ping and answers it. Each round trip wakes two threads.
PingPong = tuple[Callable[[], None], Callable[[], None]]


def _lock_pair() -> PingPong:
    ping_lock, pong_lock = threading.Lock(), threading.Lock()
    ping_lock.acquire()
    pong_lock.acquire()

    def ping() -> None:
        ping_lock.release()
        pong_lock.acquire()

    def answer() -> None:
        ping_lock.acquire()
        pong_lock.release()
    return ping, answer


def _queue_pair(make: Callable[[], Any]) -> Callable[[], PingPong]:
    def pair() -> PingPong:
        to_partner, to_main = make(), make()

        def ping() -> None:
            to_partner.put(None)
            to_main.get()

        def answer() -> None:
            to_partner.get()
            to_main.put(None)
        return ping, answer
    return pair


def _event_pair() -> PingPong:
    pinged, ponged = threading.Event(), threading.Event()

    def ping() -> None:
        pinged.set()
        ponged.wait()
        ponged.clear()

    def answer() -> None:
        pinged.wait()
        pinged.clear()
        ponged.set()
    return ping, answer


def _condition_pair() -> PingPong:
    cond = threading.Condition()
    turn = ["main"]

    def ping() -> None:
        with cond:
            turn[0] = "partner"
            cond.notify()
            cond.wait_for(lambda: turn[0] == "main")

    def answer() -> None:
        with cond:
            cond.wait_for(lambda: turn[0] == "partner")
            turn[0] = "main"
            cond.notify()
    return ping, answer


PING_PONG: dict[str, Callable[[], PingPong]] = {
    "Lock": _lock_pair,
    "SimpleQueue": _queue_pair(queue.SimpleQueue),
    "Queue": _queue_pair(queue.Queue),
    "Event": _event_pair,
    "Condition": _condition_pair,
}


def timed_ping_pong(make_pair: Callable[[], PingPong]) -> Callable[[int], float]:
    """A batch timer: ``rounds`` round trips with a partner thread."""
    def timed(rounds: int) -> float:
        ping, answer = make_pair()
        partner = threading.Thread(target=lambda: [answer() for _ in range(rounds)],
                                   name="ping-pong partner", daemon=True)
        partner.start()
        try:
            started = time.perf_counter()
            for _ in range(rounds):
                ping()
            return time.perf_counter() - started
        finally:
            partner.join()
    return timed


def time_ping_pong(sizes: Sizes) -> list[Measurement]:
    """Seconds per round trip between two threads, through each primitive."""
    return [measure(label, timed_ping_pong(pair), sizes.round_trips, sizes.repeats)
            for label, pair in PING_PONG.items()]


def timed_wake_ups(signaller_keeps_running: bool) -> Callable[[int], float]:
    """A batch timer: the summed delay from ``Event.set()`` until the woken thread runs.

    If the signaller keeps running Python code after ``set()``, the woken
    thread also needs the GIL from it, and gets it only when the signaller is
    asked to let go: once per switch interval.
    """
    def timed(trials: int) -> float:
        go, ack = threading.Event(), threading.Event()
        woke_at: list[float] = []

        def waiter() -> None:
            for _ in range(trials):
                go.wait()
                woke_at.append(time.perf_counter())
                go.clear()
                ack.set()
        thread = threading.Thread(target=waiter, name="woken thread", daemon=True)
        thread.start()
        delay = 0.0
        for _ in range(trials):
            ack.clear()
            signalled_at = time.perf_counter()
            go.set()
            if signaller_keeps_running:
                while not ack.is_set():
                    pass  # pure Python: holds the GIL until asked to let go
            else:
                ack.wait()
            delay += woke_at[-1] - signalled_at
        thread.join()
        return delay
    return timed


def time_wake_ups(sizes: Sizes, switch_interval: float | None = None) -> list[Measurement]:
    """How long a woken thread waits to run, depending on what its waker does next.

    ``switch_interval`` sets ``sys.setswitchinterval`` for the measurement only.
    """
    # Each wake-up behind a running signaller takes a switch interval (ms):
    # fewer trials are enough.
    trials = max(5, sizes.round_trips // 50)
    usual = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval or usual)
    try:
        return [measure("signaller then waits", timed_wake_ups(False), trials, sizes.repeats),
                measure("signaller keeps running Python", timed_wake_ups(True), trials,
                        sizes.repeats)]
    finally:
        sys.setswitchinterval(usual)


def gil_enabled() -> bool:
    """3.13's free-threaded build can run without the GIL; before 3.13 it is always on."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else bool(is_enabled())


def done_via_executor(n: int) -> list[int]:
    """The pool's way to learn that work is done: a Future per task."""
    with ThreadPoolExecutor(thread_name_prefix="pool worker") as pool:
        futures = {pool.submit(tiny_work, index): index for index in range(n)}
        return [futures[future] for future in as_completed(futures)]


def time_done_signals(mechanisms: dict[str, Callable[[int], list[int]]],
                      sizes: Sizes) -> list[Measurement]:
    """Seconds per worker to start ``sizes.threads`` workers and learn they are done."""
    def timer(signal_done: Callable[[int], list[int]]) -> Callable[[int], float]:
        def timed(n: int) -> float:
            started = time.perf_counter()
            signal_done(n)
            return time.perf_counter() - started
        return timed
    return [measure(label, timer(func), sizes.threads, sizes.repeats)
            for label, func in mechanisms.items()]


# Between long-lived workers: a pool that stays up, so that the thread's end is
# not what is waited for, and the signal is all that tells the caller "done".
# Every mechanism hands out its tasks the same way (one queue.Queue inbox);
# only the way back differs. Each entry makes, for one round of n tasks, the
# workers' signal and the caller's wait.
Signal = tuple[Callable[[int], None], Callable[[], None]]


def _signal_by_queue(make: Callable[[], Any]) -> Callable[[queue.Queue, int], Signal]:
    def signal(inbox: queue.Queue, n: int) -> Signal:
        finished = make()
        return finished.put, lambda: [finished.get() for _ in range(n)]
    return signal


def _signal_by_waitgroup(inbox: queue.Queue, n: int) -> Signal:
    wg = WaitGroup()
    wg.add(n)
    return lambda index: wg.done(), wg.wait


def _signal_by_task_done(inbox: queue.Queue, n: int) -> Signal:
    # The inbox's own counter: put() added one per task, task_done() takes it away.
    return lambda index: inbox.task_done(), inbox.join


POOL_SIGNALS: dict[str, Callable[[queue.Queue, int], Signal]] = {
    "WaitGroup": _signal_by_waitgroup,
    "Queue": _signal_by_queue(queue.Queue),
    "SimpleQueue": _signal_by_queue(queue.SimpleQueue),
    "Queue.task_done() / join()": _signal_by_task_done,
}


def timed_pool_signal(make_signal: Callable[[queue.Queue, int], Signal],
                      workers: int) -> Callable[[int], float]:
    """A batch timer: ``rounds`` rounds of ``workers`` tasks on a pool of
    ``workers`` threads started beforehand; returns the seconds per task
    times ``rounds`` (so ``measure`` reports seconds per task)."""
    def timed(rounds: int) -> float:
        inbox: queue.Queue = queue.Queue()

        def worker() -> None:
            while (task := inbox.get()) is not None:
                index, signal = task
                tiny_work(index)
                signal(index)

        pool = [threading.Thread(target=worker, name=f"pool worker {i}", daemon=True)
                for i in range(workers)]
        for thread in pool:
            thread.start()
        try:
            started = time.perf_counter()
            for _ in range(rounds):
                signal, wait = make_signal(inbox, workers)
                for index in range(workers):
                    inbox.put((index, signal))
                wait()
            return (time.perf_counter() - started) / workers
        finally:
            for _ in pool:
                inbox.put(None)
            for thread in pool:
                thread.join()
    return timed


def time_pool_signals(sizes: Sizes) -> list[Measurement]:
    """Seconds per task for a pool of ``sizes.threads`` long-lived workers to
    do one tiny task each and let the caller know, through each mechanism."""
    rounds = max(5, sizes.round_trips // 20)
    return [measure(label, timed_pool_signal(make, sizes.threads), rounds, sizes.repeats)
            for label, make in POOL_SIGNALS.items()]


# --- reporting ------------------------------------------------------------------

def ratios(measurements: list[Measurement]) -> dict[str, float]:
    """Each median as a multiple of the first one's: the numbers that travel."""
    base = measurements[0].median
    return {m.label: m.median / base for m in measurements}


def spread(measurements: list[Measurement]) -> float:
    """The slowest median as a multiple of the fastest."""
    medians = [m.median for m in measurements]
    return max(medians) / min(medians)


def ratio_lines(measurements: list[Measurement]) -> list[str]:
    base = measurements[0].label
    width = max(len(m.label) for m in measurements)
    return [f"{label:>{width}}: {ratio:7.1f} × {base}"
            for label, ratio in ratios(measurements).items()]


def print_ratios(measurements: list[Measurement]) -> None:
    print("\n".join(ratio_lines(measurements)))


def plot_groups(groups: dict[str, list[Measurement]]):
    """One panel per group: a dot per repeat, the median as a diamond, min-max
    whiskers, on a log scale (bar lengths would mean nothing there)."""
    import matplotlib.pyplot as plt

    rows_in_all = sum(len(g) for g in groups.values())
    figure, axes = plt.subplots(len(groups), 1, squeeze=False,
                                figsize=(8, 0.5 + 0.4 * rows_in_all + 0.8 * len(groups)))
    for ax, (title, measurements) in zip(axes[:, 0], groups.items()):
        rows = list(range(len(measurements)))
        medians = [m.median for m in measurements]
        ax.errorbar(medians, rows, fmt="D", color="tab:blue", capsize=4,
                    xerr=[[m.median - m.low for m in measurements],
                          [m.high - m.median for m in measurements]])
        for row, m in zip(rows, measurements):
            ax.plot(m.seconds_per_op, [row] * len(m.seconds_per_op), "o", color="tab:gray",
                    alpha=0.6, markersize=3)
        for row, (m, ratio) in enumerate(zip(measurements, ratios(measurements).values())):
            ax.annotate(f"×{ratio:.1f}", (m.high, row), xytext=(8, -3),
                        textcoords="offset points", fontsize=8)
        ax.set_yticks(rows, [m.label for m in measurements])
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xscale("log")
        ax.grid(axis="x", which="both", alpha=0.3)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("seconds per operation (log scale; × = multiple of the first row)",
                      fontsize=8)
        ax.margins(x=0.3)
    figure.tight_layout()
    return figure


def run_benchmarks(sizes: Sizes, done_mechanisms: dict[str, Callable[[int], list[int]]]
                   ) -> dict[str, list[Measurement]]:
    return {
        "one thread, uncontended: one operation": time_uncontended(sizes),
        "two threads, ping-pong: one round trip": time_ping_pong(sizes),
        f"{sizes.threads} workers: start them and learn they are done (per worker)":
            time_done_signals(done_mechanisms, sizes),
        f"a pool of {sizes.threads} long-lived workers: learn a task is done (per task)":
            time_pool_signals(sizes),
    }


def benchmark_panel(done_mechanisms: dict[str, Callable[[int], list[int]]]):
    """Sliders for the benchmarks' size and a button that runs them all again.

    Returns None while nbgrader runs the notebook: nobody is there to click.
    """
    if not live_demos_enabled():
        print("(The benchmark controls only appear when you run the notebook yourself.)")
        return None
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    start = default_sizes()
    operations = widgets.SelectionSlider(
        options=[1_000, 3_000, 10_000, 30_000, 100_000, 300_000],
        value=min([1_000, 3_000, 10_000, 30_000, 100_000, 300_000],
                  key=lambda v: abs(v - start.operations)),
        description="operations", continuous_update=False)
    threads = widgets.SelectionSlider(options=[2, 4, 8, 16, 32, 64, 128, 256],
                                      value=start.threads, description="workers",
                                      continuous_update=False)
    repeats = widgets.IntSlider(value=start.repeats, min=2, max=15, description="repeats",
                                continuous_update=False)
    run = widgets.Button(description="Run the benchmarks", icon="play")
    output = widgets.Output()

    def on_run(_: Any) -> None:
        run.disabled = True
        output.clear_output()
        sizes = Sizes(operations.value, max(10, operations.value // 25), threads.value,
                      repeats.value)
        with output:
            print(f"running: {sizes} ...")
            try:
                groups = run_benchmarks(sizes, done_mechanisms)
                for title, measurements in groups.items():
                    print(f"\n{title}")
                    print_ratios(measurements)
                plot_groups(groups)
                plt.show()
            finally:
                run.disabled = False
    run.on_click(on_run)
    return widgets.VBox([widgets.HTML("<b>Benchmark size</b> (larger is steadier, and slower)"),
                         operations, threads, repeats, run, output])
