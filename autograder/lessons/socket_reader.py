"""Lesson 02's plumbing: a local stand-in for the book's web server, and a
stopwatch for the ways to stop a thread blocked in ``recv()``.

The readers and the ways to stop them are in the notebook, where the learner
reads them; this module only times them and draws the figure.
"""

from __future__ import annotations

import queue
import selectors
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Callable

from ..sockets import activity_of, connected_pair, wait_until_reader_waits
from ..sockets.peer import LOOPBACK


# --- a local stand-in for the book's web server ---------------------------------------

@dataclass
class HeldConnection:
    """One client of the server, and how (and when) its end arrived."""

    client: tuple[str, int]
    how_it_ended: str | None = None  # "end-of-stream" or "reset"
    ended_at: float | None = None  # time.monotonic()
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    def end(self, how: str) -> None:
        self.how_it_ended, self.ended_at = how, time.monotonic()
        self._ended.set()

    def wait_end(self, timeout: float) -> str:
        """What the server saw of the client's end within ``timeout`` seconds."""
        return self.how_it_ended if self._ended.wait(timeout) else "nothing"


class HoldingServer:
    """Accepts connections on 127.0.0.1 and holds each open, like a web server
    waiting for a request, until the client ends it. ``close()`` ends them all.

    It is itself a thread blocked waiting for sockets, and it stops the way the
    lesson recommends: a selector that also watches a wake-up socket pair.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server((LOOPBACK, 0))
        self.address: tuple[str, int] = self._listener.getsockname()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._accepted: queue.Queue[HeldConnection] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="holding server",
                                        daemon=True)
        self._thread.start()

    def next_connection(self, timeout: float) -> HeldConnection:
        return self._accepted.get(timeout=timeout)

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ, "accept")
            selector.register(self._wake_reader, selectors.EVENT_READ, "stop")
            held: dict[socket.socket, HeldConnection] = {}
            while True:
                for key, _ in selector.select():
                    if key.data == "stop":
                        for sock in held:
                            sock.close()
                        return
                    if key.data == "accept":
                        sock, client = self._listener.accept()
                        held[sock] = HeldConnection(client)
                        selector.register(sock, selectors.EVENT_READ)
                        self._accepted.put(held[sock])
                        continue
                    sock = key.fileobj
                    try:
                        if sock.recv(4096):
                            continue  # a request: this server never answers
                        how = "end-of-stream"
                    except ConnectionResetError:
                        how = "reset"
                    selector.unregister(sock)
                    sock.close()
                    held.pop(sock).end(how)

    def close(self) -> None:
        self._wake_writer.send(b"!")
        self._thread.join(2.0)
        for sock in (self._listener, self._wake_reader, self._wake_writer):
            sock.close()

    def __enter__(self) -> HoldingServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- ways to stop a reader, measured ---------------------------------------------------

@dataclass
class Control:
    """What a stop method may use besides the socket itself."""

    stop: threading.Event = field(default_factory=threading.Event)
    wake: tuple[socket.socket, socket.socket] = field(default_factory=socket.socketpair)


@dataclass
class StopMeasurement:
    method: str
    woke: bool  # the reader ended within give_up seconds of the stop
    latency_ms: float | None  # stop call to the reader's exit (median of the repeats)
    wakeups_per_s: float  # while idle: times the reader woke up with no data
    cpu_ms_per_s: float  # while idle: CPU time it used
    peer_saw: str  # right after the stop (and the close that follows it)
    rescued_by_peer: bool | None = None  # if it never woke: did the peer's close wake it?


Reader = Callable[[socket.socket, queue.Queue, "Control"], None]


def measure_stop(method: str, reader_func: Reader, stop: Callable[[socket.socket, Control], None],
                 idle: float = 0.2, give_up: float = 0.5, repeats: int = 3) -> StopMeasurement:
    """Start ``reader_func`` on a loopback connection, let it idle, ``stop`` it.

    The reader puts ``time.perf_counter()`` on its queue as it ends. One that
    has not ended ``give_up`` s after the stop is left to the peer's close. A
    reader that woke while idle (it polls) is stopped just after a wake-up, so
    its stop waits nearly a whole timeout whatever else the machine is doing.
    """
    latencies, wakeups, cpu = [], [], []
    result = StopMeasurement(method, True, None, 0.0, 0.0, "")
    for _ in range(repeats):
        conn, peer = connected_pair()
        control = Control()
        exit_q: queue.Queue = queue.Queue()
        reader = threading.Thread(target=reader_func, args=(conn, exit_q, control),
                                  name=f"reader ({method})", daemon=True)
        reader.start()
        wait_until_reader_waits(reader, conn.fileno())
        before = activity_of(reader.native_id)
        time.sleep(idle)
        used = activity_of(reader.native_id) - before
        wakeups.append(used.wakeups / idle)
        cpu.append(used.cpu_seconds * 1000 / idle)
        if used.wakeups:
            _just_after_a_wake_up(reader.native_id, within=2 * idle / used.wakeups)
        began = time.perf_counter()
        stop(conn, control)
        try:
            latencies.append((exit_q.get(timeout=give_up) - began) * 1000)
        except queue.Empty:
            result.woke = False
        conn.close()
        result.peer_saw = peer.watch(0.1).value
        if not result.woke:
            peer.close()  # the only thing left that can wake it: the other end
            reader.join(1.0)
            result.rescued_by_peer = not reader.is_alive()
            break
        peer.close()
        for sock in control.wake:
            sock.close()
    result.latency_ms = statistics.median(latencies) if result.woke else None
    result.wakeups_per_s = statistics.median(wakeups)
    result.cpu_ms_per_s = statistics.median(cpu)
    return result


def _just_after_a_wake_up(native_id: int, within: float) -> None:
    """Return as soon as the thread has woken up (and gone back to sleep) once more."""
    def wakeups() -> int | None:
        now = activity_of(native_id)
        return None if now is None else now.wakeups

    seen, end = wakeups(), time.perf_counter() + within
    while seen is not None and wakeups() == seen and time.perf_counter() < end:
        time.sleep(0.0005)


def plot_stop_methods(results: list[StopMeasurement], give_up_ms: float = 500.0):
    """Stop latency beside the price paid while idle, one bar per method."""
    import matplotlib.pyplot as plt

    names = [r.method for r in results]
    fig, (slow, busy) = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    for row, r in enumerate(results):
        if r.woke:
            slow.barh(row, r.latency_ms, color="tab:green")
            slow.annotate(f" {r.latency_ms:.2g} ms", (r.latency_ms, row), va="center")
        else:
            slow.barh(row, give_up_ms, color="white", edgecolor="tab:red", hatch="//")
            # Inside the bar, ending at it: outside, it would run into the next panel.
            slow.annotate(f"still asleep after {give_up_ms:.0f} ms ", (give_up_ms, row),
                          va="center", ha="right", color="tab:red",
                          bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    slow.set_xscale("log")
    slow.set_xlim(0.01, give_up_ms * 40)
    slow.set_xlabel("time from stop to the reader's exit (ms, log scale)")
    slow.set_title("How fast does the reader stop?")
    busy.barh(range(len(results)), [r.wakeups_per_s for r in results], color="tab:orange")
    for row, r in enumerate(results):
        busy.annotate(f" {r.wakeups_per_s:.0f}/s", (r.wakeups_per_s, row), va="center")
    busy.set_xlim(0, max([r.wakeups_per_s for r in results] + [1]) * 1.8)
    busy.set_xlabel("wake-ups per second while waiting for data")
    busy.set_title("What does waiting cost?")
    slow.set_yticks(range(len(names)), names)
    slow.invert_yaxis()
    fig.tight_layout()
    return fig
