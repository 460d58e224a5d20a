"""Open files passed between the judge and the re-check process (SCM_RIGHTS
on their descriptors channel): exactly as many as were announced, or none."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

MOST = 16  # files one message may carry


def receive_files(channel: socket.socket, count: int, timeout: float,
                  recv: Callable = socket.recv_fds) -> list[int]:
    """``count`` open files from ``channel``; ValueError, keeping none, if
    another number came. ``recv``: the re-check passes the one it bound
    before learner code ran."""
    channel.settimeout(timeout)
    _, fds, _, _ = recv(channel, MOST, count)
    if len(fds) != count:
        for fd in fds:
            os.close(fd)
        raise ValueError(f"{count} files announced, {len(fds)} received")
    return fds
