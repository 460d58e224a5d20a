"""Lesson 02's socket checks, from both sides: the reference answer passes
quickly, and each typical mistake fails with the message a learner needs."""

from __future__ import annotations

import os
import queue
import socket
import threading
import time

import pytest

import autograder  # noqa: F401  (installs the thread-start hook first)
from autograder.exercises import EXERCISES, CheckFailed
from autograder.sockets import (PeerView, SocketHandle, activity_of, connected_pair,
                                kernel_wait, wait_until_reader_waits)

from answers import socket_reader_reference as reference
from answers.socket_reader_wrong import WRONG, good_stop, stop_close_only
from overload import needs_pressure_figures, overloaded

HAS_PROC = os.path.isdir("/proc/self/task")
linux_only = pytest.mark.skipif(not HAS_PROC, reason="needs /proc")


def failure_of(name: str, answers: dict, hidden: bool = False) -> str | None:
    """The check's failure message, or None when the answer passes."""
    try:
        EXERCISES[name].run(answers, hidden)
    except CheckFailed as failure:
        return str(failure)
    return None


def no_reader_threads_left() -> bool:
    return not any(t.name == "socket_recv reader" and t.is_alive()
                   for t in threading.enumerate())


# --- the reference passes ---------------------------------------------------------

@pytest.mark.parametrize("name", ["local_close", "peer_close"])
@pytest.mark.parametrize("hidden", [False, True])
def test_reference_passes(name, hidden):
    assert failure_of(name, vars(reference), hidden) is None
    assert no_reader_threads_left()


def test_shutdown_read_side_only_then_close_passes():
    def stop_receiver(conn, exit_q, timeout=1.0):
        conn.shutdown(socket.SHUT_RD)
        conn.close()
        try:
            return exit_q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError from None
    answers = {"socket_recv": reference.socket_recv, "stop_receiver": stop_receiver}
    assert failure_of("local_close", answers) is None


# --- each broken answer fails, saying why -------------------------------------------

BROKEN = [
    ("close only", "local_close", ["conn.close() did not wake the reader",
                                   "still asleep in recv()", "socket.SHUT_RDWR"]),
    ("no close", "local_close", ["conn is still open"]),
    ("no close", "peer_close", ["conn is still open"]),
    ("unguarded shutdown", "peer_close", ["reset the connection raised OSError",
                                          "catch it, and close() anyway"]),
    ("slow polling", "local_close", ["set a timeout on conn", "polls"]),
    ("spinning", "local_close", ["never waits while no data comes", "spins instead of waiting",
                                 "recv_spinning"]),
    ("spinning", "peer_close", ["spins instead of waiting"]),
    ("b'' as no data", "peer_close", ["flat out, never waiting", "b\"\" means end-of-stream"]),
    ("reports twice", "local_close", ["that is 2 reports", "exactly once"]),
    ("reports twice", "peer_close", ["that is 2 reports"]),
    ("dies on reset", "peer_close", ["raised ConnectionResetError",
                                     "without putting \"exit\" on exit_q",
                                     "catch OSError"]),
    ("returns on first data", "local_close", ["returned while the connection was still open"]),
]


@linux_only
@pytest.mark.parametrize("wrong, name, phrases", BROKEN,
                         ids=[f"{w}-{n}" for w, n, _ in BROKEN])
def test_broken_answer_fails_with_its_reason(wrong, name, phrases):
    message = failure_of(name, WRONG[wrong])
    assert message is not None, f"{wrong!r} passed {name}"
    for phrase in phrases:
        assert phrase in message, message
    time.sleep(0.05)  # let the cleaned-up reader's OS thread finish
    assert no_reader_threads_left()


def test_the_check_waits_until_the_reader_is_in_recv():
    """A reader slow to reach recv(): closing first would make recv fail at once
    (EBADF), and a close-only answer would pass if the check did not wait."""
    def late_reader(conn, exit_q):
        time.sleep(0.2)
        reference.socket_recv(conn, exit_q)
    answers = {"socket_recv": late_reader, "stop_receiver": stop_close_only}
    message = failure_of("local_close", answers)
    assert message is not None and "did not wake the reader" in message


def test_stop_receiver_that_waits_forever_is_cut_off_with_its_line():
    def stop_receiver(conn, exit_q, timeout=1.0):
        conn.close()
        return exit_q.get()  # no timeout
    answers = {"socket_recv": reference.socket_recv, "stop_receiver": stop_receiver}
    message = failure_of("local_close", answers)
    assert message is not None
    assert "did not return within" in message and "still asleep in recv()" in message


