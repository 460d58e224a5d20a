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


def tcp_socket_inode(local_port: int, remote_port: int,
                     table: str = "/proc/net/tcp") -> int | None:
    """The inode of this machine's IPv4 TCP socket from ``local_port`` to
    ``remote_port`` on loopback: 0 once no descriptor holds it (closed, the
    kernel winding the connection down), None if there is no such connection
    or no /proc. For a socket the code under test made itself, whose object
    the check never sees. ``table``: another network namespace's, as
    ``/proc/<pid>/net/tcp`` shows it to the judge."""
    try:
        with open(table) as rows_file:
            rows = rows_file.read().splitlines()[1:]
    except OSError:
        return None
    for row in rows:
        fields = row.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == local_port and \
                int(remote.split(":")[1], 16) == remote_port:
            return int(inode)
    return None
