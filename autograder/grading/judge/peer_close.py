"""Lesson 02's peer_close judged from outside: the judge closes or resets its
own end of the connection and sees the reader end and report it, once."""

from __future__ import annotations

import time

from ...exercises import too_slow
from ...exercises.socket_reader import LATE_GRACE, READER, STOP_BOUND, hang_up
from .registry import expect, judge
from .seen_in_proc import open_as
from .socket_reader import TooSlow, diagnose, expect_one_report, finish, no_report, retried, start
from .subject import Rejected, Subject


@judge("peer_close")
def judge_peer_close(subject: Subject, hidden: bool) -> None:
    rounds: list[tuple[str, list[bytes]]] = [("close", [b"hello"]), ("reset", [b"hello"])]
    if hidden:
        rounds += [("close", [b"x" * 5000] * 8), ("reset", []), ("close", [])]
    for how, greeting in rounds:
        retried(_peer_close_case, subject, how, greeting)


def _peer_close_case(subject: Subject, how: str, greeting: list[bytes]) -> float:
    case = start(subject, "peer", greeting)
    try:
        began, stalled = time.monotonic(), too_slow.cpu_stalled_us()
        event = hang_up(case.peer, how)
        leaked = subject.wait_gone([case.reader], STOP_BOUND)
        took = time.monotonic() - began
        late = False
        if leaked:
            diagnosis = diagnose(case)
            if subject.wait_gone(leaked, LATE_GRACE):
                stuck = not too_slow.overloaded_since(stalled, began)
                raise (Rejected if stuck else TooSlow)(
                    f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the reader had "
                    "not reported \"exit\".\n" + (diagnosis or f"{READER} is still running."))
            late = True
        # Then the seed's main: release our end and take the reader's message.
        call = f"stop_receiver(conn, exit_q) after the peer {event.split(' (')[0]}"
        kind, outcome = subject.resume("socket_reader")
        expect(kind == "step", "the socket_reader probe did not say how stop_receiver ended")
        if not outcome.get("reports"):
            raise Rejected(f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the "
                           f"reader had not reported \"exit\".\n" + no_report(outcome))
        if late:
            raise TooSlow(f"The peer {event}, and {STOP_BOUND * 1000:.0f} ms later the "
                          "reader had not reported \"exit\".")
        expect_one_report(outcome)
        raised = outcome.get("raised")
        expect(raised != "TimeoutError",
               f"{call} raised TimeoutError, though \"exit\" was waiting in exit_q.")
        expect(raised != "OSError",
               f"{call} raised {outcome.get('message')}\nOnce the peer has reset the "
               "connection there is nothing left to shut down, and shutdown() raises "
               "OSError: catch it, and close() anyway.")
        expect(raised != "hung", f"{call} did not return within its deadline.")
        expect(raised is None, f"{call} raised {outcome.get('message', raised)}")
        returned = outcome.get("returned")
        expect(type(returned) is str and returned == "exit" and outcome.get("left") == [],
               f"{call} returned {returned!r}; it should return the reader's \"exit\" "
               "from exit_q.")
        still = open_as(subject, case.inode)
        expect(not still,
               f"After {call}, conn is still open (descriptor "
               f"{', '.join(map(str, still))} still reaches the socket). Close it, so its "
               "descriptor is released.")
        finish(subject)
        return took
    finally:
        case.peer.close()
