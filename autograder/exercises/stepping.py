"""Pause a call of learner code before any one of its lines, run something
else meanwhile, then let it go on: the thread switches a race needs, made to
happen instead of waited for.

A flag read outside the lock is wrong because another thread can run
between that read and what the reader does next. A scheduler switches there
perhaps once in thousands of runs, so a test that waits for it is luck. This
module puts the switch there: ``PausedCall`` runs a call in a thread traced
with ``sys.settrace`` (only the learner's own code; the standard library runs
untraced at full speed) and holds it just before its k-th line. A check
tries k = 1, 2, ... until the call runs out of lines, so every place a
switch could land is tried once, in a known order.
"""

from __future__ import annotations

import sys
import threading
import time
from types import CodeType, FrameType
from typing import Any
from collections.abc import Callable

from ..sockets.activity import CONFIRMATIONS, kernel_wait
from ..threads.census import real_is_alive, real_join
from ..threads.locations import Location, is_learner_file

# At most this many stops are tried in one call: a loop in learner code has
# as many lines as it runs, and a few passes through it are enough.
MOST_STOPS = 40


class PausedCall:
    """``func(*args)`` in a thread that stops before the learner's ``stop_at``-th
    line (counted from 1; 0: never) and waits there until ``go_on()``.

    The thread is not the checks' own: what it runs is learner code, and if it
    never ends the census reports it like any thread the learner left behind.
    """

    def __init__(self, func: Callable[..., Any], *args: Any, stop_at: int, name: str) -> None:
        self.func, self.args, self.stop_at = func, args, stop_at
        self.outcome: tuple[str, Any] | None = None  # ("returned", value) / ("raised", error)
        self.stopped_at: Location | None = None
        self._lines = 0
        self._paused, self._go_on = threading.Event(), threading.Event()
        self._learners: dict[CodeType, bool] = {}
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def begin(self, blocked: Callable[[], bool], limit: float = 1.0) -> None:
        """Start, and return once it is held at its line, has finished, or is
        ``blocked()`` before getting there (a get() on an empty queue waits, and
        its later lines run only once the other call has woken it)."""
        self.thread.start()
        end = time.monotonic() + limit
        while not self._paused.wait(0.001) and real_is_alive(self.thread) \
                and time.monotonic() < end:
            if blocked() and not self._paused.is_set():
                return

    def go_on(self) -> None:
        self._go_on.set()

    def join(self, timeout: float) -> bool:
        """Whether the call has finished within ``timeout``."""
        real_join(self.thread, timeout)
        return not real_is_alive(self.thread)

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def _run(self) -> None:
        if self.stop_at:
            sys.settrace(self._on_call)
        try:
            self.outcome = ("returned", self.func(*self.args))
        except BaseException as error:  # noqa: BLE001 - the check judges it
            self.outcome = ("raised", error)
        finally:
            sys.settrace(None)

    def _is_learners(self, code: CodeType) -> bool:
        known = self._learners.get(code)
        if known is None:
            known = self._learners[code] = is_learner_file(code.co_filename)
        return known

    def _on_call(self, frame: FrameType, event: str, arg: Any):
        if self._go_on.is_set() or not self._is_learners(frame.f_code):
            return None
        return self._on_line

    def _on_line(self, frame: FrameType, event: str, arg: Any):
        if event == "line" and not self._go_on.is_set():
            self._lines += 1
            if self._lines == self.stop_at:
                code = frame.f_code
                self.stopped_at = Location(code.co_filename, frame.f_lineno, code.co_name)
                self._paused.set()
                self._go_on.wait()
        return self._on_line


def meanwhile(func: Callable[..., Any], *args: Any, name: str, limit: float = 1.0
              ) -> PausedCall:
    """Run ``func(*args)`` in a thread of its own (untraced), and wait until it
    has finished or is asleep: it may need a lock the paused call holds, and
    then it finishes only after that call goes on. A thread still runnable is
    waited for, so a loaded machine only slows the check down."""
    other = PausedCall(func, *args, stop_at=0, name=name)
    other.thread.start()
    wait_until_asleep(other.thread, limit)
    return other


def wait_until_asleep(thread: threading.Thread, limit: float = 0.5) -> bool:
    """Wait until ``thread`` sleeps in the kernel (seen CONFIRMATIONS times in a row)
    or has ended; False if neither happened within ``limit`` (it spins), or if
    /proc cannot say (then after a pause)."""
    end, seen = time.monotonic() + limit, 0
    while time.monotonic() < end and real_is_alive(thread):
        state = kernel_wait(thread.native_id) if thread.native_id else None
        if state is None:
            time.sleep(0.05)
            return not real_is_alive(thread)
        seen = seen + 1 if not state.running else 0
        if seen >= CONFIRMATIONS:
            return True
        time.sleep(0.002)
    return not real_is_alive(thread)
