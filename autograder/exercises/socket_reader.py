"""Checks for lesson 02, the socket reader (program C of the seed).

Both exercises (``local_close``, ``peer_close``, each a module of its own;
this one holds what they share) grade the one answer cell ``socket_shutdown``:
``socket_recv`` and ``stop_receiver``. Every case runs a real TCP connection over 127.0.0.1
whose other end the check plays itself, starts the learner's reader on it,
and waits until the reader is asleep in ``recv()`` before it acts: a socket
closed before the reader gets there fails ``recv`` at once, and a wrong
answer would pass.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from ..sockets import (Peer, PeerView, SocketHandle, activity_of, connected_pair,
                       describe_reader, spinning, wait_until_reader_waits, watch_thread)
from ..threads import Baseline
from ..threads.census import real_is_alive, real_join
from ..threads import ask_to_stop
from .harness import CheckFailed, Worker, expect, learner_error, plural, where_raised

STOP_BOUND = 0.1  # the contract: the reader is gone, and reported, within 100 ms
LATE_GRACE = 1.0  # a reader gone by then was late, not stuck (as is one still there on
#                   an overloaded machine, too_slow): the case is tried again
IDLE_WINDOW = 0.1  # how long a waiting reader is watched for wake-ups
POLL_WAKEUPS = 3  # more wake-ups than this in the idle window, with no data: it polls
SPIN_WINDOW = 0.2  # CPU time is counted in 10 ms ticks: watch long enough to tell
READER = "socket_recv(conn, exit_q)"
WAKE_HINT = ("Call conn.shutdown(socket.SHUT_RDWR) first: it wakes recv() at once "
             "(recv then returns b\"\"); then conn.close().")


class ExitQueue(queue.Queue):
    """The ``exit_q`` handed to the learner: remembers which thread put what."""

    def __init__(self) -> None:
        super().__init__()
        self.puts: list[tuple[threading.Thread, Any]] = []

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        self.puts.append((threading.current_thread(), item))
        super().put(item, block, timeout)

    def left(self) -> list[Any]:
        with self.mutex:
            return list(self.queue)


@dataclass
class ReaderCase:
    """One connection, the learner's reader on it, and the check's peer."""

    conn: socket.socket
    peer: Peer
    handle: SocketHandle
    exit_q: ExitQueue
    baseline: Baseline
    reader: Worker
    notes: set[str] = field(default_factory=set)

    def reports(self) -> list[Any]:
        return [item for thread, item in self.exit_q.puts if thread is self.reader]


# --- the reader, started and waiting ---------------------------------------------

def start_reader(socket_recv: Callable, greeting: list[bytes]) -> ReaderCase:
    conn, peer = connected_pair()
    handle = SocketHandle.of(conn)
    exit_q = ExitQueue()
    baseline = Baseline()
    reader = Worker(socket_recv, conn, exit_q, name="socket_recv reader")
    case = ReaderCase(conn, peer, handle, exit_q, baseline, reader)
    reader.start()
    try:
        for chunk in greeting:
            peer.send(chunk)
        expect_waiting(case, sent=b"".join(greeting))
    except BaseException:
        clean_up(case)
        raise
    return case


def expect_waiting(case: ReaderCase, sent: bytes) -> None:
    """The reader must be asleep in recv, not finished, spinning or polling."""
    __tracebackhide__ = True
    state = wait_until_reader_waits(case.reader, case.handle.fd)
    sent_text = f"{sent[:20]!r}{'...' if len(sent) > 20 else ''}" if sent else "nothing"
    if state.outcome == "ended":
        if case.reader.error is not None:
            raise learner_error(case.reader.error, READER)
        raise CheckFailed(
            f"{READER} returned while the connection was still open (the peer had "
            f"sent {sent_text} and was waiting for more). Keep calling conn.recv(1024) "
            "until it returns b\"\" or raises OSError.")
    if state.outcome == "busy":
        raise CheckFailed(
            f"{READER} never waits while no data comes: in {state.elapsed:.2f} s it used "
            f"{state.used.cpu_seconds:.2f} s of CPU and woke up {state.used.wakeups} times. "
            f"It spins instead of waiting:\n{describe_reader(case.reader)}\n"
            "Let conn.recv(1024) block (no setblocking(False), no zero timeout): a thread "
            "asleep in recv() costs no CPU, and shutdown() will wake it.")
    if state.outcome == "elsewhere":
        raise CheckFailed(
            f"{READER} is not waiting for data on conn {state.elapsed:.1f} s after it "
            f"started:\n{describe_reader(case.reader)}\n"
            "It should sit in conn.recv(1024) until data or the end of the connection "
            "arrives.")
    if state.outcome == "unknown":
        case.notes.add("(No /proc/self/task/<tid>/syscall here: the check could not "
                       "confirm that the reader was asleep in recv before it acted.)")
        return
    timeout = case.conn.gettimeout()
    if timeout is not None:
        raise CheckFailed(
            f"{READER} set a timeout on conn (conn.gettimeout() is {timeout!r}), so it "
            "polls: it wakes when each timeout runs out, and notices a stop only then. "
            "Leave the socket blocking and wake the reader with shutdown().")
    before = activity_of(case.reader.native_id)
    time.sleep(IDLE_WINDOW)
    after = activity_of(case.reader.native_id)
    if before is not None and after is not None:
        used = after - before
        expect(used.wakeups <= POLL_WAKEUPS and not spinning(used, IDLE_WINDOW),
               f"{READER} woke up {plural(used.wakeups, 'time')} in "
               f"{IDLE_WINDOW * 1000:.0f} ms while no data came (and used "
               f"{used.cpu_seconds * 1000:.0f} ms of CPU): it polls instead of blocking "
               f"in recv():\n{describe_reader(case.reader)}")


# --- what a stop left behind ---------------------------------------------------------

def diagnose_reader(case: ReaderCase) -> str:
    """Why the reader has not reported: asleep, spinning, dead, or elsewhere."""
    reader = case.reader
    if not real_is_alive(reader):
        if case.reports():
            return ""
        if reader.error is not None:
            return (f"{READER} raised {type(reader.error).__name__}: {reader.error}\n"
                    f"  at {where_raised(reader.error)}\n"
                    "and ended without putting \"exit\" on exit_q. A failing recv() ends "
                    "the connection too: catch OSError around the loop, and report after it.")
        return f"{READER} ended without putting \"exit\" on exit_q."
    watch = watch_thread(reader, case.handle.fd, SPIN_WINDOW)
    if watch is not None and watch.asleep_on_socket >= 0.9:
        if case.conn.fileno() == -1:
            return ("conn.close() did not wake the reader: it is still asleep in recv():\n"
                    f"{describe_reader(reader)}\n"
                    "On Linux, closing a socket from another thread leaves a thread blocked "
                    "in recv() asleep, and the peer sees nothing. " + WAKE_HINT)
        return (f"The reader is still asleep in recv():\n{describe_reader(reader)}\n"
                "Nothing woke it. " + WAKE_HINT)
    if watch is not None and spinning(watch.used, SPIN_WINDOW, watch.running):
        return ("The reader is still running, flat out, never waiting:\n"
                f"{describe_reader(reader)}\n"
                "Once the connection has ended, recv() returns b\"\" at once, every time: "
                "b\"\" means end-of-stream, not \"no data yet\". Leave the loop on it.")
    return f"The reader is still running:\n{describe_reader(reader)}"


def expect_one_report(case: ReaderCase) -> None:
    __tracebackhide__ = True
    reports = case.reports()
    if not reports:
        raise CheckFailed(diagnose_reader(case) or
                          f"{READER} ended without putting \"exit\" on exit_q.")
    expect(len(reports) == 1,
           f"{READER} put {reports!r} on exit_q: that is {len(reports)} reports. Report "
           "exactly once, after the loop: the one who waits takes one message and "
           "the others are left behind.")
    expect(reports[0] == "exit",
           f"{READER} put {reports[0]!r} on exit_q; the message is the string \"exit\".")


def expect_released(case: ReaderCase, call: str) -> None:
    __tracebackhide__ = True
    fd = case.conn.fileno()
    expect(fd == -1 or not getattr(case.conn, "_closed", False),
           f"After {call}, conn.close() was called, but the socket is still open "
           f"(descriptor {fd}): a file from conn.makefile() keeps it open until the file "
           "is closed too.")
    expect(fd == -1,
           f"After {call}, conn is still open (conn.fileno() is {fd}). Close it once the "
           "reader is awake, so its descriptor is released.")
    still = case.handle.still_open_as()
    expect(not still,
           f"After {call}, conn.fileno() is -1, but the socket is still open through "
           f"descriptor {', '.join(map(str, still or []))} (a makefile() or a dup keeps it "
           "open): close those too.")


def expect_end_of_stream(case: ReaderCase, call: str, within: float) -> None:
    __tracebackhide__ = True
    fault = end_of_stream_fault(call, case.peer.watch(within))
    expect(fault is None, fault or "")


def end_of_stream_fault(call: str, seen: PeerView) -> str | None:
    """What the peer should have seen and did not; None when it saw end-of-stream.
    The in-kernel check and the judge both ask this."""
    if seen is PeerView.END_OF_STREAM:
        return None
    return (f"After {call}, the peer saw {seen.value}, where it should have seen an "
            "orderly end-of-stream (its recv returning b\"\"). "
            + ("A reset means the socket was aborted: was data left unread?"
               if seen is PeerView.RESET else ""))


def gave_up_fault(call: str, took: float, timeout: float) -> str | None:
    """How a stop that raised TimeoutError after ``took`` s missed its ``timeout``;
    None when it gave up on time. The in-kernel check and the judge both ask this."""
    if took < timeout * 0.75:
        return (f"{call} raised TimeoutError after {took * 1000:.0f} ms: wait the whole "
                f"timeout ({timeout * 1000:.0f} ms) for the reader's message first.")
    if took > timeout + 0.5:
        return f"{call} raised TimeoutError only after {took:.2f} s: give up when timeout runs out."
    return None


# How the peer ends a connection in peer_close, and what the learner is told it did.
PEER_EVENTS = {"close": "closed the connection",
               "reset": "reset the connection (ConnectionResetError in recv)"}


def hang_up(peer: Peer, how: str) -> str:
    """The peer closes or resets (``how``) the connection; what it did, in words."""
    (peer.close if how == "close" else peer.reset)()
    return PEER_EVENTS[how]


def clean_up(case: ReaderCase) -> None:
    """Leave nothing behind, whatever the answer did."""
    case.peer.close()  # its end-of-stream wakes a reader still asleep on the socket
    case.conn.close()
    real_join(case.reader, 0.2)
    if real_is_alive(case.reader):
        # A reader spinning on b"" never sleeps: stop it at its next bytecode.
        ask_to_stop(case.reader)


def summary(text: str, cases: list[ReaderCase]) -> str:
    notes = set().union(*(case.notes for case in cases)) if cases else set()
    return " ".join([text, *sorted(notes)])
