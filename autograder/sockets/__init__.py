"""Socket checks: the process's descriptors, what the peer saw, and whether a
reader thread waits in the kernel or burns the CPU.

They build on the thread census in ``autograder.threads``: one census, one
report format.
"""

from .activity import (Activity, KernelWait, ReaderState, activity_of, describe_reader,
                       kernel_wait, live_thread, spinning, wait_until_reader_waits,
                       watch_thread)
from .descriptors import SocketHandle, descriptors_of_socket, open_descriptors
from .peer import Peer, PeerView, connected_pair

__all__ = [
    "Activity", "KernelWait", "Peer", "PeerView", "ReaderState", "SocketHandle",
    "activity_of", "connected_pair", "describe_reader", "descriptors_of_socket",
    "kernel_wait", "live_thread", "open_descriptors", "spinning", "wait_until_reader_waits",
    "watch_thread",
]
