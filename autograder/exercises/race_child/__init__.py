"""The child's side of the race test (see ``race_probe``): run as
``python -P race_child`` (this folder), it rebuilds the learner's class from
the request on stdin, hammers it, and answers with one line of JSON on stdout.

For the judge (a request with a seed), the child's own verdict is not
enough: learner code runs in the child and could print any report. So each
trial ends *held*: every thread's done() but the last has returned, two
threads wait in ``wg.wait()``, and the child says which and stops until told
to go on; it stops again once the last done() has returned. The judge sees
those waiters in ``/proc`` from outside, there while one done() is still to
come and gone after it, while the child still runs: a WaitGroup that lost an
add(1) releases them too soon, one that lost a done() never.

The child imports nothing outside the standard library and this folder, and
nothing of the grader: run with ``-P``, its modules are found as top-level
ones (``__main__``: the request and the report; ``hammering``: the trials;
``stepping``: one call stopped at each bytecode; ``step_tracing``: the trace
functions that make races show; ``trial_report``: where and why a call
failed). The grader imports only ``agreed``, what both sides draw alike.
"""
