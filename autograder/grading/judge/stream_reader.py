"""Lesson 06's stream_reader judged from outside: the judge plays the server.

The learner's coroutine connects within its own process's network namespace,
so the probe makes the listening socket there and hands it over; from then on
only the judge holds it. The judge accepts the learner's connection, sends
the greeting and sees for itself when the end-of-stream (or a reset, or
nothing) arrives (``exercises.stream_reader.Server``, the in-kernel check's
server, run here). In ``/proc`` it reads whether the learner's socket was
still open the moment the call returned (the probe holds the loop there) and
how often the loop's thread woke up while the connection sat idle: a loop
waiting in epoll_wait does not wake at all; one whose reader polls wakes at
every timeout. From the learner's process it takes as data what only that
process holds: the value returned, which thread ran the loop, and what the
task census found (tasks left running, destroyed while pending).

The messages are the in-kernel check's.
"""

from __future__ import annotations

import bisect
import socket
import threading
import time

from ...exercises.stream_reader import (LINGERS, Server, call_text, fail_on,
                                         problems_seen)
from ...sockets.peer import LOOPBACK
from .registry import expect, judge, reported_problems
from .seen_in_proc import activity
from .subject import Rejected, Subject
from .too_slow import TooSlow, retried

# The loop's thread is counted by the system's wake-ups (voluntary context
# switches), one per sleep: a reader polling every 50 ms costs 20 a second.
# A waiting one costs none between the greeting and the close (measured:
# 0 to 2, the second when the linger's timer fires).
WAKEUPS_ALLOWED, WAKEUPS_PER_SECOND = 3, 5
SAMPLE_EVERY = 0.002  # seconds between looks at the threads' wake-ups


class Wakeups:
    """Each thread's wake-ups in the learner's process, sampled from outside
    while a case runs, so they can be counted between any two moments."""

    def __init__(self, subject: Subject) -> None:
        self.subject, self.times, self.counts = subject, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True,
                                        name="judge: wake-up sampler")
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                threads = self.subject.tasks().values()
            except Rejected:
                return
            now = time.monotonic()
            seen = {tid: spent.wakeups for tid in threads
                    if (spent := activity(self.subject, tid)) is not None}
            self.times.append(now)
            self.counts.append(seen)
            self._stop.wait(SAMPLE_EVERY)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)

    def between(self, tid: int, start: float, end: float) -> int:
        """How often thread ``tid`` (a host id) woke up from ``start`` to ``end``;
        TooSlow (tried again) if the judge did not see that thread often enough
        then to say: it decides nothing it did not see."""
        if end - start < SAMPLE_EVERY:
            return 0  # no idle stretch to count in
        first = bisect.bisect_left(self.times, start)
        last = bisect.bisect_right(self.times, end) - 1
        before = self.counts[first].get(tid) if 0 <= first < len(self.counts) else None
        after = self.counts[last].get(tid) if first < last else None
        if before is None or after is None or \
                (self.times[last] - self.times[first]) < (end - start) / 2:
            raise TooSlow("the judge could not watch the event loop's thread often enough "
                          "while the connection sat idle (the machine is busy)")
        return after - before


@judge("stream_reader")
def judge_stream_reader(subject: Subject, hidden: bool) -> None:
    for linger in LINGERS[hidden]:
        retried(_case, subject, linger)


def _case(subject: Subject, linger: float) -> None:
    kind, step = subject.call("stream_reader", linger=linger)
    port = step.get("listening")
    expect(kind == "step" and type(port) is int,
           "the stream_reader probe did not make the server's socket")
    server = Server(_listening(subject.take_files(step, 1, "the server's socket")[0], port),
                    tcp_table=f"/proc/{subject.process()}/net/tcp")
    wakeups = Wakeups(subject)
    returned_at, loop_thread = None, None
    called_at = time.monotonic()  # the probe calls read_then_stop once resumed
    try:
        kind, step = subject.resume("stream_reader")
        if kind == "step":  # the loop, held the moment the coroutine returned
            returned_at = time.monotonic()
            server.look_at_return()
            loop_thread = subject.tasks().get(step.get("returned"))  # type: ignore[arg-type]
            expect(loop_thread is not None,
                   "the stream_reader probe did not say which thread ran the loop")
            kind, step = subject.resume("stream_reader")
        expect(kind == "result", "the stream_reader probe did not finish")
    finally:
        saw = server.finish()
        wakeups.stop()
    census = reported_problems(step, "stream_reader")
    expect(loop_thread is not None, "the stream_reader probe never held the loop at the return")
    problems = census + problems_seen(
        step.get("value"), linger, saw, called_at, returned_at,
        lambda start, end: wakeups.between(loop_thread, start, end),
        allowed=(WAKEUPS_ALLOWED, WAKEUPS_PER_SECOND))
    fail_on(call_text(port, linger), problems, late=TooSlow, wrong=Rejected)


def _listening(fd: int, port: int) -> socket.socket:
    """The handed-over file, if it is a TCP socket listening on loopback at ``port``."""
    listener = socket.socket(fileno=fd)
    try:
        listening = (listener.family == socket.AF_INET and listener.type == socket.SOCK_STREAM
                     and listener.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
                     and listener.getsockname() == (LOOPBACK, port))
    except OSError:
        listening = False
    if not listening:
        listener.close()
        raise Rejected("the re-check process handed over something other than the "
                       "server's listening socket")
    return listener
