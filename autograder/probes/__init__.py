"""Probes: what the judge asks of a learner's process, answered as plain data.

The points of a test are decided by a judge that runs no learner code
(``autograder.grading.judge``). It cannot call the learner's functions
itself, so it asks the process that holds them, the sealed-off re-check, to
run one: "start consumer on these items and tell me which threads you
started". That process answers here, in a probe. A probe runs learner code
under deadlines and reports only plain data (lists, numbers, strings, thread
ids); everything it says is checked on the judge's side against inputs the
judge chose and against what the judge sees of the process from outside
(``/proc``). Learner code can replace a probe, but a replacement still has to
answer right and behave right, seen from outside: it has to be an answer.

A probe is a function ``probe(namespace, **args)``; one that must let the
judge look at the process midway is a generator: each ``yield`` sends a step
(``{"started": [thread ids]}``, say) and resumes when the judge has looked.
"""

from __future__ import annotations

from . import (borrowed, call_with_timeout, cancel_on_timeout, channels_vs_locks,  # noqa: F401
               closable_queue, leaky_consumer, socket_reader, stream_reader, waitgroup)
from .registry import PLAIN, PROBES, error_text, plain, probe

__all__ = ["PLAIN", "PROBES", "error_text", "plain", "probe"]
