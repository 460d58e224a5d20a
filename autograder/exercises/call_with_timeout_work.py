"""The work lesson 05's call_with_timeout is handed, and what is said of it.

Each kind of work is a kind a caller meets: quick, failing, slow but checking
``cancelled``, asleep on ``cancelled``, and deaf to it. The in-kernel check
calls the learner's function with them; the judge's probe does the same in
the learner's process, so both share these, and the sentences a learner
reads when a call goes wrong: the same mistake reads the same from either.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from collections.abc import Callable

from ..threads.stand_ins import stand_in
from .leaky_consumer import real_current_thread

# The check's work, once told to stop, takes this long to clean up: an answer
# that raises without waiting for its worker is caught every time.
CLEANUP = 0.03
# Work that never checks cancelled runs this long unless stopped.
LONG = 20.0
# What a loaded machine may add to the time a call takes.
SLACK = 0.3
# ... where the bound is 2 × timeout: with the deaf case's timeout
# (call_with_timeout.DEAF_TIMEOUT) over this, a call that waits 3 × timeout is
# past it (tried three times).
DEAF_SLACK = 0.15


NEW_EVENT = ("Make a new threading.Event in each call: one shared by all calls lets one "
             "call's timeout cancel the work of every other.")


class WorkFailed(Exception):
    """The error the check's failing work raises: it must reach the caller."""


class Work:
    """One piece of the check's work: a function of ``cancelled``, recording
    the thread it ran in and whether it saw ``cancelled`` set."""

    def __init__(self, label: str, body: Callable[[Work, Any], Any]) -> None:
        self.label, self.body = label, body
        self.thread: threading.Thread | None = None
        self.cancelled: Any = None
        self.set_at_start = False  # cancelled was set before the work began
        self.saw_cancel = False
        self.release = threading.Event()  # for work that ignores cancelled

    def __call__(self, cancelled: Any) -> Any:
        self.thread, self.cancelled = real_current_thread(), cancelled
        self.set_at_start = isinstance(cancelled, threading.Event) and cancelled.is_set()
        return self.body(self, cancelled)

    def stop(self) -> None:
        """Whatever the answer did, let the work end now."""
        self.release.set()
        if isinstance(self.cancelled, threading.Event):
            self.cancelled.set()


@stand_in("the check's work, cleaning up after cancelled was set")
def _clean_up(work: Work) -> None:
    work.saw_cancel = True
    time.sleep(CLEANUP)


@stand_in("the check's quick work")
def quick(work: Work, cancelled: Any) -> Any:
    return work.release  # an object only this work returns


@stand_in("the check's work that returns None")
def returns_none(work: Work, cancelled: Any) -> None:
    return None


@stand_in("the check's work that fails")
def fails(work: Work, cancelled: Any) -> None:
    raise WorkFailed(f"the work failed (raised by the check, #{id(work)})")


@stand_in("the check's slow work, checking cancelled as it goes")
def cooperative(work: Work, cancelled: Any) -> str:
    end = time.monotonic() + LONG
    while time.monotonic() < end:
        if cancelled.is_set():
            _clean_up(work)
            return "stopped"
        time.sleep(0.005)
    return "finished"


@stand_in("the check's work, asleep in cancelled.wait()")
def asleep(work: Work, cancelled: Any) -> str:
    cancelled.wait()
    _clean_up(work)
    return "stopped"


@stand_in("the check's work that takes a while and then returns")
def in_time(work: Work, cancelled: Any) -> Any:
    cancelled.wait(work.seconds)  # type: ignore[attr-defined]
    return work.release


@stand_in("the check's work that ignores cancelled")
def deaf(work: Work, cancelled: Any) -> str:
    work.release.wait(LONG)
    return "late"


# --- what a learner reads, from the check and the judge alike -----------------------------

def in_callers_thread(what: str) -> str:
    return (f"{what} ran the work in the caller's own thread; run it in a thread of its own, "
            "so the caller can stop waiting when the time is up.")


def returned_late(what: str, took: float, done: str) -> str:
    return (f"{what} returned after {took:.2f} s, though {done}: return as soon as it is "
            "done (join(timeout) returns the moment the thread ends).")


def gave_up_late(what: str, took: float) -> str:
    return (f"{what} raised TimeoutError only after {took:.2f} s; the work stopped within "
            f"{CLEANUP * 1000:.0f} ms of being cancelled, so it should take little more than "
            "the timeout.")


def not_an_event(what: str, given: str) -> str:
    return (f"{what} passed the work {given} as cancelled; pass a threading.Event, which the "
            "work can check and wait on.")


def error_lost(what: str, ended: str) -> str:
    return (f"{what}: the work raised WorkFailed, but the call {ended}. Catch the error in "
            "the worker thread and raise that same exception in the caller.")
