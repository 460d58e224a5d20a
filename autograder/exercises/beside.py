"""What a check grades an answer beside: a known-good piece, or the learner's own.

``run_session`` runs consumers, ``stop_consumers`` stops robust consumers,
``run_with_waitgroup`` counts on a WaitGroup. Graded with known-good ones
(``autograder/known_good``), a mistake in the consumer or the WaitGroup costs
only that exercise's test. The student edition leaves the known-good pieces
out, since they answer exercises; there the check uses the learner's own
piece, and a failure says so, since the mistake may be in that piece.
"""

from __future__ import annotations

import contextlib
from typing import Any
from collections.abc import Callable, Iterator

from ..threads import DeadlineExceeded, LeakError
from .harness import CheckFailed

try:
    from ..known_good import consumers as _consumers
    from ..known_good import waitgroup as _waitgroup
except ImportError:  # the student edition
    _consumers = _waitgroup = None  # type: ignore[assignment]


def consumer(own: Any) -> Callable:
    """The known-good seed consumer, or the learner's ``consumer``."""
    if _consumers is not None:
        return _consumers.consumer
    return _learners(own, "consumer", "run_session")


def robust_consumer(stop: object, own: Any) -> Callable:
    """A known-good consumer of ``stop``, or the learner's ``robust_consumer``."""
    if _consumers is not None:
        return _consumers.robust_consumer(stop)
    return _learners(own, "robust_consumer", "stop_consumers")


def waitgroup(own: Any) -> type:
    """The known-good WaitGroup class, or the learner's ``WaitGroup``."""
    if _waitgroup is not None:
        return _waitgroup.WaitGroup
    return _learners(own, "WaitGroup", "run_with_waitgroup", kind=type)


def _learners(own: Any, piece: str, answer: str, kind: type | None = None) -> Any:
    if own is None or not (isinstance(own, kind) if kind else callable(own)):
        raise CheckFailed(
            f"This copy of the course has no known-good {piece} (it would answer an "
            f"exercise), so the check runs {answer} with your own {piece}: run the cell "
            f"that defines {piece} first.")
    return own


@contextlib.contextmanager
def said_when_own(piece: str, answer: str) -> Iterator[None]:
    """A failure inside adds, where the learner's own ``piece`` stood in, that
    the mistake may be there."""
    try:
        yield
    except (CheckFailed, LeakError, DeadlineExceeded) as failed:
        if _consumers is not None:
            raise
        told = (f"{failed}\n(This copy of the course has no known-good {piece}: it "
                f"would answer an exercise. So the check ran {answer} with your own "
                f"{piece}, and the mistake may be in either. Your instructor's grading "
                f"uses a known-good {piece}.)")
        raise (type(failed) if isinstance(failed, CheckFailed) else CheckFailed)(told) \
            from None
