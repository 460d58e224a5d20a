"""Pins what lesson 02 claims about sockets and threads, by running the
notebook's own demonstration cells."""

from __future__ import annotations

import queue
import selectors
import socket
import sys
import threading
import time

import pytest

from autograder.lessons import socket_reader as demo
from autograder.lessons.programs import run_python, source_of
from autograder.sockets import PeerView, SocketHandle, connected_pair
from lesson_cells import run_cell

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the lesson measures Linux")
LESSON = "02_socket_reader"
SETUP = dict(queue=queue, selectors=selectors, socket=socket, threading=threading, time=time,
             demo=demo, run_python=run_python, source_of=source_of,
             SocketHandle=SocketHandle, connected_pair=connected_pair,
             live_demos_enabled=lambda: False)


@pytest.fixture(scope="module")
def stop_methods() -> dict[str, demo.StopMeasurement]:
    readers = run_cell(LESSON, "demo-stop-methods", **SETUP)["stop_methods"]
    return {name: demo.measure_stop(name, reader, stop)
            for name, (reader, stop) in readers.items()}


def test_straight_port_of_program_c_hangs_and_the_server_sees_nothing_until_the_kill():
    run_program_c = run_cell(LESSON, "demo-program-c", **SETUP)["run_program_c"]
    finished, how, after = run_program_c("close", seconds=2.5)
    assert finished.hung and finished.stdout == ""
    # Only the end of the process released the socket: at the kill, not at close().
    assert how == "end-of-stream" and after >= 2.5


def test_program_c_with_shutdown_prints_exit_and_ends_the_connection():
    run_program_c = run_cell(LESSON, "demo-program-c", **SETUP)["run_program_c"]
    finished, how, after = run_program_c("shutdown", seconds=5.0)
    assert not finished.hung and finished.stdout == "exit\n"
    assert how == "end-of-stream" and after < 2.5


def test_close_leaves_the_reader_asleep_and_the_peer_sees_nothing(stop_methods):
    close = stop_methods["close()"]
    assert not close.woke and close.latency_ms is None
    assert close.peer_saw == PeerView.NOTHING.value
    assert close.rescued_by_peer  # the other end closing does wake it


@pytest.mark.parametrize("method", ["shutdown(SHUT_RDWR), close()",
                                    "shutdown(SHUT_RD), close()", "selector + wake-up pair"])
def test_shutdown_and_selector_wake_the_reader_promptly_without_polling(stop_methods, method):
    measured = stop_methods[method]
    assert measured.woke and measured.latency_ms < 100  # the contract's bound
    assert measured.wakeups_per_s == 0  # asleep until there is something to do
    assert measured.peer_saw == PeerView.END_OF_STREAM.value


@pytest.mark.parametrize("method", ["settimeout(0.01), flag", "settimeout(0.1), flag"])
def test_polling_wakes_up_while_idle(stop_methods, method):
    measured = stop_methods[method]
    assert measured.woke and measured.wakeups_per_s > 0
    assert measured.peer_saw == PeerView.END_OF_STREAM.value


@pytest.mark.parametrize("method, timeout_ms", [("settimeout(0.01), flag", 10),
                                                ("settimeout(0.1), flag", 100)])
def test_a_polling_reader_stops_at_its_next_wake_up(stop_methods, method, timeout_ms):
    """The stop comes just after a wake-up: it waits nearly a whole timeout."""
    assert 0.5 * timeout_ms < stop_methods[method].latency_ms < 1.5 * timeout_ms


def test_faster_polling_means_more_wakeups(stop_methods):
    assert (stop_methods["settimeout(0.01), flag"].wakeups_per_s
            > stop_methods["settimeout(0.1), flag"].wakeups_per_s)


def test_plot_has_a_bar_per_method(stop_methods):
    import matplotlib
    matplotlib.use("Agg")
    figure = demo.plot_stop_methods(list(stop_methods.values()))
    latency_axis = figure.axes[0]
    assert [t.get_text() for t in latency_axis.get_yticklabels()] == list(stop_methods)


def test_closing_a_makefile_from_another_thread_waits_for_the_reader(capsys):
    run_cell(LESSON, "demo-makefile-close", **SETUP)
    assert capsys.readouterr().out.splitlines() == [
        "lines.close() from another thread returned: False",  # behind the reader's lock
        "...and after conn.shutdown(SHUT_RDWR): True",
        "the reader ended: True"]


def test_conn_close_with_a_makefile_open_releases_nothing(capsys):
    seen = run_cell(LESSON, "demo-makefile-conn-close", **SETUP)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("after conn.close(), the socket is still open as descriptors [")
    assert printed[0].endswith(f"| the peer saw: {PeerView.NOTHING.value}")
    assert printed[1] == ("after lines.close() too: [] | the peer saw: "
                          f"{PeerView.END_OF_STREAM.value}")
    assert seen["handle"].still_open_as() == []


def test_holding_server_holds_then_shuts_down_cleanly():
    with demo.HoldingServer() as server:
        client = socket.create_connection(server.address)
        held = server.next_connection(timeout=1.0)
        assert held.wait_end(0.1) == "nothing"  # held open, as a web server would
        other = socket.create_connection(server.address)
        other_held = server.next_connection(timeout=1.0)
        other.close()
        assert other_held.wait_end(1.0) == "end-of-stream"
    client.settimeout(1.0)
    assert client.recv(1) == b""  # closing the server ended the connection it held
    assert not server._thread.is_alive()
    client.close()


def test_a_signal_to_the_stuck_thread_ends_its_recv_on_linux(capsys):
    run_cell(LESSON, "demo-signal-wakes-recv", **SETUP)
    assert capsys.readouterr().out.splitlines()[:3] == [
        "after close(), the reader is alive: True",
        "after a signal to its thread, alive: False [\"OSError(9, 'Bad file descriptor')\"]",
        "the peer got: b''"]
