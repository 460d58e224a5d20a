"""Lesson 02 judged from outside: socket_recv and stop_receiver.

The judge makes each TCP connection itself, on 127.0.0.1 in its own network
namespace, hands the learner's process one end as an open file and keeps the
other: what arrives there (end-of-stream, a reset, nothing) it sees itself,
and it closes or resets that end itself for ``peer_close``. The rest it reads
in the learner's process's ``/proc`` (``seen_in_proc``): the reader thread's life, the system
call it sleeps in and on which descriptor, its CPU time and wake-ups, and
which descriptors still reach the socket (by the socket's inode). From the
learner's process it takes only plain data that only that process holds:
what the reader put on ``exit_q``, what ``stop_receiver`` returned or raised,
and what it left in ``exit_q``; each is checked exactly.

The bounds and the messages are those of the in-kernel check
(``autograder.exercises.socket_reader``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from ...exercises.socket_reader import (IDLE_WINDOW, LATE_GRACE, POLL_WAKEUPS, READER,
                                        SPIN_WINDOW, STOP_BOUND, WAKE_HINT,
                                        end_of_stream_fault)
from ...sockets.activity import CONFIRMATIONS, Activity, spinning
from ...sockets.peer import Peer, connected_pair
from .registry import expect, judge
from .seen_in_proc import activity, kernel_wait, open_as, reads_socket
from .subject import Rejected, Subject

TRIES_WHEN_TOO_SLOW = 3
WAIT_LIMIT = 0.5  # the reader must be asleep in recv() this soon after it starts


class TooSlow(Rejected):
    """Right in the end, but past a time bound: the case is tried again."""


# --- one connection, the learner's reader on it ----------------------------------------

@dataclass
class Case:
    subject: Subject
    peer: Peer
    inode: int
    reader: int = 0  # the reader's thread id on the host
    read_fd: int | None = None  # the descriptor it was seen reading

    def released(self) -> bool:
        return not open_as(self.subject, self.inode)


def _start(subject: Subject, how: str, greeting: list[bytes], **args) -> Case:
    """Hand the subject one end of a fresh connection; its reader started,
    fed ``greeting`` and, checked from outside, asleep in recv()."""
    conn, peer = connected_pair()
    case = Case(subject, peer, os.fstat(conn.fileno()).st_ino)
    try:
        before = subject.tasks()
        try:
            kind, step = subject.call("socket_reader", handing=(conn.fileno(),), how=how,
                                      **args)
        finally:
            conn.close()  # the subject's copy is the only one now
        expect(kind == "step", f"the socket_reader probe ended early: {step!r}")
        case.reader = subject.started(step.get("started"), before, 1, READER)[0]
        for chunk in greeting:
            peer.send(chunk)
        kind, step = subject.resume("socket_reader")
        expect(kind == "step" and step.get("running") is True,
               "the socket_reader probe did not let the reader run")
        _expect_waiting(case, b"".join(greeting))
    except BaseException:
        peer.close()
        raise
    return case


def _expect_waiting(case: Case, sent: bytes) -> None:
    """Mirror of the in-kernel check: the reader must be asleep in recv, not
    finished, spinning, polling or elsewhere."""
    subject, tid = case.subject, case.reader
    began, before = time.monotonic(), activity(subject, tid)
    seen = samples = running = 0
    pause, wait = 0.001, None
    sent_text = f"{sent[:20]!r}{'...' if len(sent) > 20 else ''}" if sent else "nothing"

    def used() -> Activity | None:
        now = activity(subject, tid)
        return now - before if now is not None and before is not None else None

    while True:
        if not subject.alive(tid):
            raise Rejected(
                f"{READER} ended while the connection was still open (the peer had sent "
                f"{sent_text} and was waiting for more). Keep calling conn.recv(1024) "
                "until it returns b\"\" or raises OSError.")
        wait = kernel_wait(subject, tid)
        if wait is None:  # /proc does not say: judged by its activity alone, below
            time.sleep(0.05)
            break
        seen = seen + 1 if reads_socket(subject, wait, case.inode) else 0
        samples, running = samples + 1, running + wait.running
        if seen >= CONFIRMATIONS:
            if wait.fd is not None:
                case.read_fd = wait.fd
            break
        elapsed = time.monotonic() - began
        if elapsed >= WAIT_LIMIT:
            spent = used()
            if spinning(spent, elapsed, running / samples):
                raise Rejected(
                    f"{READER} never waits while no data comes: in {elapsed:.2f} s it used "
                    f"{spent.cpu_seconds if spent else 0:.2f} s of CPU and woke up "
                    f"{spent.wakeups if spent else 0} times. It spins instead of waiting. "
                    "Let conn.recv(1024) block (no setblocking(False), no zero timeout): a "
                    "thread asleep in recv() costs no CPU, and shutdown() will wake it.")
            raise Rejected(
                f"{READER} is not waiting for data on conn {elapsed:.1f} s after it "
                "started. It should sit in conn.recv(1024) until data or the end of the "
                "connection arrives.")
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    if wait is not None and wait.timed:
        raise Rejected(
            f"{READER} waits with a timeout (in {wait.syscall}(), as conn.settimeout() "
            "makes it), so it polls: it wakes when each timeout runs out, and notices a "
            "stop only then. Leave the socket blocking and wake the reader with shutdown().")
    first = activity(subject, tid)
    time.sleep(IDLE_WINDOW)
    last = activity(subject, tid)
    if first is not None and last is not None:
        spent = last - first
        expect(spent.wakeups <= POLL_WAKEUPS and not spinning(spent, IDLE_WINDOW),
               f"{READER} woke up {spent.wakeups} time(s) in {IDLE_WINDOW * 1000:.0f} ms "
               f"while no data came (and used {spent.cpu_seconds * 1000:.0f} ms of CPU): "
               "it polls instead of blocking in recv().")
    elif not subject.alive(tid):
        _expect_waiting(case, sent)  # ended meanwhile: said as above


def _diagnose(case: Case) -> str:
    """Why a reader is still running: asleep in recv, spinning, or elsewhere."""
    subject, tid = case.subject, case.reader
    before, asleep, running, samples = activity(subject, tid), 0, 0, 0
    end = time.monotonic() + SPIN_WINDOW
    while time.monotonic() < end and subject.alive(tid):
        wait = kernel_wait(subject, tid)
        if wait is not None:
            samples += 1
            asleep += (wait.fd == case.read_fd) if wait.reading else wait.syscall is not None
            running += wait.running
        time.sleep(0.002)
    if not subject.alive(tid):
        return ""
    after = activity(subject, tid)
    spent = after - before if after is not None and before is not None else None
    if samples and asleep / samples >= 0.9:
        if case.released():
            return ("conn.close() did not wake the reader: it is still asleep in recv(). "
                    "On Linux, closing a socket from another thread leaves a thread blocked "
                    "in recv() asleep, and the peer sees nothing. " + WAKE_HINT)
        return "The reader is still asleep in recv(): nothing woke it. " + WAKE_HINT
    if spinning(spent, SPIN_WINDOW, running / samples if samples else 0.0):
        return ("The reader is still running, flat out, never waiting. Once the connection "
                "has ended, recv() returns b\"\" at once, every time: b\"\" means "
                "end-of-stream, not \"no data yet\". Leave the loop on it.")
    return "The reader is still running."


def _no_report(state: dict) -> str:
    error = state.get("reader_error")
    if isinstance(error, str):
        return (f"{READER} raised {error}\nand ended without putting \"exit\" on exit_q. "
                "A failing recv() ends the connection too: catch OSError around the loop, "
                "and report after it.")
    return f"{READER} ended without putting \"exit\" on exit_q."


def _expect_one_report(state: dict) -> None:
    reports = state.get("reports")
    expect(type(reports) is list, "the socket_reader probe did not say what the reader reported")
    expect(reports, _no_report(state))
    expect(len(reports) == 1,
           f"{READER} put {reports!r} on exit_q: that is {len(reports)} reports. Report "
           "exactly once, after the loop: the one who waits takes one message and the "
           "others are left behind.")
    expect(type(reports[0]) is str and reports[0] == "exit",
           f"{READER} put {reports[0]!r} on exit_q; the message is the string \"exit\".")


def _finish(subject: Subject) -> dict:
    kind, final = subject.resume("socket_reader")
    expect(kind == "result", "the socket_reader probe did not finish")
    return final


def _retried(run_case, *args) -> float:
    for attempt in range(1, TRIES_WHEN_TOO_SLOW + 1):
        try:
            return run_case(*args)
        except TooSlow as slow:
            if attempt == TRIES_WHEN_TOO_SLOW:
                raise Rejected(f"{slow} (in each of {TRIES_WHEN_TOO_SLOW} tries)") from None
    raise AssertionError("unreachable")


# --- local_close -------------------------------------------------------------------------

@judge("local_close")
def judge_local_close(subject: Subject, hidden: bool) -> None:
    rounds: list[tuple[list[bytes], float | None]] = [([b"HTTP/1.0 200 OK\r\n"], None)]
    if hidden:
        rounds += [([bytes([i]) * 1000 for i in range(1, 30)], 0.5), ([], 2.0)]
    for greeting, timeout in rounds:
        _retried(_local_close_case, subject, greeting, timeout)
    _no_report_case(subject)


def _local_close_case(subject: Subject, greeting: list[bytes], timeout: float | None) -> float:
    args = {} if timeout is None else {"timeout": timeout}
    call = "stop_receiver(conn, exit_q" + ("" if timeout is None else
                                           f", timeout={timeout}") + ")"
    case = _start(subject, "stop", greeting, **args)
    try:
        began = time.monotonic()
        kind, outcome = subject.resume("socket_reader")
        took = time.monotonic() - began
        expect(kind == "step", "the socket_reader probe did not say how stop_receiver ended")
        raised = outcome.get("raised")
        if raised in ("TimeoutError", "queue.Empty", "hung"):
            stuck = (f"{call} did not return within {took:.1f} s" if raised == "hung" else
                     f"{call} raised {raised} after {took:.2f} s")
            diagnosis = _diagnose(case) or (
                _no_report(outcome) if not outcome.get("reports") else
                f"The reader did report, but {call} did not take its message: wait for it "
                "with exit_q.get(timeout=timeout).")
            raise Rejected(f"{stuck}.\n{diagnosis}")
        expect(raised is None, f"{call} raised {outcome.get('message', raised)}")
        returned = outcome.get("returned")
        leaked = subject.wait_gone([case.reader],
                                   max(began + STOP_BOUND - time.monotonic(), 0.02))
        if leaked:
            diagnosis = _diagnose(case)
            late = not subject.wait_gone(leaked, LATE_GRACE)
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
        final = _finish(subject)
        _expect_one_report(final)
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
        expect(took >= timeout * 0.75,
               f"{call} raised TimeoutError after {took * 1000:.0f} ms: wait the whole "
               f"timeout ({timeout * 1000:.0f} ms) for the reader's message first.")
        expect(took <= timeout + 0.5,
               f"{call} raised TimeoutError only after {took:.2f} s: give up when "
               "timeout runs out.")
        expect(not open_as(subject, inode),
               f"{call} raised TimeoutError as it should, but left the socket open: "
               "release it before waiting, whatever the reader does.")
        subject.resume("stop_no_reader")
    finally:
        peer.close()


# --- peer_close ------------------------------------------------------------------------------

@judge("peer_close")
def judge_peer_close(subject: Subject, hidden: bool) -> None:
    rounds: list[tuple[str, list[bytes]]] = [("close", [b"hello"]), ("reset", [b"hello"])]
    if hidden:
        rounds += [("close", [b"x" * 5000] * 8), ("reset", []), ("close", [])]
    for how, greeting in rounds:
        _retried(_peer_close_case, subject, how, greeting)


def _peer_close_case(subject: Subject, how: str, greeting: list[bytes]) -> float:
    event = "closed the connection" if how == "close" else \
        "reset the connection (ConnectionResetError in recv)"
    case = _start(subject, "peer", greeting)
    try:
        began = time.monotonic()
        if how == "close":
            case.peer.close()
        else:
            case.peer.reset()
        leaked = subject.wait_gone([case.reader], STOP_BOUND)
        took = time.monotonic() - began
        late = False
        if leaked:
            diagnosis = _diagnose(case)
            if subject.wait_gone(leaked, LATE_GRACE):
                raise Rejected(f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the "
                               "reader had not reported \"exit\".\n"
                               + (diagnosis or f"{READER} is still running."))
            late = True
        # Then the seed's main: release our end and take the reader's message.
        call = f"stop_receiver(conn, exit_q) after the peer {event.split(' (')[0]}"
        kind, outcome = subject.resume("socket_reader")
        expect(kind == "step", "the socket_reader probe did not say how stop_receiver ended")
        if not outcome.get("reports"):
            raise Rejected(f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the "
                           f"reader had not reported \"exit\".\n" + _no_report(outcome))
        if late:
            raise TooSlow(f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the "
                          "reader had not reported \"exit\".")
        _expect_one_report(outcome)
        raised = outcome.get("raised")
        expect(raised != "TimeoutError",
               f"{call} raised TimeoutError, though \"exit\" was waiting in exit_q.")
        expect(raised != "OSError",
               f"{call} raised {outcome.get('message')}\nOnce the peer has reset the "
               "connection there is nothing left to shut down, and shutdown() raises "
               "OSError: catch it, and close() anyway.")
        expect(raised != "hung", f"{call} did not return within its deadline.")
        expect(raised is None, f"{call} raised {outcome.get('message', raised)}")
        returned = outcome.get("returned")
        expect(type(returned) is str and returned == "exit" and outcome.get("left") == [],
               f"{call} returned {returned!r}; it should return the reader's \"exit\" "
               "from exit_q.")
        still = open_as(subject, case.inode)
        expect(not still,
               f"After {call}, conn is still open (descriptor "
               f"{', '.join(map(str, still))} still reaches the socket). Close it, so its "
               "descriptor is released.")
        _finish(subject)
        return took
    finally:
        case.peer.close()
