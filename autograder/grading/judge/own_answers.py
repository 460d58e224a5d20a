"""Before it judges an exercise, the judge asks whether its answers are the
learner's own code or the course's, imported under the answer's name (see
``exercises.borrowed``). The subject answers as plain data: a learner who
patches that answer away is writing code against this grader, plain to see."""

from __future__ import annotations

from ...exercises import EXERCISES
from .subject import Rejected, Subject


def expect_own_answers(subject: Subject, exercise: str) -> None:
    kind, data = subject.call("borrowed", names=list(EXERCISES[exercise].needs))
    if kind != "result":
        raise Rejected("The re-check process did not say whose code the answers are.")
    message = data.get("message")
    if message is not None:
        raise Rejected(str(message))
