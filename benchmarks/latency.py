"""How soon a leak check answers: a pass from the last thread's end, side by
side with Go goleak's way of polling, and a failure at the deadline."""

from __future__ import annotations

import statistics
import threading
import time

from autograder.exercises.leaky_consumer import EXIT_DEADLINE
from autograder.threads import Baseline, LeakError

from .measure import ratio, summary
from .sizes import GOLEAK_FIRST_SLEEP, GOLEAK_MAX_SLEEP, Sizes


def goleak_style_wait(baseline: Baseline, deadline: float) -> None:
    """Go goleak's strategy on the same census: sleep, retry with backoff."""
    end = time.monotonic() + deadline
    attempt = 0
    while True:
        fresh, _ = baseline.new_threads()
        if not fresh:
            return
        if time.monotonic() >= end:
            raise LeakError("leaked", fresh, [])
        time.sleep(min(GOLEAK_FIRST_SLEEP * (1 << min(attempt, 30)), GOLEAK_MAX_SLEEP))
        attempt += 1


def course_wait(baseline: Baseline, deadline: float) -> None:
    baseline.expect_gone(deadline)


def one_pass(wait, threads: int, last_delay: float) -> float:
    """Seconds from the last thread's return to a passing verdict."""
    go = threading.Event()
    ends = [0.0] * threads

    def work(index: int, delay: float) -> None:
        go.wait()
        if delay:
            time.sleep(delay)
        ends[index] = time.perf_counter()

    baseline = Baseline()
    workers = [threading.Thread(target=work, args=(i, last_delay * (i + 1) / threads),
                                name=f"bench-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    go.set()
    wait(baseline, EXIT_DEADLINE)
    verdict = time.perf_counter()
    for worker in workers:
        worker.join()
    return verdict - max(ends)


def bench_leak_latency(sizes: Sizes) -> dict:
    # The threads end 0-20 ms after the wait starts (as a learner's threads
    # do when they were just told to stop); each pair shares the delay.
    delays = [0.02 * ((7 * i) % 20) / 19 for i in range(sizes.latency_repeats)]
    ours, goleak = [], []
    for i, delay in enumerate(delays):
        pair = [(course_wait, ours), (goleak_style_wait, goleak)]
        for wait, into in (pair if i % 2 == 0 else pair[::-1]):
            into.append(one_pass(wait, sizes.latency_threads, delay) * 1000)

    failures = []
    for _ in range(sizes.fail_repeats):
        release = threading.Event()
        baseline = Baseline()
        leaked = threading.Thread(target=release.wait, name="bench-leaked")
        leaked.start()
        started = time.perf_counter()
        try:
            baseline.expect_gone(EXIT_DEADLINE)
        except LeakError:
            failures.append(time.perf_counter() - started)
        else:
            raise RuntimeError("expect_gone passed with a leaked thread")
        finally:
            release.set()
            leaked.join()
    return {
        "leak_pass_latency_ms": round(statistics.median(ours), 3),
        "leak_pass_latency_goleak_style_ms": round(statistics.median(goleak), 3),
        "leak_pass": {
            "how": f"{sizes.latency_threads} threads end 0-20 ms after the wait starts; "
                   "latency = verdict time - the last thread's time just before it returns; "
                   "course (Baseline.expect_gone: joins, backoff from 1 ms) and goleak-style "
                   "(sleep 1 us << n, at most 100 ms) alternated on the same census",
            "course_ms": summary(ours, 3), "goleak_style_ms": summary(goleak, 3),
            "ratio_goleak_to_course": ratio(statistics.median(goleak), statistics.median(ours)),
        },
        "leak_fail_latency_s": round(statistics.median(failures), 3),
        "leak_fail": {"deadline_s": EXIT_DEADLINE,
                      "deadline_from": "autograder.exercises.leaky_consumer.EXIT_DEADLINE",
                      "seconds": summary(failures, 3),
                      "over_deadline_ms": round((statistics.median(failures) - EXIT_DEADLINE)
                                                * 1000, 1)},
    }

