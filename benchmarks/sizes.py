"""What a benchmark run measures, full or quick (``--quick``)."""

from __future__ import annotations

GRADED_LESSONS = ["01_leaky_consumer", "02_socket_reader", "03_waitgroup",
                  "04_channels_vs_locks", "05_stopping_for_good", "06_asyncio_tasks"]
WORST_LESSON = "01_leaky_consumer"
REFERENCE_STUDENT = "ada_lovelace"  # the demo class's student with the reference answers

# Go goleak's retry: sleep 1 us << attempt, at most 100 ms (goleak's maxSleep).
GOLEAK_FIRST_SLEEP = 1e-6
GOLEAK_MAX_SLEEP = 0.1


class Sizes:
    def __init__(self, quick: bool):
        self.quick = quick
        self.overhead_lessons = ["04_channels_vs_locks"] if quick else GRADED_LESSONS
        self.overhead_repeats = 1 if quick else 3
        self.worst_repeats = 1 if quick else 3
        self.latency_repeats = 30 if quick else 400
        self.latency_threads = 2 if quick else 4
        self.fail_repeats = 1 if quick else 5
        self.batch_lessons = ["04_channels_vs_locks"] if quick else None  # None: all
        self.batch_students = [REFERENCE_STUDENT] if quick else None
        # The issue's worst case is lesson 01; quick mode uses lesson 04's leak
        # (a quarter of the time) and only checks lesson 01's answers exist.
        self.worst_lesson = "04_channels_vs_locks" if quick else WORST_LESSON
        self.workers = 2
        # Dask: lessons 03 and 04 of the demo class, leaving out the student whose
        # wait never ends (one long job would measure the straggler, not the workers).
        self.dask_lessons = ["04_channels_vs_locks"] if quick else ["03_waitgroup",
                                                                   "04_channels_vs_locks"]
        self.dask_students = ([REFERENCE_STUDENT] if quick else
                              [REFERENCE_STUDENT, "ben_partial", "chen_leaky", "eli_tampers",
                               "fay_crashes", "hal_untouched"])
        self.dask_repeats = 1 if quick else 2
        # Quick mode (make test) leaves the browser out: make test runs the
        # browser tests on their own, with the machine to themselves.
        self.learner_lessons = [] if quick else ["00_start_here", *GRADED_LESSONS]

