"""Checks for lesson 06's read_then_stop: program C with asyncio streams.

The check plays the server on 127.0.0.1, from a thread of its own with a
plain socket, so it sees what a real server would: the greeting it sends is
read, then an orderly end-of-stream when the learner closes the writer, and,
once the call has returned, a reset when it writes to the closed socket (a
socket only half closed would take the data in silence). The learner's
coroutine runs on the check's loop, whose wake-ups are counted: a reader that
waits in ``await reader.read()`` wakes the loop a few times in all, one that
polls wakes it every few milliseconds.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from ..sockets.descriptors import open_connections_to
from ..sockets.peer import LOOPBACK, Peer, PeerView
from ..threads.census import mark_own
from ..tasks import Outcome
from .coroutines import require_coroutine_function, run_answer
from .harness import CheckFailed, TooSlow, fail_if_any, retry_when_too_slow
from .registry import exercise

GREETING = b"hello from the check\n"
ENDS_WITHIN = 0.1  # seconds from the close to the reader's end: a waiting reader takes ~1 ms
# The loop wakes a few times when the greeting arrives and when the connection
# closes (a burst of about six within a few ms each); in between, a reader that
# waits never wakes it (none, measured beside four busy processes on 2 cores).
# A reader polling every 100 ms wakes it about 50 times a second.
BURST = 0.05  # seconds left out after the greeting and before the close
WAKEUPS_ALLOWED = 6  # one more burst: a greeting read late on a busy machine
WAKEUPS_PER_SECOND = 15  # more often than this in between: the reader polls
# How the problems that may be tried again begin: a reader that ended late,
# and wake-ups while idle. On a busy machine a right reader can show either (a
# greeting read late spills its burst of wake-ups into the idle time); a
# reader that polls or ends late shows them in every try.
LATE = "the reader ended"
WOKE = "the event loop woke up"


@dataclass
class ServerSaw:
    accepted_at: float | None = None
    greeted_at: float | None = None
    open_at_return: bool = False  # the learner's socket, when the call returned
    view: PeerView | None = None
    ended_at: float | None = None  # end-of-stream or reset
    closed_after: bool = False  # a reset when written to after the call


class Server:
    """One connection's server, in a thread of the check's own."""

    def __init__(self, listener: socket.socket | None = None,
                 tcp_table: str = "/proc/net/tcp") -> None:
        """``listener``: one made elsewhere (the judge's is the learner
        process's, handed over); ``tcp_table``: where its connections are listed."""
        self.listener = listener or socket.create_server((LOOPBACK, 0))
        self.listener.settimeout(5.0)
        self.tcp_table = tcp_table
        self.port = self.listener.getsockname()[1]
        self.saw = ServerSaw()
        self.call_over = threading.Event()
        self.accepted = threading.Event()
        self.thread = mark_own(threading.Thread(target=self._serve, daemon=True,
                                                name="autograder stream server"))
        self.thread.start()

    def _serve(self) -> None:
        try:
            accepted, _ = self.listener.accept()
        except OSError:
            return
        finally:
            self.listener.close()
        self.saw.accepted_at = time.monotonic()
        self.accepted.set()
        peer = Peer(accepted)
        try:
            peer.send(GREETING)
            self.saw.greeted_at = time.monotonic()
            while True:
                # Looked at before the watch: the last watch then begins after the
                # call was over, when a right reader's end-of-stream has arrived. (Read
                # after it, a watch that timed out just before the end-of-stream came,
                # and a thread paused until the call was over, saw "nothing".)
                over = self.call_over.is_set()
                view = peer.watch(timeout=0.05)
                if view in (PeerView.END_OF_STREAM, PeerView.RESET):
                    self.saw.ended_at = time.monotonic()
                    break
                if over:
                    break
            self.saw.view = view
            self.call_over.wait(10.0)
            try:  # written to, a closed socket answers with a reset: the next write fails
                for _ in range(30):
                    peer.send(b"still there?\n")
                    time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                self.saw.closed_after = True
        finally:
            peer.close()

    def look_at_return(self) -> None:
        """Whether the learner's socket was still open the moment the call returned."""
        if self.saw.accepted_at is not None:
            self.saw.open_at_return = bool(open_connections_to(self.port, self.tcp_table))

    def finish(self) -> ServerSaw:
        self.call_over.set()
        if not self.accepted.is_set() and _waiting_in_backlog(self.listener):
            # The learner connected (and maybe closed) before this server's
            # thread, starved on a busy machine, got to accept: let it.
            self.accepted.wait(1.0)
        self.listener.close()  # if nobody connected
        self.thread.join(2.0)
        return self.saw


def _waiting_in_backlog(listener: socket.socket) -> bool:
    """A connection the listening socket has not handed out yet."""
    try:
        return bool(select.select([listener], [], [], 0)[0])
    except (OSError, ValueError):  # closed: the server's thread has accepted
        return False


# By hidden. Only a linger of 0.3 s or more leaves a quiet stretch long enough
# to tell a polling reader by its wake-ups; the shorter one tries a linger
# other than the default, and a constant in its place.
LINGERS = {False: (0.1, 0.3), True: (0.5, 1.0)}


@exercise("stream_reader", needs=("read_then_stop",))
def check_stream_reader(answers: dict[str, Any], hidden: bool) -> str:
    answer = answers["read_then_stop"]
    require_coroutine_function(answer, "read_then_stop(host, port, linger=0.2)")
    for linger in LINGERS[hidden]:
        retry_when_too_slow(lambda linger=linger: _case(answer, linger))
    return ("the reader read until the end of the stream and ended at once when the writer "
            "closed; the server saw the end-of-stream and the socket was closed.")


def call_text(port: int, linger: float) -> str:
    return f"read_then_stop({LOOPBACK!r}, {port}, linger={linger:g})"


def run_call(answer: Callable, port: int, linger: float,
             at_return: Callable[[], Any]) -> Outcome:
    """The learner's read_then_stop on a fresh loop, with the server at ``port``;
    ``at_return`` runs the moment it returns."""
    return run_answer(answer, LOOPBACK, port, linger, what=call_text(port, linger),
                      deadline=linger + 2.0, block_threshold=None, at_return=at_return,
                      when_late=("After closing the writer, wait for the reader task with "
                                 "a time limit of 1 s (asyncio.wait_for)."))


def fail_on(call: str, problems: list[str], late: type[Exception] = TooSlow,
            wrong: type[Exception] = CheckFailed) -> None:
    """A case with problems fails; one whose only problems are timing (late,
    or wakeful while idle) may be tried again."""
    only_timing = bool(problems) and all(p.startswith((LATE, WOKE)) for p in problems)
    fail_if_any(call, problems, failure=late if only_timing else wrong)


def _case(answer: Callable, linger: float) -> None:
    server = Server()
    called_at = time.monotonic()
    try:
        outcome = run_call(answer, server.port, linger, server.look_at_return)
    finally:
        saw = server.finish()
    problems = outcome.problems(call_text(server.port, linger)) + problems_seen(
        outcome.value, linger, saw, called_at, outcome.returned_at, lambda start, end: sum(
            1 for t in outcome.wakeups if start <= t <= end))
    fail_on(call_text(server.port, linger), problems)


def problems_seen(value: object, linger: float, saw: ServerSaw, called_at: float,
                  returned_at: float | None, wakeups: Callable[[float, float], int],
                  allowed: tuple[float, float] = (WAKEUPS_ALLOWED, WAKEUPS_PER_SECOND)
                  ) -> list[str]:
    """What is wrong, from what the server saw, the value, the moments the
    call was made and returned, and ``wakeups(start, end)``: how often the loop
    woke up between two moments (``allowed``: that many, plus so many a second)."""
    if saw.accepted_at is None:
        return ["it never connected: asyncio.open_connection(host, port)."]
    problems = []
    if value != "exit":
        problems.append(f"it returned {value!r}; return what the reader task returned, "
                        "\"exit\".")
    if saw.open_at_return:
        problems.append("the connection was still open when the call returned: close the "
                        "writer before you return, and await writer.wait_closed().")
        return problems
    if saw.view is PeerView.RESET:
        problems.append("the server saw a reset, not an orderly end-of-stream: the socket "
                        "was closed with data it had received still unread (a socket "
                        "closed that way resets the connection). Let the reader read what "
                        "arrives until you close, and leave the loop free to run it "
                        "meanwhile (await asyncio.sleep, not time.sleep).")
    elif saw.view is not PeerView.END_OF_STREAM or saw.ended_at is None:
        problems.append(f"the server saw {saw.view.value if saw.view else 'nothing'} instead "
                        "of an orderly end-of-stream: close the writer (writer.close(), then "
                        "await writer.wait_closed()).")
        return problems
    # From the call, not from the accept: on a busy machine the server's thread
    # may accept well after the learner's connect returned and its sleep began,
    # and a right reader would seem to close early. To the first sign of the
    # close: the end-of-stream as the server saw it or the call's return,
    # whichever came first (the server's thread, starved, may see a reader
    # that never slept close late).
    closed_by = saw.ended_at if returned_at is None else min(saw.ended_at, returned_at)
    held = closed_by - called_at
    if held < linger - 0.02:
        problems.append(f"it closed the connection after {held:.2f} s: sleep linger "
                        f"({linger:g} s) first, with await asyncio.sleep(linger).")
    if not saw.closed_after:
        problems.append("after the call, the socket still took data in: it was not "
                        "closed (close the writer and await wait_closed()).")
    quiet = ((saw.greeted_at or saw.accepted_at) + BURST, saw.ended_at - BURST)
    woke = wakeups(*quiet)
    if woke > allowed[0] + allowed[1] * max(quiet[1] - quiet[0], 0):
        problems.append(f"{WOKE} {woke} times in {quiet[1] - quiet[0]:.2f} s "
                        "while the connection sat idle: the reader polls (a short timeout "
                        "or a sleep in a loop). Let it wait in await reader.read(...): it "
                        "returns b\"\" at the end of the stream, when the writer closes.")
    if returned_at is not None and not problems:
        late = returned_at - saw.ended_at
        if late > ENDS_WITHIN:
            problems.append(f"{LATE} {late:.2f} s after the writer closed; a "
                            "reader waiting in await reader.read(...) ends at once.")
    return problems
