"""Asked before each judge: is any answer the course's own code? (See
``exercises.borrowed``.) Answered as the learner's message, or None."""

from __future__ import annotations

from ..exercises.borrowed import borrowed
from .registry import probe


@probe("borrowed")
def borrowed_answers(namespace: dict, names: list) -> dict:
    answers = {name: namespace[name] for name in names
               if isinstance(name, str) and name in namespace}
    return {"message": borrowed(answers)}
