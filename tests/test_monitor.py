"""The live monitor's line: the thread count over the last minute."""

import re
import threading

from autograder.lessons.monitor import HISTORY_SECONDS, ThreadMonitor, sparkline_svg


def points(svg: str) -> list[tuple[float, float]]:
    found = re.search(r'points="([^"]*)"', svg).group(1).split()
    return [tuple(map(float, p.split(","))) for p in found]


def test_the_line_rises_and_falls_with_the_count_newest_at_the_right():
    svg = sparkline_svg([2, 12, 2], slots=300, width=480, height=64)
    (x0, y0), (x1, y1), (x2, y2) = points(svg)
    assert x0 < x1 < x2 == 480
    assert y1 < y0 == y2  # higher count, higher on the screen (smaller y)
    assert "max 12 threads" in svg


def test_an_empty_or_flat_history_still_draws():
    assert "<polyline" in sparkline_svg([], slots=300)
    assert len({y for _, y in points(sparkline_svg([0, 0, 0], slots=300))}) == 1


def test_the_monitor_keeps_one_minute_and_draws_threads_that_start():
    monitor = ThreadMonitor(refresh=0.2)
    monitor.stop()
    release = threading.Event()
    started = [threading.Thread(target=release.wait) for _ in range(5)]
    for thread in started:
        thread.start()
    monitor.update()
    release.set()
    for thread in started:
        thread.join()
    assert monitor.history.maxlen == HISTORY_SECONDS / 0.2
    assert monitor.history[-1] - monitor.history[0] >= 5
    assert "thread-history" in monitor.line.value


CENSUS_WHILE_THREADS_START = """
import sys, threading, time
from autograder.threads import census

failures, stop = [], threading.Event()

def count_again_and_again():
    while not stop.is_set():
        try:
            census.take()
        except Exception as error:
            failures.append(repr(error))
            return

counter = threading.Thread(target=count_again_and_again)
kept = []
interval = sys.getswitchinterval()
sys.setswitchinterval(1e-6)
try:
    counter.start()
    give_up = time.monotonic() + 3
    while len(kept) < 200 and time.monotonic() < give_up and not failures:
        kept.append(threading.Thread(target=int))
        kept[-1].start()
finally:
    stop.set()
    sys.setswitchinterval(interval)
    counter.join()
    for thread in kept:
        thread.join()
print(failures)
"""


def test_a_census_taken_while_threads_start_does_not_fail():
    """The monitor counts from its own thread while the learner's code starts
    threads; the census once iterated a set those starts grow ("Set changed
    size during iteration") and the monitor froze. Switching threads every
    microsecond made that happen within ten starts. It runs in a fresh
    interpreter: in a test worker, callbacks other tests leave on the garbage
    collector (hypothesis's) slowed one start to minutes at that interval."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CENSUS_WHILE_THREADS_START],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", done.stdout


def test_a_failed_count_does_not_stop_the_monitor(monkeypatch):
    from autograder.lessons import monitor as module

    calls = []

    def fails_once():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Set changed size during iteration")
        return {"python": 7, "os": 9}

    panel = ThreadMonitor(refresh=0.05)
    monkeypatch.setattr(module, "census_counts", fails_once)
    for _ in range(100):  # up to 5 s
        if len(calls) >= 3:
            break
        threading.Event().wait(0.05)
    panel.stop()
    assert panel.counts["Python threads"] == 7 and ">7</b>" in panel.numbers.value
    assert "this count failed" not in panel.names.value  # the next count replaced it
