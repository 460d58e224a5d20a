"""Lesson 02 judged from outside: socket_recv and stop_receiver (what the judges
of local_close and peer_close, each a module of its own, share).

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

from ...exercises.socket_reader import IDLE_WINDOW, POLL_WAKEUPS, READER, SPIN_WINDOW, WAKE_HINT
from ...sockets.activity import CONFIRMATIONS, Activity, spinning
from ...sockets.peer import Peer, connected_pair
from .registry import expect
from .seen_in_proc import activity, kernel_wait, open_as, reads_socket
from .subject import Rejected, Subject
from .too_slow import TooSlow, retried  # noqa: F401 - local_close and peer_close use them

WAIT_LIMIT = 0.5  # the reader must be asleep in recv() this soon after it starts


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


def start(subject: Subject, how: str, greeting: list[bytes], **args) -> Case:
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
        expect_waiting(case, b"".join(greeting))
    except BaseException:
        peer.close()
        raise
    return case


def expect_waiting(case: Case, sent: bytes) -> None:
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
        expect_waiting(case, sent)  # ended meanwhile: said as above


def diagnose(case: Case) -> str:
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


def no_report(state: dict) -> str:
    error = state.get("reader_error")
    if isinstance(error, str):
        return (f"{READER} raised {error}\nand ended without putting \"exit\" on exit_q. "
                "A failing recv() ends the connection too: catch OSError around the loop, "
                "and report after it.")
    return f"{READER} ended without putting \"exit\" on exit_q."


def expect_one_report(state: dict) -> None:
    reports = state.get("reports")
    expect(type(reports) is list, "the socket_reader probe did not say what the reader reported")
    expect(reports, no_report(state))
    expect(len(reports) == 1,
           f"{READER} put {reports!r} on exit_q: that is {len(reports)} reports. Report "
           "exactly once, after the loop: the one who waits takes one message and the "
           "others are left behind.")
    expect(type(reports[0]) is str and reports[0] == "exit",
           f"{READER} put {reports[0]!r} on exit_q; the message is the string \"exit\".")


def finish(subject: Subject) -> dict:
    kind, final = subject.resume("socket_reader")
    expect(kind == "result", "the socket_reader probe did not finish")
    return final

