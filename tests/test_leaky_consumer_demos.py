"""Pins every runtime claim lesson 01 makes, running the same code it runs:
the notebook's own cells where the proof is in the cell."""

import queue
import threading
import time

import pytest

from autograder.lessons import leaky_consumer as demo
from autograder.threads import Baseline
from autograder.lessons.programs import run_python
from lesson_cells import run_cell

LESSON = "01_leaky_consumer"


def demo_cell(*tags: str, **names) -> dict:
    return run_cell(LESSON, *tags, queue=queue, threading=threading, time=time, demo=demo,
                    **names)


def test_program_a_leaks_a_thread_per_word_and_cannot_exit():
    pile_up = demo.measure_pile_up(words=60, every=10)
    assert pile_up.threads == [word + 1 for word in pile_up.words]  # main + one per word
    assert pile_up.rss_kib[-1] > pile_up.rss_kib[0]
    assert pile_up.virtual_kib[-1] > pile_up.virtual_kib[0]
    assert pile_up.exited_after_input_ended is False


def test_zero_sent_as_data_stops_the_seed_consumer():
    seen = demo_cell("demo-zero-as-data")
    assert seen["processed"] == [5]
    assert seen["left_in_queue"] == [7]
    assert seen["seed"].is_alive() is False


@pytest.fixture
def kernel_like_threads():
    """Seven idle threads, as a Jupyter kernel runs before any learner code."""
    done = threading.Event()
    idle = [threading.Thread(target=done.wait) for _ in range(7)]
    for thread in idle:
        thread.start()
    yield
    done.set()


def test_num_goroutine_minus_one_sends_a_surplus_that_kills_the_next_consumer(
        kernel_like_threads):
    seen = demo_cell("demo-surplus-zeros")
    assert seen["active"] - 1 > 2
    assert seen["surplus"] == seen["active"] - 1 - 2
    assert seen["next_consumer"].is_alive() is False


def test_demos_leave_no_thread_behind(kernel_like_threads):
    # Their threads end on their own, a moment after each cell: on a loaded
    # machine (make test-fast's six workers) later than the cell's last line.
    baseline = Baseline()
    for tag in ("demo-surplus-zeros", "demo-zero-as-data", "demo-daemon-counts"):
        assert demo_cell(tag)["ch"].empty()
    left, _ = baseline.wait_gone(2.0)
    assert left == []


def test_put_on_an_unbounded_queue_never_waits_for_a_receiver():
    seen = demo_cell("demo-put-never-waits")
    assert seen["unbounded"].qsize() == 3
    assert seen["second_put_blocked"] is True


def test_a_leaked_non_daemon_thread_keeps_python_from_exiting_and_a_daemon_loses_its_clean_up(
        capsys):
    demo_cell("demo-daemon-exit", run_python=run_python, live_demos_enabled=lambda: True)
    printed = capsys.readouterr().out
    assert "daemon=False: printed ['main is done'], hung at exit: True" in printed
    assert "daemon=True: printed ['main is done'], hung at exit: False" in printed


def test_a_daemon_thread_is_counted_like_any_other(capsys):
    seen = demo_cell("demo-daemon-counts")
    printed = capsys.readouterr().out
    before = seen["before"]
    assert f"before: {before} ; with a daemon consumer: {before + 1}" in printed, printed
    assert "listed by threading.enumerate(): True" in printed
    assert seen["daemon_consumer"].daemon and not seen["daemon_consumer"].is_alive()


def test_program_b_port_re_reads_its_bound_as_go_does():
    from autograder.lessons.programs import source_of
    port = source_of("program_b.py")
    assert "while i < threading.active_count() - 1:" in port
    assert "range(threading.active_count()" not in port
    assert "i < runtime.NumGoroutine()-1; i++" in source_of("program_b.go")


def test_a_re_read_bound_with_go_s_rendezvous_leaves_consumers_running():
    """Measured direction: with a send that waits for its receiver, each
    consumer that ends lowers the bound, and some consumers are left."""
    go_like = demo.reread_bound(consumers=10, rendezvous=True, runs=4)
    assert any(left > 0 for left in go_like.left_running), go_like
    for sent, left in zip(go_like.zeros_sent, go_like.left_running):
        assert sent + left == 10 and sent < 10


def test_with_the_port_s_unbounded_queue_the_loop_outruns_the_consumers():
    plain = demo.reread_bound(consumers=10, rendezvous=False, runs=3)
    assert plain.zeros_sent == [10] * 3 and plain.left_running == [0] * 3


def test_an_exception_raised_into_a_thread_ends_it_only_at_its_next_bytecode(capsys):
    before = threading.active_count()
    seen = demo_cell("demo-raise-in", "demo-raise-into-running", "demo-raise-into-blocked",
                     "demo-raise-into-lock-holder")
    printed = capsys.readouterr().out
    assert "running Python: ended: True" in printed
    assert "blocked in get(): ended within 0.3 s: False" in printed
    # The exception fires before get() takes the item: it stays in the queue.
    assert "ended once get() woke: True ; processed: [] ; left in the queue: 1" in printed
    assert "holding a lock: ended: True ; lock still held: True" in printed
    assert threading.active_count() == before
    assert seen["raise_in"].__code__.co_names.count("PyThreadState_SetAsyncExc") == 1


def test_the_course_itself_raises_into_threads():
    """The lessons' claim: the deadline runner uses this very C API."""
    import inspect

    from autograder.threads import deadline
    assert "PyThreadState_SetAsyncExc" in inspect.getsource(deadline.ask_to_stop)
