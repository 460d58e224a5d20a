"""The judge: each test's points decided by a process that runs no learner code.

``VerifyOutsideKernel`` runs the notebook again in a sealed-off process (the
subject, ``recheck.py``). At each test cell the subject stops and the judge,
in nbgrader's own process, judges every exercise the cell checks: it picks
the inputs (fresh random ones each time), asks the subject to run the
learner's functions on them (``autograder.probes``), checks the plain data
that comes back against what a right answer gives, and checks threads from
outside, in ``/proc``. A test keeps its points only if it passed in the
learner's kernel and the judge confirms it.

An exercise without a judge here is re-checked inside the subject as
before: the README says which those are and what that trusts.
"""

from __future__ import annotations

from . import (call_with_timeout, cancel_on_timeout, channels_vs_locks,  # noqa: F401
               closable_queue, leaky_consumer, local_close, peer_close, run_with_waitgroup,
               socket_reader, stream_reader, waitgroup)
from .registry import JUDGES, exercises_checked, expect, judge
from .subject import Rejected, Subject, SubjectGone

__all__ = ["JUDGES", "Rejected", "Subject", "SubjectGone", "exercises_checked", "expect",
           "judge"]
