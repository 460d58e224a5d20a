"""The other end of a connection, played by the check on 127.0.0.1.

Over loopback the check sees exactly what a real server would: data, an
orderly end-of-stream (FIN: ``recv`` returns ``b""``), a reset (RST), or
nothing at all while the connection is held open.
"""

from __future__ import annotations

import enum
import socket
import struct
import time

LOOPBACK = "127.0.0.1"


class PeerView(enum.Enum):
    """What the peer observed of our side of the connection."""

    END_OF_STREAM = "end-of-stream"
    RESET = "a reset"
    NOTHING = "nothing (the connection still looked open)"
    DATA = "data"


class Peer:
    """The accepted end of a loopback connection."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        """An orderly close: the other side's ``recv`` returns ``b""``."""
        self.sock.close()

    def reset(self) -> None:
        """Abort the connection: linger on, zero seconds, makes close() send RST,
        and the other side's ``recv`` raises ``ConnectionResetError``."""
        if self.sock.fileno() != -1:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def watch(self, timeout: float) -> PeerView:
        """What arrives from the other side within ``timeout`` seconds."""
        end = time.monotonic() + timeout
        received = b""
        try:
            while True:
                self.sock.settimeout(max(end - time.monotonic(), 0.001))
                chunk = self.sock.recv(4096)
                if not chunk:
                    return PeerView.END_OF_STREAM
                received += chunk
        except ConnectionResetError:
            return PeerView.RESET
        except (TimeoutError, BlockingIOError):
            return PeerView.DATA if received else PeerView.NOTHING


def connected_pair() -> tuple[socket.socket, Peer]:
    """A TCP connection over loopback: ``conn`` for the code under test, and its peer.

    The listener is closed at once: nothing else can connect to it.
    """
    with socket.create_server((LOOPBACK, 0)) as listener:
        conn = socket.create_connection(listener.getsockname(), timeout=1.0)
        conn.settimeout(None)  # a plain blocking socket, as socket.socket() makes
        accepted, _ = listener.accept()
    return conn, Peer(accepted)
