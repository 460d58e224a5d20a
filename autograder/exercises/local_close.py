"""Checks for lesson 02's local_close: stop_receiver closes the connection and
the reader, waiting in recv(), ends and reports it."""

from __future__ import annotations

import queue
import time
from typing import Any
from collections.abc import Callable

from ..sockets import SocketHandle, connected_pair
from ..threads import DeadlineExceeded
from . import too_slow
from .harness import CheckFailed, TooSlow, call_answer, expect, retry_when_too_slow
from .registry import exercise
from .socket_reader import (LATE_GRACE, STOP_BOUND, ExitQueue, ReaderCase, clean_up,
                            diagnose_reader, expect_end_of_stream, expect_one_report,
                            expect_released, gave_up_fault, start_reader, summary)


@exercise("local_close", needs=("socket_recv", "stop_receiver"))
def check_local_close(answers: dict[str, Any], hidden: bool) -> str:
    socket_recv, stop_receiver = answers["socket_recv"], answers["stop_receiver"]
    rounds: list[tuple[list[bytes], float | None]] = [([b"HTTP/1.0 200 OK\r\n"], None)]
    if hidden:
        rounds = [([bytes([i]) * 1000 for i in range(1, 30)], 0.5), ([], 2.0)]
    cases, took = [], []
    for greeting, timeout in rounds:
        case, seconds = retry_when_too_slow(lambda: _local_close_case(
            socket_recv, stop_receiver, greeting, timeout))
        cases.append(case)
        took.append(seconds)
    if not hidden:
        _no_report_case(stop_receiver)
    return summary(
        f"stop_receiver woke the blocked reader and returned \"exit\" in "
        f"{max(took) * 1000:.1f} ms; the socket was released, the peer saw end-of-stream, "
        "and with no reader it raised TimeoutError on time.", cases)


def _local_close_case(socket_recv: Callable, stop_receiver: Callable,
                      greeting: list[bytes], timeout: float | None
                      ) -> tuple[ReaderCase, float]:
    case = start_reader(socket_recv, greeting)
    args: tuple = (case.conn, case.exit_q) if timeout is None else \
        (case.conn, case.exit_q, timeout)
    call = "stop_receiver(conn, exit_q" + ("" if timeout is None else
                                           f", timeout={timeout}") + ")"
    try:
        began, stalled = time.monotonic(), too_slow.cpu_stalled_us()
        try:
            returned = call_answer(stop_receiver, *args, what=call,
                                   expected=(TimeoutError, queue.Empty))
        except (TimeoutError, queue.Empty, DeadlineExceeded) as error:
            took = time.monotonic() - began
            stuck = f"{call} did not return within {took:.1f} s" \
                if isinstance(error, DeadlineExceeded) else \
                f"{call} raised {type(error).__name__} after {took:.2f} s"
            diagnosis = diagnose_reader(case) or (
                f"The reader did report, but {call} did not take its message: wait for it "
                "with exit_q.get(timeout=timeout).")
            raise CheckFailed(f"{stuck}.\n{diagnosis}") from None
        took = time.monotonic() - began
        leaked, _ = case.baseline.wait_gone(max(began + STOP_BOUND - time.monotonic(), 0.02))
        if leaked:
            late = (not case.baseline.wait_gone(LATE_GRACE)[0]
                    or too_slow.overloaded_since(stalled, began))
            raise (TooSlow if late else CheckFailed)(
                f"{call} returned {returned!r}, but the reader was still running "
                f"{STOP_BOUND * 1000:.0f} ms after the call.\n" + diagnose_reader(case))
        if took > STOP_BOUND:
            raise TooSlow(
                f"{call} took {took * 1000:.0f} ms to return; the reader must be stopped, "
                f"and its \"exit\" received, within {STOP_BOUND * 1000:.0f} ms. "
                "Do not poll: wake the reader with shutdown().")
        expect_one_report(case)
        expect(not case.exit_q.left(),
               f"{call} returned {returned!r} but left the reader's message in exit_q: "
               "return the message the reader put there (exit_q.get(timeout=timeout)).")
        expect(returned == "exit",
               f"{call} returned {returned!r}; it should return the reader's message, "
               "\"exit\".")
        expect_released(case, call)
        expect_end_of_stream(case, call, within=STOP_BOUND)
        return case, took
    finally:
        clean_up(case)


def _no_report_case(stop_receiver: Callable) -> None:
    """No reader at all: stop_receiver must give up after ``timeout``, not hang."""
    conn, peer = connected_pair()
    handle = SocketHandle.of(conn)
    exit_q = ExitQueue()
    timeout = 0.2
    call = f"stop_receiver(conn, exit_q, timeout={timeout}) with no reader to report"
    try:
        began = time.monotonic()
        try:
            returned = call_answer(stop_receiver, conn, exit_q, timeout, what=call,
                                   expected=(TimeoutError, queue.Empty))
        except queue.Empty:
            raise CheckFailed(f"{call} raised queue.Empty; raise TimeoutError instead "
                              "(catch queue.Empty from exit_q.get).") from None
        except TimeoutError:
            took = time.monotonic() - began
        else:
            raise CheckFailed(f"{call} returned {returned!r}; with no \"exit\" coming, it "
                              "should raise TimeoutError once timeout runs out.")
        fault = gave_up_fault(call, took, timeout)
        expect(fault is None, fault or "")
        expect(not handle.still_open_as(),
               f"{call} raised TimeoutError as it should, but left the socket open: "
               "release it before waiting, whatever the reader does.")
    finally:
        peer.close()
        conn.close()
