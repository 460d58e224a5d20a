"""Which of the process's file descriptors still reach a given socket.

``conn.fileno() == -1`` only says that the Python object let go of its
number. The socket itself lives on while any descriptor refers to it (a
``makefile()`` keeps it open, so does ``os.dup``), and only when the last one
is closed does the kernel send the peer its end-of-stream. So a socket is
identified by its kernel inode (``os.fstat().st_ino``), and "closed" means no
descriptor in ``/proc/self/fd`` links to ``socket:[inode]`` any more.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

_FD_DIR = "/proc/self/fd"


def open_descriptors() -> dict[int, str] | None:
    """Every open descriptor of this process and what it links to (None without /proc)."""
    try:
        names = os.listdir(_FD_DIR)
    except OSError:
        return None
    descriptors = {}
    for name in names:
        try:
            descriptors[int(name)] = os.readlink(f"{_FD_DIR}/{name}")
        except OSError:  # closed in the meantime (the listing's own descriptor, say)
            continue
    return descriptors


def descriptors_of_socket(inode: int) -> list[int] | None:
    """The descriptors that still reach the socket with this inode (None without /proc)."""
    descriptors = open_descriptors()
    if descriptors is None:
        return None
    target = f"socket:[{inode}]"
    return sorted(fd for fd, link in descriptors.items() if link == target)


@dataclass(frozen=True)
class SocketHandle:
    """A socket remembered by its descriptor number and kernel inode."""

    fd: int
    inode: int
    label: str

    @classmethod
    def of(cls, sock: socket.socket) -> SocketHandle:
        fd = sock.fileno()
        local, remote = sock.getsockname(), sock.getpeername()
        return cls(fd, os.fstat(fd).st_ino,
                   f"{local[0]}:{local[1]} -> {remote[0]}:{remote[1]}")

    def still_open_as(self) -> list[int] | None:
        """Descriptors still reaching this socket: [] once it is released.

        Without /proc only the original number can be checked, and a number
        reused by a new file is told apart by its inode.
        """
        found = descriptors_of_socket(self.inode)
        if found is not None:
            return found
        try:
            return [self.fd] if os.fstat(self.fd).st_ino == self.inode else []
        except OSError:
            return []


def open_connections_to(port: int, table: str = "/proc/net/tcp") -> list[int] | None:
    """The inodes of IPv4 TCP sockets connected to 127.0.0.1:``port`` that a
    descriptor still holds (one closed shows inode 0 while the kernel winds
    the connection down); None without /proc. For sockets the code under test
    made itself, whose objects the check never sees, however many it made.
    ``table``: another network namespace's, as ``/proc/<pid>/net/tcp`` shows
    it to the judge."""
    try:
        with open(table) as rows_file:
            rows = rows_file.read().splitlines()[1:]
    except OSError:
        return None
    loopback = f"0100007F:{port:04X}"  # /proc/net/tcp writes the address little-endian
    return [int(fields[9]) for row in rows
            if len(fields := row.split()) > 9 and fields[2] == loopback and fields[9] != "0"]
