"""Right answers that the checks grade other answers with.

A check grades one answer at a time: ``run_session`` with a known-good
consumer, ``stop_consumers`` with a known-good ``robust_consumer``,
``run_with_waitgroup`` with a known-good WaitGroup. So a mistake in one
exercise costs only that exercise's test. These pieces are right answers to
other exercises, so the student edition leaves this folder out, as it leaves
out ``grading`` and ``probes``. In the edition a check uses the learner's own
piece instead, and its message says so when the check fails
(``exercises/beside.py``).
"""
