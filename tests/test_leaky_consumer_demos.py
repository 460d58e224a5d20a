"""Pins every runtime claim lesson 01 makes, using the same functions it runs."""

import threading

import pytest

from autograder.lessons import leaky_consumer as demo


def test_program_a_leaks_a_thread_per_word_and_cannot_exit():
    pile_up = demo.measure_pile_up(words=60, every=10)
    assert pile_up.threads == [word + 1 for word in pile_up.words]  # main + one per word
    assert pile_up.rss_kib[-1] > pile_up.rss_kib[0]
    assert pile_up.virtual_kib[-1] > pile_up.virtual_kib[0]
    assert pile_up.exited_after_input_ended is False


def test_zero_sent_as_data_stops_the_seed_consumer():
    seen = demo.zero_as_data((5, 0, 7))
    assert seen["processed"] == [5]
    assert seen["left in queue"] == [7]
    assert seen["consumer alive"] is False


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
    seen = demo.num_goroutine_minus_one(consumers=2)
    assert seen["zeros sent"] == seen["active_count"] - 1 > 2
    assert seen["zeros left over"] == seen["zeros sent"] - 2
    assert seen["next consumer still running"] is False


def test_demos_leave_no_thread_behind(kernel_like_threads):
    before = threading.active_count()
    demo.num_goroutine_minus_one()
    demo.zero_as_data()
    demo.daemon_still_counts()
    assert threading.active_count() == before


def test_put_on_an_unbounded_queue_never_waits_for_a_receiver():
    seen = demo.unbuffered_vs_queue()
    assert seen["queue size after"] == 3
    assert seen["maxsize=1: second put blocked"] is True


def test_a_leaked_non_daemon_thread_keeps_python_from_exiting():
    finished = demo.exit_with_leaked_thread(daemon=False, timeout=2.0)
    assert finished.hung and "main is done" in finished.stdout


def test_a_leaked_daemon_thread_is_killed_without_its_clean_up():
    finished = demo.exit_with_leaked_thread(daemon=True, timeout=5.0)
    assert not finished.hung and finished.returncode == 0
    assert "consumer cleaned up" not in finished.stdout


def test_a_daemon_thread_is_counted_like_any_other():
    seen = demo.daemon_still_counts()
    assert seen["with a daemon consumer"] == seen["active_count before"] + 1
    assert seen["listed by threading.enumerate()"] and seen["stopped by a 0"]
