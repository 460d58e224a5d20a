"""The grading core on both sides: quick passes, leaks named, never fooled, never hung."""

import queue
import threading
import time

import pytest

from autograder.threads import Baseline, DeadlineExceeded, LeakError, call_with_deadline
from autograder.threads import census


def waits_forever(ch):
    item = ch.get()  # the line a report must point at
    return item


@pytest.fixture
def release():
    """Queues handed to leaked threads; fed at teardown so nothing outlives a test."""
    queues = []
    yield queues
    for ch in queues:
        ch.put(None)


def start_waiter(release, daemon=False, name=None):
    ch = queue.Queue()
    release.append(ch)
    thread = threading.Thread(target=waits_forever, args=(ch,), daemon=daemon, name=name)
    thread.start()
    return thread


def test_threads_that_end_pass_within_milliseconds_of_ending():
    baseline = Baseline()
    ch = queue.Queue()
    workers = [threading.Thread(target=waits_forever, args=(ch,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ch.put(0)
    began = time.perf_counter()
    baseline.expect_gone(deadline=5.0)
    # Far below the deadline: the wait wakes when the threads end.
    assert time.perf_counter() - began < 1.0


def test_a_leak_fails_at_the_deadline_naming_thread_target_line_and_origin(release):
    baseline = Baseline()
    start_waiter(release, name="leaky-one")
    began = time.perf_counter()
    with pytest.raises(LeakError) as failure:
        baseline.expect_gone(deadline=0.3, what="the test")
    assert time.perf_counter() - began >= 0.3
    message = str(failure.value)
    assert 'thread "leaky-one", target waits_forever()' in message
    assert "test_thread_core.py, line 14 in waits_forever(): item = ch.get()" in message
    assert "started at test_thread_core.py" in message and "thread.start()" in message
    assert [t.name for t in failure.value.leaked] == ["leaky-one"]


def test_threads_from_before_the_baseline_are_not_counted(release):
    earlier = start_waiter(release, name="from an earlier cell")
    baseline = Baseline()
    baseline.expect_gone(deadline=0.1)
    assert earlier.name in [t.name for t in baseline.earlier_threads()]


def test_a_daemon_leak_is_still_a_leak(release):
    baseline = Baseline()
    start_waiter(release, daemon=True, name="daemon-leak")
    with pytest.raises(LeakError, match="daemon: Python will kill it at exit"):
        baseline.expect_gone(deadline=0.1)


def test_faked_counters_and_a_cleared_registry_hide_nothing(release, monkeypatch):
    baseline = Baseline()
    hidden = start_waiter(release, name="hidden")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(threading, "enumerate", lambda: [threading.main_thread()])
    monkeypatch.delitem(threading._active, hidden.ident)
    with pytest.raises(LeakError) as failure:
        baseline.expect_gone(deadline=0.1)
    message = str(failure.value)
    assert '"hidden"' in message
    assert "threading.active_count was replaced" in message
    assert "threading.enumerate was replaced" in message
    assert 'thread "hidden" was removed from threading._active' in message


def test_a_thread_object_known_only_to_the_heap_is_found(release, monkeypatch):
    """Registry cleared and the start hook bypassed: the heap scan finds it."""
    baseline = Baseline()
    ch = queue.Queue()
    release.append(ch)
    thread = threading.Thread(target=waits_forever, args=(ch,), name="off the books")
    threading.Thread.start.__wrapped__(thread)  # the original start, no hook
    monkeypatch.delitem(threading._active, thread.ident)
    with pytest.raises(LeakError, match='"off the books"'):
        baseline.expect_gone(deadline=0.1)


def test_tampering_before_the_baseline_does_not_fail_later_checks(monkeypatch):
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    Baseline().expect_gone(deadline=0.1)


def test_without_proc_the_registry_is_used_and_the_report_says_so(release, monkeypatch):
    monkeypatch.setattr(census, "os_thread_ids", lambda: None)
    baseline = Baseline()
    start_waiter(release, name="seen without proc")
    with pytest.raises(LeakError) as failure:
        baseline.expect_gone(deadline=0.1)
    assert '"seen without proc"' in str(failure.value)
    assert "No /proc here" in str(failure.value)


def test_a_call_that_hangs_fails_with_the_line_it_is_stuck_on():
    ch = queue.Queue()
    began = time.perf_counter()
    with pytest.raises(DeadlineExceeded) as failure:
        call_with_deadline(waits_forever, ch, timeout=0.2, what="waits_forever(ch)")
    assert time.perf_counter() - began < 1.0
    assert "waits_forever(ch) did not return within 0.2 s" in str(failure.value)
    assert "item = ch.get()" in str(failure.value)
    ch.put(None)


def test_a_traced_thread_still_runs_after_a_call_blocked_in_c_overran():
    """The stop request a call blocked in C never takes is withdrawn; on CPython
    3.11 that used to leave every traced thread (a debugger, lesson 05's
    stepping check) looping for ever before its first line."""
    import sys  # here, not at the top: the reports above quote this file's line numbers

    ch = queue.Queue()
    with pytest.raises(DeadlineExceeded):
        call_with_deadline(waits_forever, ch, timeout=0.1, what="waits_forever(ch)")
    done = []

    def every_line(frame, event, arg):
        return every_line

    def three():
        one = 1
        return one + 2

    def traced():
        sys.settrace(every_line)
        try:
            done.append(three())  # a call: its lines are traced
        finally:
            sys.settrace(None)

    thread = threading.Thread(target=traced, daemon=True)
    thread.start()
    thread.join(2.0)
    ch.put(None)
    assert done == [3], "a traced thread hung after a deadline's withdrawn stop request"


def test_a_busy_loop_is_asked_to_stop_after_its_deadline():
    spins = []

    def spin():
        while True:
            spins.append(1)
            del spins[:]

    with pytest.raises(DeadlineExceeded):
        call_with_deadline(spin, timeout=0.1)
    # A loop runs bytecode, so the stop request ends it within the grace period.
    assert "autograder call spin()" not in [t.name for t in threading.enumerate()]


def test_a_call_returns_its_value_and_raises_its_errors():
    assert call_with_deadline(lambda a, b: a + b, 2, 3, timeout=1) == 5
    with pytest.raises(ZeroDivisionError):
        call_with_deadline(lambda: 1 / 0, timeout=1)


def test_threads_started_inside_a_call_get_the_callers_daemon_flag():
    flags = []

    def start_one():
        t = threading.Thread(target=lambda: None)
        flags.append(t.daemon)

    call_with_deadline(start_one, timeout=1)
    assert flags == [False]


def test_cpu_time_of_a_thread_is_read_from_proc():
    me = threading.get_native_id()
    before = census.os_thread_cpu_seconds(me)
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass
    assert census.os_thread_cpu_seconds(me) > before
    assert census.os_thread_cpu_seconds(2**22 + 12345) is None


def test_a_thread_id_the_os_reuses_is_the_running_threads(release):
    """Linux hands a finished thread's id to a new thread (here after 32768);
    a report must name the thread running now, not the finished one."""
    finished = threading.Thread(target=lambda: None, name="finished-long-ago")
    finished.start()
    finished.join()
    baseline = Baseline()
    running = start_waiter(release, name="running-now")
    finished._native_id = running.native_id  # as if the OS had reused its id
    fresh, _ = baseline.new_threads()
    assert [live.thread.name for live in fresh] == ["running-now"]
