"""Wrong answers for lesson 02 (socket_shutdown), each with one typical mistake.

``WRONG[name]`` is the notebook namespace a learner with that mistake would have:
``{"socket_recv": ..., "stop_receiver": ...}``. Each keeps the reference for the
half it does not get wrong, so its failure is about that one mistake.
"""
import queue
import socket
import time

from .socket_reader_reference import socket_recv as good_recv
from .socket_reader_reference import stop_receiver as good_stop


def _wait_for_exit(exit_q, timeout):
    try:
        return exit_q.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError(f"the reader did not report within {timeout} s") from None


def stop_close_only(conn, exit_q, timeout=1.0):
    conn.close()  # the straight port of Go's conn.Close()
    return _wait_for_exit(exit_q, timeout)


def stop_without_close(conn, exit_q, timeout=1.0):
    conn.shutdown(socket.SHUT_RDWR)  # wakes the reader, but the descriptor stays open
    return _wait_for_exit(exit_q, timeout)


def stop_unguarded_shutdown(conn, exit_q, timeout=1.0):
    conn.shutdown(socket.SHUT_RDWR)  # raises OSError once the peer has reset
    conn.close()
    return _wait_for_exit(exit_q, timeout)


def recv_slow_polling(conn, exit_q):
    conn.settimeout(0.5)  # wakes twice a second to look for a stop
    while True:
        try:
            data = conn.recv(1024)
        except TimeoutError:
            continue
        except OSError:
            break
        if not data:
            break
    exit_q.put("exit")


def recv_spinning(conn, exit_q):
    conn.setblocking(False)
    while True:
        try:
            data = conn.recv(1024)
        except BlockingIOError:
            continue  # no data yet: ask again, and again, and again
        except OSError:
            break
        if not data:
            break
    exit_q.put("exit")


def recv_empty_means_no_data(conn, exit_q):
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                time.sleep(0)  # "nothing yet", but b"" means the stream has ended
                continue
    except OSError:
        pass
    exit_q.put("exit")


def recv_reports_twice(conn, exit_q):
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                exit_q.put("exit")
                break
    except OSError:
        pass
    finally:
        exit_q.put("exit")


def recv_dies_on_reset(conn, exit_q):
    while True:
        data = conn.recv(1024)  # ConnectionResetError escapes: no "exit" is sent
        if not data:
            break
    exit_q.put("exit")


def recv_returns_on_first_data(conn, exit_q):
    conn.recv(1024)
    exit_q.put("exit")


WRONG = {
    "close only": {"socket_recv": good_recv, "stop_receiver": stop_close_only},
    "no close": {"socket_recv": good_recv, "stop_receiver": stop_without_close},
    "unguarded shutdown": {"socket_recv": good_recv, "stop_receiver": stop_unguarded_shutdown},
    "slow polling": {"socket_recv": recv_slow_polling, "stop_receiver": stop_close_only},
    "spinning": {"socket_recv": recv_spinning, "stop_receiver": good_stop},
    "b'' as no data": {"socket_recv": recv_empty_means_no_data, "stop_receiver": good_stop},
    "reports twice": {"socket_recv": recv_reports_twice, "stop_receiver": good_stop},
    "dies on reset": {"socket_recv": recv_dies_on_reset, "stop_receiver": good_stop},
    "returns on first data": {"socket_recv": recv_returns_on_first_data,
                              "stop_receiver": good_stop},
}
