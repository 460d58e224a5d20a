"""Program C, ported line by line: a reader thread, stopped by closing the socket.

Usage: socket_reader_program_c.py HOST PORT [close|shutdown]
The book dials www.163.com:80; the lesson passes a local server's address.
"""
import queue
import socket
import sys
import threading
import time


def socket_recv(conn, exit_chan):
    while True:  # receive until the connection fails
        try:
            data = conn.recv(1024)
        except OSError:
            break
        if not data:
            break
    exit_chan.put("exit")


def main(host, port, stop="close"):
    try:
        conn = socket.create_connection((host, port))
    except OSError as err:
        print(err)
        return

    exit_q = queue.Queue()
    threading.Thread(target=socket_recv, args=(conn, exit_q)).start()
    time.sleep(1)
    if stop == "shutdown":
        conn.shutdown(socket.SHUT_RDWR)  # the fix: wake the reader first
    conn.close()  # close the socket: the reader's recv fails... in Go
    print(exit_q.get(), flush=True)


main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])
