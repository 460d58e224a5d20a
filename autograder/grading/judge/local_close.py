"""Lesson 02's local_close judged from outside: stop_receiver closes the
connection; the judge sees the reader end, its report, the descriptor released
and, at its own end of the connection, an orderly end-of-stream."""

from __future__ import annotations

import os
import time

from ...exercises import too_slow
from ...exercises.socket_reader import LATE_GRACE, STOP_BOUND, end_of_stream_fault, gave_up_fault
from ...sockets.peer import connected_pair
from .registry import expect, judge
from .seen_in_proc import open_as
from .socket_reader import TooSlow, diagnose, expect_one_report, finish, no_report, retried, start
from .subject import Rejected, Subject


@judge("local_close")
def judge_local_close(subject: Subject, hidden: bool) -> None:
    rounds: list[tuple[list[bytes], float | None]] = [([b"HTTP/1.0 200 OK\r\n"], None)]
    if hidden:
        rounds += [([bytes([i]) * 1000 for i in range(1, 30)], 0.5), ([], 2.0)]
    for greeting, timeout in rounds:
        retried(_local_close_case, subject, greeting, timeout)
    _no_report_case(subject)


def _local_close_case(subject: Subject, greeting: list[bytes], timeout: float | None) -> float:
    args = {} if timeout is None else {"timeout": timeout}
    call = "stop_receiver(conn, exit_q" + ("" if timeout is None else
                                           f", timeout={timeout}") + ")"
    case = start(subject, "stop", greeting, **args)
    try:
        began, stalled = time.monotonic(), too_slow.cpu_stalled_us()
        kind, outcome = subject.resume("socket_reader")
        took = time.monotonic() - began
        expect(kind == "step", "the socket_reader probe did not say how stop_receiver ended")
        raised = outcome.get("raised")
        if raised in ("TimeoutError", "queue.Empty", "hung"):
            stuck = (f"{call} did not return within {took:.1f} s" if raised == "hung" else
                     f"{call} raised {raised} after {took:.2f} s")
            diagnosis = diagnose(case) or (
                no_report(outcome) if not outcome.get("reports") else
                f"The reader did report, but {call} did not take its message: wait for it "
                "with exit_q.get(timeout=timeout).")
            raise Rejected(f"{stuck}.\n{diagnosis}")
        expect(raised is None, f"{call} raised {outcome.get('message', raised)}")
        returned = outcome.get("returned")
        leaked = subject.wait_gone([case.reader],
                                   max(began + STOP_BOUND - time.monotonic(), 0.02))
        if leaked:
            diagnosis = diagnose(case)
            late = (not subject.wait_gone(leaked, LATE_GRACE)
                    or too_slow.overloaded_since(stalled, began))
            raise (TooSlow if late else Rejected)(
                f"{call} returned {returned!r}, but the reader was still running "
                f"{STOP_BOUND * 1000:.0f} ms after the call.\n" + diagnosis)
        if took > STOP_BOUND:
            raise TooSlow(
                f"{call} took {took * 1000:.0f} ms to return; the reader must be stopped, "
                f"and its \"exit\" received, within {STOP_BOUND * 1000:.0f} ms. "
                "Do not poll: wake the reader with shutdown().")
        still = open_as(subject, case.inode)
        expect(not still,
               f"After {call}, conn is still open (descriptor "
               f"{', '.join(map(str, still))} still reaches the socket). Close it once the "
               "reader is awake, so its descriptor is released; a file from conn.makefile() "
               "or a dup keeps it open until it is closed too.")
        fault = end_of_stream_fault(call, case.peer.watch(STOP_BOUND))
        expect(fault is None, fault or "")
        final = finish(subject)
        expect_one_report(final)
        expect(final.get("left") == [],
               f"{call} returned {returned!r} but left the reader's message in exit_q: "
               "return the message the reader put there (exit_q.get(timeout=timeout)).")
        expect(type(returned) is str and returned == "exit",
               f"{call} returned {returned!r}; it should return the reader's message, "
               "\"exit\".")
        return took
    finally:
        case.peer.close()


def _no_report_case(subject: Subject) -> None:
    """No reader at all: stop_receiver must give up after ``timeout``, not hang."""
    timeout = 0.2
    call = f"stop_receiver(conn, exit_q, timeout={timeout}) with no reader to report"
    conn, peer = connected_pair()
    inode = os.fstat(conn.fileno()).st_ino
    try:
        began = time.monotonic()
        try:
            kind, outcome = subject.call("stop_no_reader", handing=(conn.fileno(),),
                                         timeout=timeout)
        finally:
            conn.close()
        took = time.monotonic() - began
        expect(kind == "step", f"the stop_no_reader probe ended early: {outcome!r}")
        raised = outcome.get("raised")
        expect(raised != "queue.Empty", f"{call} raised queue.Empty; raise TimeoutError "
                                        "instead (catch queue.Empty from exit_q.get).")
        expect(raised != "hung", f"{call} did not return: give up when timeout runs out.")
        expect(raised is not None,
               f"{call} returned {outcome.get('returned')!r}; with no \"exit\" coming, it "
               "should raise TimeoutError once timeout runs out.")
        expect(raised == "TimeoutError", f"{call} raised {outcome.get('message', raised)}")
        fault = gave_up_fault(call, took, timeout)
        expect(fault is None, fault or "")
        expect(not open_as(subject, inode),
               f"{call} raised TimeoutError as it should, but left the socket open: "
               "release it before waiting, whatever the reader does.")
        subject.resume("stop_no_reader")
    finally:
        peer.close()
