"""Lesson 02's probes: run the learner's socket_recv and stop_receiver on a
connection whose other end the judge holds, and report what happened as data.

The judge makes the TCP connection in its own process and hands this process
its end as an open file (``descriptors``); it keeps the far end, so it sees
for itself what arrives there (data, end-of-stream, a reset). Which thread
reads, whether it sleeps in ``recv()``, when it ends and whether the socket
is still open, the judge reads in ``/proc``. What only this process can tell
is reported here, as plain data: what the reader put on ``exit_q``, what
``stop_receiver`` returned or raised, what it left in ``exit_q``.
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Any
from collections.abc import Iterator

from ..exercises.harness import CALL_DEADLINE, Worker
from ..exercises.socket_reader import ExitQueue
from ..threads import DeadlineExceeded, ask_to_stop, call_with_deadline
from ..threads.census import real_is_alive, real_join
from .held import HOLD
from .registry import error_text, plain, probe

NEEDS = ("socket_recv", "stop_receiver")


def _missing(namespace: dict) -> dict | None:
    absent = [name for name in NEEDS if not callable(namespace.get(name))]
    return {"missing": absent} if absent else None


def _adopt(descriptors: list[int]) -> socket.socket:
    """The judge's connection as a plain blocking socket, as socket.socket() makes."""
    for extra in descriptors[1:]:
        socket.socket(fileno=extra).close()
    conn = socket.socket(fileno=descriptors[0])
    conn.settimeout(None)
    return conn


def _call_stop(stop_receiver: Any, *args: Any) -> dict:
    """stop_receiver's outcome: what it returned, or the exception it raised."""
    try:
        value = call_with_deadline(stop_receiver, *args, timeout=CALL_DEADLINE,
                                   what="stop_receiver")
        return {"returned": plain(value), "raised": None}
    except DeadlineExceeded:
        return {"returned": None, "raised": "hung"}
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        kind = ("TimeoutError" if isinstance(error, TimeoutError) else
                "queue.Empty" if isinstance(error, queue.Empty) else
                "OSError" if isinstance(error, OSError) else type(error).__name__)
        return {"returned": None, "raised": kind, "message": error_text(error)}


def _reader_state(exit_q: ExitQueue, reader: Worker) -> dict:
    return {"reports": [plain(item) for thread, item in list(exit_q.puts) if thread is reader],
            "reader_error": None if reader.error is None else error_text(reader.error)}


def _clean_up(conn: socket.socket, reader: Worker | None) -> None:
    conn.close()
    if reader is not None and reader.ident is not None:
        real_join(reader, 0.2)
        if real_is_alive(reader):
            ask_to_stop(reader)  # a reader spinning on b"" never sleeps


@probe("socket_reader")
def reader_case(namespace: dict, descriptors: list[int], how: str,
                timeout: float | None = None) -> Iterator[dict]:
    """Steps: the reader is started, held at a gate (``started``); the gate is
    open (``running``: the judge now watches it block, then acts: for
    ``how == "stop"`` the resume means "call stop_receiver", for ``"peer"``
    the judge has closed or reset its end); then ``stopped`` with the call's
    outcome; the result, once the judge has looked, with the reader's reports."""
    conn = _adopt(descriptors)
    reader = None
    try:
        if (missing := _missing(namespace)):
            return missing
        exit_q = ExitQueue()
        gate = threading.Event()
        socket_recv = namespace["socket_recv"]

        def run(conn: socket.socket, exit_q: ExitQueue) -> None:
            gate.wait(HOLD)
            socket_recv(conn, exit_q)
        reader = Worker(run, conn, exit_q, name="socket_recv reader")
        reader.start()
        yield {"started": [reader.native_id]}
        gate.set()
        yield {"running": True}
        if how == "stop":
            args = (conn, exit_q) if timeout is None else (conn, exit_q, timeout)
            outcome = _call_stop(namespace["stop_receiver"], *args)
            yield dict(outcome, **_reader_state(exit_q, reader), left=plain(exit_q.left()))
        else:
            state = _reader_state(exit_q, reader)  # before stop_receiver takes the message
            outcome = _call_stop(namespace["stop_receiver"], conn, exit_q)
            yield dict(outcome, **state, left=plain(exit_q.left()))
        real_join(reader, 0.2)
        return dict(_reader_state(exit_q, reader), left=plain(exit_q.left()))
    finally:
        _clean_up(conn, reader)


@probe("stop_no_reader")
def no_reader_case(namespace: dict, descriptors: list[int], timeout: float) -> Iterator[dict]:
    """stop_receiver with no reader to report: its outcome, then (once the
    judge has looked at the descriptors) clean up."""
    conn = _adopt(descriptors)
    try:
        if (missing := _missing(namespace)):
            return missing
        yield _call_stop(namespace["stop_receiver"], conn, ExitQueue(), timeout)
        return {}
    finally:
        conn.close()
