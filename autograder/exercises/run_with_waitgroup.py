"""Checks for lesson 03's second exercise, run_with_waitgroup: program D's
reader, stopped by closing its connection and waited for with the WaitGroup."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any
from collections.abc import Callable

from ..sockets import Peer, PeerView
from ..sockets.peer import LOOPBACK
from ..threads import Baseline, DeadlineExceeded, LeakError, describe_threads
from ..threads.census import is_own
from ..threads.origins import started_threads
from . import beside
from .harness import (CALL_DEADLINE, CheckFailed, call_answer, expect, isolated,
                      running_at_return, started_since)
from .limits import EXIT_DEADLINE
from .registry import exercise

FINISHING = 0.1  # the reader's done() takes this long: it has clean-up to do
WIND_DOWN = 0.05  # and returns this long after the counter reached zero


def observed_waitgroup(base: type, finishing: float = 0.0,
                       hold: threading.Event | None = None,
                       wind_down: float = 0.0) -> tuple[type, list[Any]]:
    """A WaitGroup of class ``base`` that remembers its instances and their
    counters; counting down takes ``finishing`` seconds, or waits for ``hold``
    (a reader that never finishes).

    ``done()`` returns ``wind_down`` seconds after the counter reached zero, as
    in a reader the OS pauses right after its ``done()``: its thread is still
    alive when ``wait()`` returns, every time instead of once in a while.
    """
    created: list[Any] = []

    class WaitGroup(base):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.counted = 0  # Go's WaitGroup does not let you read its counter
            created.append(self)

        def add(self, delta: int = 1) -> None:
            if delta < 0:
                if hold is not None:
                    hold.wait()
                time.sleep(finishing)
            # Counted first: a waiter the real add releases never reads the old count.
            self.counted += delta
            try:
                super().add(delta)
            except BaseException:
                self.counted -= delta
                raise
            if delta < 0:
                time.sleep(wind_down)

        def done(self) -> None:
            self.add(-1)  # through add above, whatever the base's done() does

    return WaitGroup, created


def _call_text(linger: float | None, timeout: float | None) -> tuple[tuple, str]:
    args, words = (), ["address"]
    if linger is not None:
        args, words = (linger,), words + [f"linger={linger:g}"]
    if timeout is not None:
        args, words = (linger, timeout), words + [f"timeout={timeout:g}"]
    return args, f"run_with_waitgroup({', '.join(words)})"


def _accept_peer(listener: socket.socket, call: str) -> Peer:
    listener.settimeout(EXIT_DEADLINE)
    try:
        accepted, _ = listener.accept()
    except TimeoutError:
        raise CheckFailed(f"{call} never connected to the address it was given.") from None
    return Peer(accepted)


def _running(baseline: Baseline) -> list:
    fresh, _ = baseline.new_threads()
    return [t for t in fresh if t.thread is not None and not t.finished]


def _reader_finishes(run: Callable, base: type, linger: float | None,
                     timeout: float | None) -> None:
    WaitGroup, created = observed_waitgroup(base, finishing=FINISHING, wind_down=WIND_DOWN)
    func = isolated(run, WaitGroup=WaitGroup)
    args, call = _call_text(linger, timeout)
    budget = (linger or 0.2) + (timeout or 1.0) + WIND_DOWN + CALL_DEADLINE
    with socket.create_server((LOOPBACK, 0)) as listener:
        address = listener.getsockname()
        baseline = Baseline()
        before = {id(t) for t in started_threads()}
        look, still = running_at_return(  # the thread that runs the call is the check's
            lambda: [t for t in started_since(before) if not is_own(t)])
        counters: list[int] = []  # each WaitGroup's counter the instant the call returned

        def at_return() -> None:
            counters.extend(wg.counted for wg in created)
            look()

        try:
            call_answer(func, address, *args, what=call, expected=(TimeoutError,),
                        timeout=budget, at_return=at_return)
        except TimeoutError as error:
            stuck = _running(baseline)
            raise CheckFailed("\n".join([
                f"{call} raised TimeoutError ({error}): its reader never finished.",
                *([f"The reader is still blocked:\n{describe_threads(stuck)}"] if stuck
                  else []),
                "On Linux, close() does not wake a thread blocked in recv() (lesson 02): "
                "call conn.shutdown(socket.SHUT_RDWR) first, then conn.close()."])) from None
        fresh, _ = baseline.new_threads()
        running = [t for t in fresh if t.thread in still]
        expect(created, f"{call} never made a WaitGroup: make one inside "
               "run_with_waitgroup (the check hands it a WaitGroup class of its own under "
               "that name), add(1) before starting the reader, and have the reader call "
               "done().")
        expect(all(c == 0 for c in counters),
               "\n".join([f"{call} returned before its reader was done: the WaitGroup's "
                          f"counter was still {max(counters)}.",
                          *([describe_threads(running)] if running else []),
                          "This is the seed's bug. After closing the connection, wait on "
                          "the WaitGroup: wg.wait(timeout), and raise TimeoutError if it "
                          "returns False."]))
        expect(not still, "\n".join([
            f"{call} returned while its reader thread was still running:",
            describe_threads(running) if running else ", ".join(t.name for t in still),
            f"(The check's WaitGroup returns from done() {WIND_DOWN * 1000:.0f} ms after "
            "the counter reaches 0, as a reader the OS pauses right after done() would.) "
            "wg.wait() returns once the reader has called done(), not once its thread has "
            "ended. Keep the reader's Thread object and join() it after wg.wait()."]))
        try:
            baseline.expect_gone(EXIT_DEADLINE, what=call)
        except LeakError as leak:
            raise CheckFailed(f"{call} left threads running after its reader was done.\n"
                              f"{leak}") from None
        seen = _accept_peer(listener, call).watch(EXIT_DEADLINE)
        expect(seen is PeerView.END_OF_STREAM,
               f"After {call} returned, the server had seen {seen.value}, not the "
               "end-of-stream: shut the connection down and close it.")


def _reader_never_finishes(run: Callable, base: type, timeout: float) -> None:
    release = threading.Event()
    WaitGroup, _ = observed_waitgroup(base, hold=release)
    func = isolated(run, WaitGroup=WaitGroup)
    call = f"run_with_waitgroup(address, linger=0, timeout={timeout:g})"
    told = f"{call}, with a reader that never finishes,"
    with socket.create_server((LOOPBACK, 0)) as listener:
        began = time.monotonic()
        try:
            call_answer(func, listener.getsockname(), 0.0, timeout, what=call,
                        expected=(TimeoutError,), timeout=timeout + CALL_DEADLINE)
        except TimeoutError:
            took = time.monotonic() - began
            expect(took < timeout + 0.5,
                   f"{told} raised TimeoutError only after {took:.2f} s: give up once "
                   "timeout seconds have passed.")
        except DeadlineExceeded as stuck:
            raise CheckFailed(
                f"{told} did not return within {timeout + CALL_DEADLINE:g} s. Wait with "
                "wg.wait(timeout), and raise TimeoutError when it returns False.\n"
                f"{stuck}") from None
        else:
            raise CheckFailed(f"{told} returned normally. When wg.wait(timeout) returns "
                              "False the reader is not done: raise TimeoutError.")
        finally:
            release.set()


@exercise("run_with_waitgroup", needs=("run_with_waitgroup",))
def check_run_with_waitgroup(answers: dict[str, Any], hidden: bool) -> str:
    # Graded with a known-good WaitGroup, so a broken one costs only its own test.
    run = answers["run_with_waitgroup"]
    with beside.said_when_own("WaitGroup", "run_with_waitgroup"):
        base = beside.waitgroup(getattr(run, "__globals__", {}).get("WaitGroup"))
        if not hidden:
            _reader_finishes(run, base, linger=None, timeout=None)
            _reader_never_finishes(run, base, timeout=0.3)
        else:
            _reader_finishes(run, base, linger=0.0, timeout=1.0)
            _reader_finishes(run, base, linger=0.05, timeout=2.0)
            _reader_never_finishes(run, base, timeout=0.6)
    return ("the server saw end-of-stream, the call returned only once its reader thread "
            "had ended, and it gives up with TimeoutError when the reader never finishes.")
