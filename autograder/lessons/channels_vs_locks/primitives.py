"""Each primitive on its own: used by one thread, passed between two, and how
long a woken thread waits for the GIL."""

from __future__ import annotations

import queue
import sys
import threading
import time
import timeit
from collections.abc import Callable
from typing import Any

from .measuring import Measurement, Sizes, measure

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
