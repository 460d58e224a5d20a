"""Learning that work is done: workers that end, and a pool that stays up."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from ..waitgroup import WaitGroup
from .measuring import Measurement, Sizes, measure, tiny_work

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
