"""Program D: the reader signals with a WaitGroup, and main never waits on it.

Run as: python waitgroup_program_d.py HOST PORT [shutdown] [daemon]
The two switches are the lesson's variants; without them this is the book's program.
"""
import socket
import sys
import threading
import time

from autograder.lessons.waitgroup import WaitGroup  # the course's own


def socket_recv(conn, wg):
    while True:  # keep receiving
        try:
            data = conn.recv(1024)  # read from the socket
        except OSError:
            break
        if not data:
            break
    print("reader: the connection ended, wg.done()", flush=True)
    wg.done()


def main(address, shutdown=False, daemon=False):
    conn = socket.create_connection(address)

    wg = WaitGroup()
    wg.add(1)
    threading.Thread(target=socket_recv, args=(conn, wg), daemon=daemon).start()

    time.sleep(1)
    print("main: closing the connection, then returning", flush=True)
    if shutdown:
        conn.shutdown(socket.SHUT_RDWR)  # what wakes the reader on Linux (lesson 02)
    conn.close()  # in Go, Close wakes the reader; on Linux recv sleeps on (lesson 02)
    # no wg.wait(), as in the book


if __name__ == "__main__":
    host, port, *switches = sys.argv[1:]
    main((host, int(port)), shutdown="shutdown" in switches, daemon="daemon" in switches)
