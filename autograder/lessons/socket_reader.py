"""Lesson 02's demonstrations: program C against a local server, and the ways
to stop a thread blocked in ``recv()``, measured.

Whatever can leave a thread asleep for good runs in a child process with a
timeout (``python -m autograder.lessons.socket_reader <demo>``), so the
learner's kernel never keeps a stuck thread. Each demo returns what it
observed, so the notebook can show it and the tests can pin it.
"""

from __future__ import annotations

import json
import queue
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from collections.abc import Callable

from ..sockets import SocketHandle, activity_of, connected_pair, wait_until_reader_waits
from ..sockets.peer import LOOPBACK
from .programs import PROGRAMS

PROGRAM_C = PROGRAMS / "socket_reader_program_c.py"


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


# --- program C, in a child process -------------------------------------------------

@dataclass
class ProgramRun:
    printed: str
    hung: bool  # still running at the timeout, and killed
    seconds: float
    server_saw_while_running: str | None  # when it hung: what the server had seen by then
    server_saw_in_the_end: str  # once the program had ended, one way or the other


def run_program_c(stop: str = "close", timeout: float = 3.0) -> ProgramRun:
    """Run the port of program C against a local holding server.

    ``stop="close"`` is the straight port; ``"shutdown"`` adds the fix.
    """
    with HoldingServer() as server:
        began = time.monotonic()
        program = subprocess.Popen(
            [sys.executable, str(PROGRAM_C), *map(str, server.address), stop],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        held = server.next_connection(timeout=timeout)  # it dials first thing
        seen_while_running = None
        try:
            printed, _ = program.communicate(timeout=max(began + timeout - time.monotonic(), 0))
            hung = False
        except subprocess.TimeoutExpired:
            hung = True
            seen_while_running = held.wait_end(0)
            program.kill()  # the end of a process closes its sockets for good
            printed, _ = program.communicate()
        seconds = time.monotonic() - began
        in_the_end = held.wait_end(timeout=1.0)
        return ProgramRun(printed, hung, seconds, seen_while_running, in_the_end)


# --- ways to stop a reader, measured ---------------------------------------------------

@dataclass
class Control:
    """What a stop method may use besides the socket itself."""

    stop: threading.Event = field(default_factory=threading.Event)
    wake: tuple[socket.socket, socket.socket] = field(default_factory=socket.socketpair)


def blocking_reader(conn: socket.socket, exit_q: queue.Queue, control: Control) -> None:
    try:
        while conn.recv(1024):
            pass
    except OSError:
        pass
    exit_q.put(time.perf_counter())


def polling_reader(interval: float) -> Callable[[socket.socket, queue.Queue, Control], None]:
    def reader(conn: socket.socket, exit_q: queue.Queue, control: Control) -> None:
        conn.settimeout(interval)
        while not control.stop.is_set():
            try:
                if not conn.recv(1024):
                    break
            except TimeoutError:
                continue  # wake up, look at the flag, wait again
            except OSError:
                break
        exit_q.put(time.perf_counter())
    return reader


def selector_reader(conn: socket.socket, exit_q: queue.Queue, control: Control) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(conn, selectors.EVENT_READ, "data")
        selector.register(control.wake[0], selectors.EVENT_READ, "stop")
        stopping = False
        while not stopping:
            for key, _ in selector.select():
                if key.data == "stop":
                    stopping = True
                elif not conn.recv(1024):
                    stopping = True
    exit_q.put(time.perf_counter())


def _shutdown(how: int) -> Callable[[socket.socket, Control], None]:
    def stop(conn: socket.socket, control: Control) -> None:
        conn.shutdown(how)
        conn.close()
    return stop


STOP_METHODS: dict[str, tuple[Callable, Callable[[socket.socket, Control], None]]] = {
    "close()": (blocking_reader, lambda conn, control: conn.close()),
    "shutdown(SHUT_RDWR), close()": (blocking_reader, _shutdown(socket.SHUT_RDWR)),
    "shutdown(SHUT_RD), close()": (blocking_reader, _shutdown(socket.SHUT_RD)),
    "settimeout(0.01), flag": (polling_reader(0.01), lambda conn, control: control.stop.set()),
    "settimeout(0.1), flag": (polling_reader(0.1), lambda conn, control: control.stop.set()),
    "selector + wake-up pair": (selector_reader,
                                lambda conn, control: control.wake[1].send(b"!")),
}


@dataclass
class StopMeasurement:
    method: str
    woke: bool  # the reader ended within give_up seconds of the stop
    latency_ms: float | None  # stop call to the reader's exit (median of the repeats)
    wakeups_per_s: float  # while idle: times the reader woke up with no data
    cpu_ms_per_s: float  # while idle: CPU time it used
    peer_saw: str  # right after the stop (and the close that follows it)
    rescued_by_peer: bool | None = None  # if it never woke: did the peer's close wake it?


def measure_stop(method: str, idle: float = 0.2, give_up: float = 0.5,
                 repeats: int = 3) -> StopMeasurement:
    """Start a reader on a loopback connection, let it idle, stop it by ``method``."""
    reader_func, stop = STOP_METHODS[method]
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


def measure_stop_methods(timeout: float = 60.0) -> list[StopMeasurement]:
    """Every stop method, measured in a child process."""
    return [StopMeasurement(**row) for row in _in_child("stop-methods", timeout)]


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


# --- the makefile() pitfall ------------------------------------------------------------

@dataclass
class MakefilePitfall:
    file_close_returned: bool  # closing the reader's file from another thread
    file_close_returned_after_shutdown: bool
    conn_close_released_socket: bool  # conn.close() while a makefile() is open
    peer_saw_after_conn_close: str
    peer_saw_after_file_close: str


def makefile_pitfall(wait: float = 0.3) -> MakefilePitfall:
    """A reader on ``conn.makefile()``: what closing the file, or conn, does."""
    conn, peer = connected_pair()
    lines = conn.makefile("rb")
    exit_q: queue.Queue = queue.Queue()

    def reader() -> None:
        try:
            for _ in lines:
                pass
        except (OSError, ValueError):
            pass
        exit_q.put("exit")

    threading.Thread(target=reader, name="makefile reader", daemon=True).start()
    time.sleep(0.05)
    closed = threading.Event()
    threading.Thread(target=lambda: (lines.close(), closed.set()),
                     name="closes the file", daemon=True).start()
    file_close_returned = closed.wait(wait)  # the reader holds the file's lock
    conn.shutdown(socket.SHUT_RDWR)
    after_shutdown = closed.wait(1.0)
    exit_q.get(timeout=1.0)
    conn.close()
    peer.close()

    conn, peer = connected_pair()
    handle = SocketHandle.of(conn)
    lines = conn.makefile("rb")
    conn.close()  # the file still uses the socket, so nothing is closed yet
    released = handle.still_open_as() == []
    seen_after_conn = peer.watch(0.1).value
    lines.close()
    seen_after_file = peer.watch(0.5).value
    peer.close()
    return MakefilePitfall(file_close_returned, after_shutdown, released, seen_after_conn,
                           seen_after_file)


def run_makefile_pitfall(timeout: float = 20.0) -> MakefilePitfall:
    return MakefilePitfall(**_in_child("makefile", timeout))


# --- the child process -----------------------------------------------------------------

def _in_child(demo: str, timeout: float):
    done = subprocess.run([sys.executable, "-m", __name__, demo], capture_output=True,
                          text=True, timeout=timeout, check=True)
    return json.loads(done.stdout)


def _child_main(demo: str) -> None:
    if demo == "stop-methods":
        result = [asdict(measure_stop(method)) for method in STOP_METHODS]
    elif demo == "makefile":
        result = asdict(makefile_pitfall())
    else:
        raise SystemExit(f"unknown demo {demo!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    _child_main(sys.argv[1])
