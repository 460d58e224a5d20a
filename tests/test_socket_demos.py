"""Pins what lesson 02 claims about sockets and threads, with the same demo
functions the notebook runs (each in a child process, as there)."""

from __future__ import annotations

import socket

import pytest

from autograder.lessons import socket_reader as demo
from autograder.sockets import PeerView

pytestmark = pytest.mark.skipif(not demo.sys.platform.startswith("linux"),
                                reason="the lesson measures Linux")


@pytest.fixture(scope="module")
def stop_methods() -> dict[str, demo.StopMeasurement]:
    return {m.method: m for m in demo.measure_stop_methods()}


def test_straight_port_of_program_c_hangs_and_the_server_sees_nothing():
    run = demo.run_program_c("close", timeout=2.5)
    assert run.hung and run.printed == ""
    assert run.server_saw_while_running == "nothing"
    # Only the end of the process released the socket.
    assert run.server_saw_in_the_end == "end-of-stream"


def test_program_c_with_shutdown_prints_exit_and_ends_the_connection():
    run = demo.run_program_c("shutdown", timeout=5.0)
    assert not run.hung and run.printed == "exit\n"
    assert run.server_saw_in_the_end == "end-of-stream"


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


def test_faster_polling_means_more_wakeups(stop_methods):
    assert (stop_methods["settimeout(0.01), flag"].wakeups_per_s
            > stop_methods["settimeout(0.1), flag"].wakeups_per_s)


def test_plot_has_a_bar_per_method(stop_methods):
    import matplotlib
    matplotlib.use("Agg")
    figure = demo.plot_stop_methods(list(stop_methods.values()))
    latency_axis = figure.axes[0]
    assert [t.get_text() for t in latency_axis.get_yticklabels()] == list(stop_methods)


def test_makefile_pitfalls():
    pitfall = demo.run_makefile_pitfall()
    assert not pitfall.file_close_returned  # blocked behind the reader
    assert pitfall.file_close_returned_after_shutdown
    assert not pitfall.conn_close_released_socket
    assert pitfall.peer_saw_after_conn_close == PeerView.NOTHING.value
    assert pitfall.peer_saw_after_file_close == PeerView.END_OF_STREAM.value


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
