"""Lesson 02's answer cell (grade_id socket_shutdown) as learners write it wrong.

CELLS maps a mistake to (cell source, the tests it must fail); VARIANTS maps a
right answer written differently from the reference to its cell source.
"""

_IMPORTS = "import queue\nimport socket\n\n"

_GOOD_RECV = '''
def socket_recv(conn, exit_q):
    try:
        while True:
            if not conn.recv(1024):
                break
    except OSError:
        pass
    exit_q.put("exit")
'''

_GOOD_STOP = '''
def stop_receiver(conn, exit_q, timeout=1.0):
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
    try:
        return exit_q.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError("no exit") from None
'''

# The straight port of Go's conn.Close(): the reader never wakes.
_CLOSE_ONLY_STOP = '''
def stop_receiver(conn, exit_q, timeout=1.0):
    conn.close()
    try:
        return exit_q.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError("no exit") from None
'''

# A reset escapes the loop as ConnectionResetError: no "exit" is sent.
_DIES_ON_RESET_RECV = '''
def socket_recv(conn, exit_q):
    while True:
        if not conn.recv(1024):
            break
    exit_q.put("exit")
'''

# Never blocks: asks again and again.
_SPINNING_RECV = '''
def socket_recv(conn, exit_q):
    conn.setblocking(False)
    while True:
        try:
            if not conn.recv(1024):
                break
        except BlockingIOError:
            continue
        except OSError:
            break
    exit_q.put("exit")
'''

CELLS = {
    "close only": (_IMPORTS + _GOOD_RECV + _CLOSE_ONLY_STOP, {"test_local_close"}),
    "dies on reset": (_IMPORTS + _DIES_ON_RESET_RECV + _GOOD_STOP, {"test_peer_close"}),
    "spinning": (_IMPORTS + _SPINNING_RECV + _GOOD_STOP,
                 {"test_local_close", "test_peer_close"}),
}

# Right, written differently: shutdown(SHUT_RD) only, recv_into, `with conn`,
# contextlib.suppress, a TimeoutError chained from queue.Empty.
_WITH_CONN = _IMPORTS + '''import contextlib


def socket_recv(conn, exit_q):
    buffer = bytearray(1024)
    with contextlib.suppress(OSError):
        while conn.recv_into(buffer, 1024):
            pass
    exit_q.put("exit")


def stop_receiver(conn, exit_q, timeout=1.0):
    with conn:
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RD)
    try:
        return exit_q.get(True, timeout)
    except queue.Empty as empty:
        raise TimeoutError("no exit from the reader") from empty
'''

# Right, written differently: iter() with a sentinel, the report in `finally`.
_ITERATES = _IMPORTS + '''import functools


def socket_recv(conn, exit_q):
    try:
        for _ in iter(functools.partial(conn.recv, 1024), b""):
            pass
    except OSError:
        pass
    finally:
        exit_q.put("exit")


def stop_receiver(conn, exit_q, timeout=1.0):
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        conn.close()
    try:
        return exit_q.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError from None
'''

VARIANTS = {"recv_into, with conn, SHUT_RD": _WITH_CONN, "iter() and finally": _ITERATES}
