"""The book's Go programs, run as the lessons run them: what the lessons say
about Go's behaviour is what Go does. Without a toolchain, the recorded
output stands in, labelled as recorded."""

import statistics

import pytest

from autograder.lessons import go
from autograder.lessons.go import run_go
from autograder.lessons.socket_reader import HoldingServer

needs_go = pytest.mark.skipif(go.toolchain() is None, reason="no Go toolchain on the PATH")
# Go's scheduling and costs, measured live: make test runs these on a machine
# otherwise idle (beside two xdist workers, program B's count went wrong).
pytestmark = pytest.mark.alone


@needs_go
def test_program_a_starts_goroutines_without_limit_once_its_input_ends():
    run = run_go("program_a.go", ["alpha", "beta", "gamma"], seconds=0.25)
    assert run.first_lines[:3] == ["2", "3", "4"]  # main and one consumer per word
    assert run.killed, "Go's loop never ends: the program had to be killed"
    assert run.lines > 1000 and int(run.last_line) > 1000


@needs_go
def test_program_b_stops_consumers_by_a_count_that_falls_while_it_counts():
    words = [f"word{i}" for i in range(30)] + ["exit", "one-more"]
    left = [int(run_go("program_b.go", words, pause=0.01, close_input=False,
                       seconds=0.2).last_line) - 2 for _ in range(5)]
    assert all(0 <= count <= 30 for count in left), left
    assert statistics.median(left) == 0, f"most runs stop every consumer: {left}"


@needs_go
def test_program_c_close_wakes_the_goroutine_in_read():
    server = HoldingServer()
    try:
        run = run_go("socket_reader_program_c.go", address=server.address, seconds=3.0)
        assert run.first_lines == ["exit"] and run.returncode == 0
        assert 0.9 < run.seconds < 2.5
        assert server.next_connection(timeout=3).wait_end(timeout=3) == "end-of-stream"
    finally:
        server.close()


@needs_go
def test_program_d_exits_after_a_second_without_waiting():
    server = HoldingServer()
    try:
        run = run_go("waitgroup_program_d.go", address=server.address, seconds=3.0)
        assert run.lines == 0 and run.returncode == 0 and 0.9 < run.seconds < 2.5
        assert server.next_connection(timeout=3).wait_end(timeout=3) != "nothing"
    finally:
        server.close()


@needs_go
@pytest.mark.slow  # builds and times Go programs for about 8 s
def test_in_go_a_channel_costs_several_mutex_pairs_and_a_waitgroup_about_two():
    run = run_go("channel_costs.go", seconds=120)
    ns = {name: float(value) for name, value in (line.split("\t") for line in run.first_lines)}
    mutex = ns["sync.Mutex Lock+Unlock"]
    assert ns["buffered chan send+receive"] > 2 * mutex, ns
    assert ns["atomic.Int64 Add"] < ns["WaitGroup Add(1)+Done"] < ns["buffered chan send+receive"]
    # "about two Mutex pairs in all"
    assert 1.0 < ns["WaitGroup Add(1)+Done"] / mutex < 4.0, ns
    assert ns["unbuffered chan hand-off"] > ns["buffered chan send+receive"], ns


def test_without_go_a_run_shows_its_recording_and_says_so(monkeypatch):
    monkeypatch.setattr(go, "toolchain", lambda: None)
    run = run_go("program_a.go", ["alpha", "beta", "gamma"], seconds=0.25)
    assert run.ran_with.endswith("(recorded)") and run.ran_with.startswith("go1.")
    assert run.first_lines[:3] == ["2", "3", "4"]


def test_a_run_nobody_recorded_says_what_to_do(monkeypatch):
    monkeypatch.setattr(go, "toolchain", lambda: None)
    with pytest.raises(FileNotFoundError, match="make go-recordings"):
        run_go("program_a.go", ["a different input"], seconds=0.25)


def test_grading_never_runs_go(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(go, "build", lambda *args: pytest.fail("grading built a Go program"))
    assert run_go("program_a.go", ["alpha", "beta", "gamma"], seconds=0.25).ran_with.endswith(
        "(recorded)")


@pytest.mark.parametrize("lesson, tag", [("02_socket_reader", "go-program-c"),
                                         ("03_waitgroup", "go-program-d")])
def test_a_cell_that_shows_a_recording_asks_no_server_what_it_saw(monkeypatch, capsys,
                                                                    lesson, tag):
    """As nbgrader runs the notebook (and where no toolchain is): recorded output,
    and no wait for a connection that a recording never makes."""
    from autograder.lessons import socket_reader
    from lesson_cells import run_cell

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    run_cell(lesson, tag, run_go=run_go, demo=socket_reader, HoldingServer=HoldingServer)
    printed = capsys.readouterr().out
    assert "(recorded)" in printed and "the server saw" not in printed


def test_the_recorded_runs_of_program_b_show_the_leak_the_lesson_describes():
    """Lesson 01: "left one consumer running in two runs of ten"."""
    import json

    recording = json.loads(next((go.RECORDED).glob("program_b-*.json")).read_text())
    left = [int(run["last_line"]) - 2 for run in recording["runs"]]
    assert len(left) == 10 and left.count(1) == 2 and left.count(0) == 8
