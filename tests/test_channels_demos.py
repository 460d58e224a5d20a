"""Lesson 04's claims, pinned: what queue.Queue and friends are made of, and
that the benchmarks run and return sane structures. No timing is asserted:
only that every measurement exists, is finite and positive."""

import inspect
import math
import queue
import sys
import threading
import time

import matplotlib
import pytest

from answers import load
from answers.channels_vs_locks import PROVIDED
from autograder.known_good.waitgroup import WaitGroup as KnownGoodWaitGroup
from autograder.lessons import channels_vs_locks as lesson
from autograder.lessons import stopping_for_good as stopping
from lesson_cells import run_cell
from nbgrader_helpers import reference_answers

matplotlib.use("Agg")


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setenv("CI", "1")
    return lesson.default_sizes()


def blocks_of(obj) -> list[str]:
    return [line.block for line in lesson.building_blocks(obj)]


# --- reading the source -----------------------------------------------------------

def test_queue_is_a_lock_three_conditions_and_a_deque():
    assert sorted(blocks_of(queue.Queue)) == ["Condition"] * 3 + ["Lock", "deque"]
    lines = {line.text for line in lesson.building_blocks(queue.Queue)}
    assert "self.mutex = threading.Lock()" in lines
    assert "self.not_empty = threading.Condition(self.mutex)" in lines


def test_names_in_comments_and_strings_do_not_count():
    def only_words():
        """Lock() and Condition() in a docstring."""
        text = "deque()"  # Lock() in a comment
        return text
    assert lesson.building_blocks(only_words) == []


def test_the_three_conditions_share_the_queue_mutex_and_a_put_waits_for_it(capsys):
    run_cell("04_channels_vs_locks", "demo-one-mutex", queue=queue, threading=threading)
    assert capsys.readouterr().out.splitlines() == [
        "not_empty uses the queue's mutex: True",
        "not_full uses the queue's mutex: True",
        "all_tasks_done uses the queue's mutex: True",
        "put still waiting while we hold the mutex: True",
        "put finished once we let go: True | got: hello"]


def test_the_other_mechanisms_are_built_the_same_way():
    table = lesson.mechanisms_and_blocks()
    assert table["queue.Queue"] == "1 Lock, 3 Condition, 1 deque"
    assert table["queue.SimpleQueue"] == "written in C"
    assert table["threading.Event"] == "1 Lock, 1 Condition"
    assert table["WaitGroup"] == "1 Condition"
    # A Condition's own lock, and the fresh lock each wait() sleeps on.
    assert table["threading.Condition"] == "2 Lock"


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13 moved join's wait into C")
def test_join_waits_on_a_lock_before_3_13():
    assert lesson.join_waits_on().__name__ == "_wait_for_tstate_lock"
    assert "lock.acquire(block, timeout)" in inspect.getsource(lesson.join_waits_on())


# --- the course's WaitGroup ---------------------------------------------------------

