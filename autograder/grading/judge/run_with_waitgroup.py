"""Lesson 03's run_with_waitgroup judged from outside: it connects to a server
inside the learner's process (its network is its own); the judge sees the
reader thread alive, and sees from /proc, at the instant the call returns,
that no thread it started still runs."""

from __future__ import annotations

import time
from typing import Any

from ...exercises.harness import CALL_DEADLINE, plural
from ...exercises.limits import EXIT_DEADLINE
from .registry import expect, fresh_rng, judge
from .subject import Rejected, Subject
from .waitgroup import LATE, TOO_SOON


def _call_text(linger: float | None, timeout: float | None) -> str:
    words = ["address"]
    if linger is not None or timeout is not None:
        words.append(f"linger={0.2 if linger is None else linger:g}")
    if timeout is not None:
        words.append(f"timeout={timeout:g}")
    return f"run_with_waitgroup({', '.join(words)})"


def _inner_ids(value: object) -> set[int]:
    return {t for t in value if type(t) is int} if isinstance(value, list) else set()


def _reader_finishes(subject: Subject, linger: float | None, timeout: float | None) -> None:
    call = _call_text(linger, timeout)
    kind, _ = subject.call("run_with_waitgroup", linger=linger, timeout=timeout,
                           never_finishes=False)
    expect(kind == "step", f"{call}: the probe did not get to call it.")
    before = subject.tasks()
    kind, data = subject.resume("run_with_waitgroup")
    own = _inner_ids(data.get("caller"))  # the probe's thread that calls, and the runner
    readers: list[int] = []
    at_return: tuple[Any, list[int]] | None = None
    while kind == "step":
        if "reader" in data:
            expect(data["reader"] not in own,
                   f"{call} called wg.done() itself: the reader thread must call it, when "
                   "its connection ends.")
            readers += subject.started([data["reader"]], before, 1,
                                       "the reader (it calls wg.done())")
        elif "returned" in data:  # the caller is held: this is the instant of return
            now = subject.tasks()
            at_return = (data["returned"], subject.still_running(
                [host for inner, host in now.items() if inner not in before and inner not in own]))
        kind, data = subject.resume("run_with_waitgroup")
    raised = data.get("raised")
    if raised == "TimeoutError":
        raise Rejected(f"{call} raised TimeoutError ({data.get('message', '')}): its reader "
                       "never finished. On Linux, close() does not wake a thread blocked in "
                       "recv() (lesson 02): call conn.shutdown(socket.SHUT_RDWR) first, then "
                       "conn.close().")
    if raised == "hung":
        raise Rejected(f"{call} did not return within "
                       f"{(linger or 0.2) + (timeout or 1.0) + CALL_DEADLINE:g} s.")
    if raised is not None:
        what = "is not written yet (it raises NotImplementedError)" \
            if raised == "NotImplementedError" else f"raised {raised}: {data.get('message', '')}"
        raise Rejected(f"{call} {what}")
    expect(data.get("made") != 0,
           f"{call} never made a WaitGroup: make one inside run_with_waitgroup (the check "
           "hands it a WaitGroup class of its own under that name), add(1) before starting "
           "the reader, and have the reader call done().")
    expect(at_return is not None, f"{call}: the judge did not see it return.")
    counters, running = at_return  # type: ignore[misc]
    expect(isinstance(counters, list) and all(type(c) is int for c in counters),
           f"{call}: the probe gave no counters.")
    expect(all(c == 0 for c in counters),
           f"{call} returned before its reader was done: the WaitGroup's counter was "
           f"still {max(counters)}. This is the seed's bug. After closing the connection, "
           "wait on the WaitGroup: wg.wait(timeout), and raise TimeoutError if it returns "
           "False.")
    expect(readers, f"{call}: the judge saw no reader thread call wg.done().")
    expect(not running,
           f"{call} returned while {plural(len(running), 'thread')} it started "
           f"{'was' if len(running) == 1 else 'were'} still running. (The check's WaitGroup "
           "returns from done() a moment after the counter reaches 0, as a reader the OS "
           "pauses right after done() would.) wg.wait() returns once the reader has called "
           "done(), not once its thread has ended. Keep the reader's Thread object and "
           "join() it after wg.wait().")
    left = subject.wait_gone(readers, EXIT_DEADLINE)
    expect(not left, f"{call} left threads running after its reader was done.")
    peer = data.get("peer")
    expect(peer != "never connected",
           f"{call} never connected to the address it was given.")
    expect(peer == "end-of-stream",
           f"After {call} returned, the server had seen {peer}, not the end-of-stream: shut "
           "the connection down and close it.")


def _reader_never_finishes(subject: Subject, timeout: float) -> None:
    call = f"run_with_waitgroup(address, linger=0, timeout={timeout:g})"
    told = f"{call}, with a reader that never finishes,"
    kind, _ = subject.call("run_with_waitgroup", linger=0.0, timeout=timeout,
                           never_finishes=True)
    expect(kind == "step", f"{call}: the probe did not get to call it.")
    began = time.monotonic()
    kind, data = subject.resume("run_with_waitgroup")
    took = None
    while kind == "step":
        if "returned" in data and took is None:
            took = time.monotonic() - began
        kind, data = subject.resume("run_with_waitgroup")
    took = time.monotonic() - began if took is None else took
    raised = data.get("raised")
    if raised == "hung":
        raise Rejected(f"{told} did not return within {timeout + CALL_DEADLINE:g} s. Wait "
                       "with wg.wait(timeout), and raise TimeoutError when it returns False.")
    expect(raised is not None, f"{told} returned normally. When wg.wait(timeout) returns "
                               "False the reader is not done: raise TimeoutError.")
    expect(raised == "TimeoutError",
           f"{told} raised {raised}: {data.get('message', '')}; it should raise TimeoutError.")
    expect(took < timeout + LATE,
           f"{told} raised TimeoutError only after {took:.2f} s: give up once timeout "
           "seconds have passed.")
    expect(took >= TOO_SOON * timeout,
           f"{told} raised TimeoutError after only {took:.2f} s: wait up to timeout seconds "
           "for the reader first.")


@judge("run_with_waitgroup")
def judge_run_with_waitgroup(subject: Subject, hidden: bool) -> None:
    rng = fresh_rng()
    _reader_finishes(subject, linger=None, timeout=None)
    _reader_never_finishes(subject, timeout=round(rng.uniform(0.25, 0.35), 2))
    if hidden:
        _reader_finishes(subject, linger=0.0, timeout=1.0)
        _reader_finishes(subject, linger=round(rng.uniform(0.02, 0.08), 2), timeout=2.0)
        _reader_never_finishes(subject, timeout=round(rng.uniform(0.5, 0.7), 2))
