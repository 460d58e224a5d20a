"""Reference answer for lesson 02 (socket_shutdown), as a careful learner would write it."""
import queue
import socket


def socket_recv(conn, exit_q):
    try:
        while True:
            data = conn.recv(1024)
            if not data:  # b"": the peer has ended the stream
                break
    except OSError:  # reset, or the socket was shut down under us
        pass
    exit_q.put("exit")


def stop_receiver(conn, exit_q, timeout=1.0):
    try:
        conn.shutdown(socket.SHUT_RDWR)  # wakes the reader blocked in recv()
    except OSError:
        pass  # already disconnected (the peer reset it): nothing to shut down
    conn.close()
    try:
        return exit_q.get(timeout=timeout)
    except queue.Empty:
        raise TimeoutError(f"the reader did not report within {timeout} s") from None