def test_waitgroup_releases_every_waiter_at_zero_and_refuses_negative():
    wg = lesson.WaitGroup()
    wg.wait()  # zero already: returns at once
    wg.add(2)
    waiters = [threading.Thread(target=wg.wait) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    wg.done()
    time.sleep(0.05)
    assert all(waiter.is_alive() for waiter in waiters)  # the counter is 1
    wg.done()
    for waiter in waiters:
        waiter.join(5)
    assert not any(waiter.is_alive() for waiter in waiters)
    with pytest.raises(ValueError):
        wg.done()


def test_the_known_good_waitgroup_gives_up_after_its_timeout():
    wg = KnownGoodWaitGroup()
    assert wg.wait(timeout=0) is True  # zero already
    wg.add(1)
    assert wg.wait(timeout=0.01) is False
    waiter_saw = []
    waiter = threading.Thread(target=lambda: waiter_saw.append(wg.wait(timeout=5)))
    waiter.start()
    wg.done()
    waiter.join(5)
    assert waiter_saw == [True]


# --- benchmarks, in quick mode ------------------------------------------------------

@pytest.mark.parametrize("timed", [lesson, stopping], ids=["lesson 04", "lesson 05"])
def test_quick_mode_follows_nbgrader_and_ci(monkeypatch, timed):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert timed.default_sizes() == timed.FULL
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert timed.default_sizes() == timed.QUICK
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setenv("CI", "true")
    assert timed.default_sizes() == timed.QUICK


def assert_sane(measurements, labels, repeats):
    assert [m.label for m in measurements] == labels
    for m in measurements:
        assert len(m.seconds_per_op) == repeats
        assert all(math.isfinite(s) and s > 0 for s in m.seconds_per_op)
        assert m.low <= m.median <= m.high
    assert lesson.ratios(measurements)[labels[0]] == 1.0
    assert lesson.spread(measurements) >= 1.0


def test_uncontended_benchmark(quick):
    assert_sane(lesson.time_uncontended(quick), list(lesson.UNCONTENDED), quick.repeats)


def test_ping_pong_benchmark_leaves_no_thread(quick):
    before = threading.active_count()
    assert_sane(lesson.time_ping_pong(quick), list(lesson.PING_PONG), quick.repeats)
    assert threading.active_count() == before


@pytest.mark.parametrize("pair", sorted(lesson.PING_PONG))
def test_each_ping_pong_really_alternates(pair):
    """The partner answers each ping exactly once: no round trip is skipped."""
    ping, answer = lesson.PING_PONG[pair]()
    answered = []

    def partner():
        for _ in range(50):
            answer()
            answered.append(len(answered))
    thread = threading.Thread(target=partner)
    thread.start()
    for round_trip in range(50):
        ping()
        assert len(answered) == round_trip + 1
    thread.join(5)
    assert not thread.is_alive()


@pytest.mark.parametrize("interval", [None, 0.001])
def test_wake_up_benchmark_restores_the_switch_interval(quick, interval):
    usual = sys.getswitchinterval()
    measured = lesson.time_wake_ups(quick, switch_interval=interval)
    assert_sane(measured, ["signaller then waits", "signaller keeps running Python"],
                quick.repeats)
    assert sys.getswitchinterval() == usual


def test_done_signal_benchmark_times_the_reference_answers(quick):
    answers = load(PROVIDED, reference_answers("04_channels_vs_locks")["signal_done"])
    mechanisms = {"join": answers["signal_done_join"], "queue": answers["signal_done_queue"],
                  "WaitGroup": answers["signal_done_waitgroup"],
                  "ThreadPoolExecutor": lesson.done_via_executor}
    assert_sane(lesson.time_done_signals(mechanisms, quick), list(mechanisms), quick.repeats)


def test_executor_reports_every_task_once():
    assert sorted(lesson.done_via_executor(20)) == list(range(20))


def test_ratio_lines_name_the_baseline():
    measurements = [lesson.Measurement("Lock", [1.0, 2.0, 3.0]),
                    lesson.Measurement("Queue", [20.0, 20.0, 40.0])]
    assert lesson.ratios(measurements) == {"Lock": 1.0, "Queue": 10.0}
    assert lesson.ratio_lines(measurements)[1].split() == ["Queue:", "10.0", "×", "Lock"]


def test_chart_is_log_scale_with_a_dot_per_repeat():
    groups = {"a": [lesson.Measurement("Lock", [1e-7, 2e-7, 3e-7]),
                    lesson.Measurement("Queue", [1e-6, 2e-6, 4e-6])],
              "b": [lesson.Measurement("join", [1e-4, 1e-4])]}
    figure = lesson.plot_groups(groups)
    try:
        axes = figure.axes
        assert len(axes) == 2
        assert all(ax.get_xscale() == "log" for ax in axes)
        assert [t.get_text() for t in axes[0].get_yticklabels()] == ["Lock", "Queue"]
        dots = [line for line in axes[0].lines if line.get_marker() == "o"]
        assert sorted(len(line.get_xdata()) for line in dots) == [3, 3]
        assert {t.get_text() for t in axes[0].texts} == {"×1.0", "×10.0"}
    finally:
        import matplotlib.pyplot as plt
        plt.close(figure)


def test_panel_is_skipped_under_nbgrader(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert lesson.benchmark_panel({}) is None
    assert "only appear when you run the notebook yourself" in capsys.readouterr().out


def test_panel_has_size_controls_and_runs(monkeypatch):
    import ipywidgets as widgets

    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    ran = []
    monkeypatch.setattr(lesson.reporting, "run_benchmarks",  # where the panel looks it up
                        lambda sizes, mechanisms: ran.append(sizes) or {
                            "g": [lesson.Measurement("x", [1e-6, 2e-6])]})
    panel = lesson.benchmark_panel({"pool": lesson.done_via_executor})
    sliders = {w.description: w for w in panel.children
               if isinstance(w, (widgets.SelectionSlider, widgets.IntSlider))}
    assert set(sliders) == {"operations", "workers", "repeats"}
    sliders["workers"].value = 4
    button = next(w for w in panel.children if isinstance(w, widgets.Button))
    button.click()
    assert ran and ran[0].threads == 4 and ran[0].operations == sliders["operations"].value
    assert not button.disabled


def test_gil_is_on_unless_this_python_says_otherwise():
    expected = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else True
    assert lesson.gil_enabled() is expected


def test_simple_queue_is_cheaper_than_queue_and_than_a_lock(quick):
    """Measured several times before pinning: Queue about 15x a Lock pair,
    SimpleQueue about 0.5x (no lock on its uncontended path)."""
    ratios = lesson.ratios(lesson.time_uncontended(quick))
    assert ratios["SimpleQueue"] < ratios["Queue"]
    assert ratios["Queue"] > 3
    assert ratios["SimpleQueue"] < 1.0


def test_pool_signal_benchmark_keeps_its_workers_up_and_cleans_up(quick):
    before = threading.active_count()
    assert_sane(lesson.time_pool_signals(quick), list(lesson.POOL_SIGNALS), quick.repeats)
    assert threading.active_count() == before


def test_the_notebook_does_not_run_queue_shutdown_on_3_11(root):
    text = (root / "text" / "04_channels_vs_locks" / "04_channels_vs_locks.md").read_text()
    assert "queue_shutdown_demo" not in text and "Python 3.11" in text