def test_stop_receiver_that_reports_a_literal_exit_is_caught():
    def stop_receiver(conn, exit_q, timeout=1.0):
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()
        return "exit"  # without waiting for the reader
    answers = {"socket_recv": reference.socket_recv, "stop_receiver": stop_receiver}
    assert "left the reader's message in exit_q" in failure_of("local_close", answers)


@pytest.mark.parametrize("body, phrase", [
    (lambda conn, exit_q, timeout: None, "should raise TimeoutError"),
    (lambda conn, exit_q, timeout: exit_q.get(timeout=timeout), "raised queue.Empty"),
    (lambda conn, exit_q, timeout: (_ for _ in ()).throw(TimeoutError()),
     "wait the whole timeout"),
])
def test_stop_receiver_with_no_reader_must_time_out_properly(body, phrase):
    def stop_receiver(conn, exit_q, timeout=1.0):
        if timeout != 0.2:  # the cases with a reader: behave, this test is about the other
            return good_stop(conn, exit_q, timeout)
        good_stop_half_close(conn)
        return body(conn, exit_q, timeout)
    answers = {"socket_recv": reference.socket_recv, "stop_receiver": stop_receiver}
    message = failure_of("local_close", answers)
    assert message is not None and phrase in message, message


def good_stop_half_close(conn):
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


# --- the socket helpers themselves ---------------------------------------------------

def test_peer_sees_end_of_stream_only_once_the_last_descriptor_is_closed():
    conn, peer = connected_pair()
    handle = SocketHandle.of(conn)
    reader_file = conn.makefile("rb")
    conn.close()  # does not close: the file still uses the socket
    assert conn.fileno() == handle.fd
    assert handle.still_open_as() == [handle.fd]
    assert peer.watch(0.05) is PeerView.NOTHING
    reader_file.close()
    assert conn.fileno() == -1 and handle.still_open_as() == []
    assert peer.watch(0.5) is PeerView.END_OF_STREAM
    peer.close()


def test_peer_views_data_and_reset():
    conn, peer = connected_pair()
    conn.sendall(b"data")
    assert peer.watch(0.05) is PeerView.DATA
    other_conn, other_peer = connected_pair()
    other_peer.send(b"unread")
    time.sleep(0.02)
    other_conn.close()  # unread data: Linux aborts the connection instead of a FIN
    assert other_peer.watch(0.5) is PeerView.RESET
    for sock in (conn, other_conn):
        sock.close()
    peer.close()
    other_peer.close()


@linux_only
def test_kernel_wait_and_activity_see_a_thread_asleep_in_recv():
    conn, peer = connected_pair()
    reader = threading.Thread(target=conn.recv, args=(16,), daemon=True)
    reader.start()
    state = wait_until_reader_waits(reader, conn.fileno())
    assert state.outcome == "waiting" and state.syscall in ("recvfrom", "read", "recvmsg")
    assert kernel_wait(reader.native_id).waits_for(conn.fileno())
    assert not kernel_wait(reader.native_id).waits_for(conn.fileno() + 1000)
    before = activity_of(reader.native_id)
    time.sleep(0.1)
    used = activity_of(reader.native_id) - before
    assert used.wakeups == 0 and used.cpu_seconds < 0.05
    peer.close()
    reader.join(1)
    conn.close()


@linux_only
def test_wait_reports_a_spinning_thread_as_busy():
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass
    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    try:
        state = wait_until_reader_waits(spinner, fd=0, limit=0.3)
    finally:
        stop.set()
        spinner.join(1)
    assert state.outcome == "busy"


def test_wait_reports_a_thread_blocked_elsewhere():
    q: queue.Queue = queue.Queue()
    waiter = threading.Thread(target=q.get, daemon=True)
    waiter.start()
    try:
        state = wait_until_reader_waits(waiter, fd=0, limit=0.2)
    finally:
        q.put(None)
        waiter.join(1)
    assert state.outcome == ("elsewhere" if HAS_PROC else "unknown")


@linux_only
@pytest.mark.slow  # it loads every core for a while
@needs_pressure_figures
def test_on_an_overloaded_machine_a_late_reader_is_tried_again_and_a_stuck_one_still_fails():
    """Three busy processes per core: the reference's reader may be seen after the
    grace; that try is not counted (too_slow), so the reference still passes. A
    reader that close() never wakes still fails, saying why."""
    with overloaded():
        assert failure_of("local_close", vars(reference)) is None
        message = failure_of("local_close", WRONG["close only"])
        assert message is not None and "conn.close() did not wake the reader" in message
    time.sleep(0.05)
    assert no_reader_threads_left()
