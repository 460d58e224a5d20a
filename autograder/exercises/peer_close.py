"""Checks for lesson 02's peer_close: the other end closes or resets the
connection, and the reader ends and reports it, once."""

from __future__ import annotations

import time
from typing import Any
from collections.abc import Callable

from . import too_slow
from .harness import CheckFailed, TooSlow, call_answer, expect, retry_when_too_slow, where_raised
from .registry import exercise
from .socket_reader import (LATE_GRACE, READER, STOP_BOUND, ReaderCase, clean_up,
                            diagnose_reader, expect_one_report, expect_released, hang_up,
                            start_reader, summary)


@exercise("peer_close", needs=("socket_recv", "stop_receiver"))
def check_peer_close(answers: dict[str, Any], hidden: bool) -> str:
    socket_recv, stop_receiver = answers["socket_recv"], answers["stop_receiver"]
    rounds: list[tuple[str, list[bytes]]] = [("close", [b"hello"]), ("reset", [b"hello"])]
    if hidden:
        rounds = [("close", [b"x" * 5000] * 8), ("reset", []), ("close", [])]
    cases, took = [], {}
    for how, greeting in rounds:
        case, seconds = retry_when_too_slow(lambda: _peer_close_case(
            socket_recv, stop_receiver, how, greeting))
        cases.append(case)
        took[how] = max(took.get(how, 0.0), seconds)
    return summary(
        f"the reader ended by itself when the peer closed ({took['close'] * 1000:.1f} ms) "
        f"and when it reset the connection ({took['reset'] * 1000:.1f} ms), reporting "
        "\"exit\" once each time; stop_receiver then released the socket.", cases)


def _peer_close_case(socket_recv: Callable, stop_receiver: Callable, how: str,
                     greeting: list[bytes]) -> tuple[ReaderCase, float]:
    case = start_reader(socket_recv, greeting)
    try:
        began, stalled = time.monotonic(), too_slow.cpu_stalled_us()
        event = hang_up(case.peer, how)
        leaked, _ = case.baseline.wait_gone(STOP_BOUND)
        took = time.monotonic() - began
        if leaked or not case.reports():
            late = (not case.baseline.wait_gone(LATE_GRACE)[0] and case.reports()
                    or too_slow.overloaded_since(stalled, began))
            raise (TooSlow if late else CheckFailed)(
                f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the reader "
                f"had not reported \"exit\".\n"
                + (diagnose_reader(case) or f"{READER} is still running."))
        expect_one_report(case)
        # Then the seed's main: release our end and take the reader's message.
        call = f"stop_receiver(conn, exit_q) after the peer {event.split(' (')[0]}"
        try:
            returned = call_answer(stop_receiver, case.conn, case.exit_q, what=call,
                                   expected=(TimeoutError, OSError))
        except TimeoutError:
            raise CheckFailed(f"{call} raised TimeoutError, though \"exit\" was waiting "
                              "in exit_q.") from None
        except OSError as error:
            raise CheckFailed(
                f"{call} raised {type(error).__name__}: {error}\n  at {where_raised(error)}\n"
                "Once the peer has reset the connection there is nothing left to shut "
                "down, and shutdown() raises OSError: catch it, and close() anyway."
            ) from None
        expect(returned == "exit" and not case.exit_q.left(),
               f"{call} returned {returned!r}; it should return the reader's \"exit\" "
               "from exit_q.")
        expect_released(case, call)
        return case, took
    finally:
        clean_up(case)
