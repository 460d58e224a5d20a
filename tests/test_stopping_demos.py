"""Lesson 05's claims, pinned: what its Go programs print (run live where Go
is installed, and from their recordings as grading shows them), what a
timed-out future leaves behind, and that the demos that use the learner's
answers work with the reference answers, say "write ... first" without them,
and leave no thread behind. No wall-clock limit is asserted: only structure,
order and counts."""

import concurrent.futures
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import nbformat
import pytest
from IPython.display import Code

from answers import load
from autograder.lessons import go
from autograder.lessons import stopping_for_good as lesson
from autograder.lessons.go import run_go
from autograder.lessons.programs import source_of
from autograder.threads import Baseline
from lesson_cells import ROOT, run_cell
from nbgrader_helpers import reference_answers

LESSON = "05_stopping_for_good"
needs_go = pytest.mark.skipif(go.toolchain() is None, reason="no Go toolchain on the PATH")
SETUP = dict(concurrent=concurrent, queue=queue, socket=socket, sys=sys, threading=threading,
             time=time, Code=Code, stopping=lesson, run_go=run_go, source_of=source_of)


def answers(source: str = "reference") -> dict:
    """The two answer cells, solved (the text's reference) or as the learner
    first gets them (the released notebook: NotImplementedError)."""
    if source == "reference":
        cells = reference_answers(LESSON)
    else:
        notebook = nbformat.read(ROOT / "notebooks" / LESSON / f"{LESSON}.ipynb", as_version=4)
        cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    namespace = load(cells["closable_queue"], cells["call_with_timeout"])
    return {name: namespace[name] for name in ("Closed", "ClosableQueue", "call_with_timeout")}


def cell(*tags: str, learner: str = "reference") -> dict:
    """Run the notebook's cells tagged ``tags``, as after the setup cell and the answers."""
    return run_cell(LESSON, *tags, **SETUP, **answers(learner))


@pytest.fixture(params=["live", "recorded"])
def go_mode(request, monkeypatch):
    """Each Go cell twice: running Go here, and as grading shows it (recorded)."""
    if request.param == "live":
        if go.toolchain() is None:
            pytest.skip("no Go toolchain on the PATH")
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    else:
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    return request.param


def printed_by(tag: str, capsys) -> list[str]:
    cell(tag)
    return capsys.readouterr().out.splitlines()


# --- 1, 2 · the blocked sender, and a buffer of one -------------------------------------

def goroutine_counts(lines: list[str]) -> list[int]:
    return [int(line.rsplit(" ", 1)[1]) for line in lines if "goroutines" in line]


def test_each_timed_out_call_leaves_a_goroutine_that_no_gc_reclaims(go_mode, capsys):
    lines = printed_by("go-blocked-sender", capsys)
    assert lines[0].startswith("ran with: go1.")
    assert lines[0].endswith("(recorded)") == (go_mode == "recorded")
    assert [line.split(",")[0] for line in lines[2:7]] == [
        f"call {n}: timed out" for n in range(1, 6)]
    assert goroutine_counts(lines[1:]) == [1, 2, 3, 4, 5, 6, 6]
    assert lines[-1].startswith("a second later, after a GC")


def test_with_a_buffer_of_one_the_count_returns_to_main_alone(go_mode, capsys):
    lines = printed_by("go-blocked-sender-buffered", capsys)
    assert goroutine_counts(lines[1:]) == [1, 2, 3, 4, 5, 6, 1]


def test_the_fix_is_one_line_of_the_source(capsys):
    cell("go-buffered-diff")
    changed = [line for line in capsys.readouterr().out.splitlines()
               if line[:1] in ("+", "-") and not line.startswith(("---", "+++"))]
    assert changed == ["-\tch := make(chan result)", "+\tch := make(chan result, 1)"]


def test_the_search_is_slower_than_the_caller_waits_and_the_run_outlasts_it():
    source = source_of("blocked_sender.go")
    assert "time.Sleep(300 * time.Millisecond)" in source
    assert "searchWithTimeout(10 * time.Millisecond)" in source
    assert "time.Sleep(time.Second)" in source and "runtime.GC()" in source


# --- 3 · a future nobody waits for -----------------------------------------------------------

def test_a_timed_out_future_leaves_its_thread_running_until_the_work_ends(capsys):
    baseline = Baseline()
    cell("demo-future-timeout")
    assert capsys.readouterr().out.splitlines() == [
        "result(timeout=0.05) raised TimeoutError",
        "concurrent.futures.TimeoutError is TimeoutError: True",
        "still running: ['search_0'] | daemon: [False]",
        "future.cancel() succeeded: False",
        "after shutdown(wait=True): search threads alive: False | the result nobody used: 42"]
    baseline.expect_gone(0.5, what="the future demo")


# --- 4 · close and range ---------------------------------------------------------------------

def test_one_close_stops_every_consumer_and_a_closed_channel_keeps_its_rules(go_mode, capsys):
    lines = printed_by("go-close-range", capsys)[1:]
    consumers = [re.fullmatch(r"consumer (\d): channel closed, returning after (\d+) items",
                              line) for line in lines[:4]]
    assert all(consumers), lines
    assert sorted(int(m[1]) for m in consumers) == [1, 2, 3, 4]
    assert sum(int(m[2]) for m in consumers) == 20  # every item once
    assert lines[4:] == ["every consumer has returned",
                         "receive from the closed channel: v=0 ok=false",
                         "send on the closed channel: send on closed channel",
                         "close of the closed channel: close of closed channel"]


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13 has Queue.shutdown()")
def test_on_3_11_the_notebook_says_queue_has_no_shutdown(capsys):
    cell("demo-queue-shutdown")
    assert capsys.readouterr().out == (f"Python {sys.version.split()[0]}: queue.Queue has no "
                                       "shutdown() (it came in Python 3.13)\n")
    assert not hasattr(queue.Queue, "shutdown")


@pytest.mark.skipif(sys.version_info < (3, 13), reason="Queue.shutdown() is 3.13's")
def test_on_3_13_shutdown_wakes_every_getter_and_refuses_puts(capsys):
    baseline = Baseline()
    cell("demo-queue-shutdown")
    assert capsys.readouterr().out.splitlines() == [
        "woken with queue.ShutDown: ['getter 0', 'getter 1', 'getter 2']",
        "put() after shutdown(): queue.ShutDown"]
    baseline.expect_gone(0.5)


# --- program B on the learner's queue ------------------------------------------------------

def test_program_b_on_a_closable_queue_needs_no_count(capsys):
    baseline = Baseline()
    seen = cell("demo-program-b-closed")
    assert capsys.readouterr().out.splitlines() == [
        "received: ['0', 'alpha', 'beta', 'gamma']",
        "consumers still running after exit: []"]
    code = "\n".join(line.split("#")[0] for line in
                     run_cell_source("demo-program-b-closed").splitlines())
    assert "active_count" not in code and "range(" not in code  # nothing is counted
    assert seen["still_running"] == []
    baseline.expect_gone(0.5, what="program B on a closable queue")


def test_program_b_demo_asks_for_the_class_first(capsys):
    baseline = Baseline()
    cell("demo-program-b-closed", learner="student")
    assert capsys.readouterr().out == "write ClosableQueue first\n"
    baseline.expect_gone(0.5)


def run_cell_source(tag: str) -> str:
    import jupytext

    notebook = jupytext.read(ROOT / "text" / LESSON / f"{LESSON}.md", fmt="md:myst")
    return next(c.source for c in notebook.cells if tag in c.metadata.get("tags", []))


# --- 5 · context ----------------------------------------------------------------------------

def test_one_context_timeout_stops_every_worker_that_checks_it(go_mode, capsys):
    lines = printed_by("go-context", capsys)[1:]
    workers = [re.fullmatch(r"worker (\d): context deadline exceeded, "
                            r"returning after \d+ units of work", line) for line in lines[:3]]
    assert all(workers), lines
    assert sorted(int(m[1]) for m in workers) == [1, 2, 3]
    assert re.fullmatch(r"every worker returned \d+ ms after the start", lines[3])
    assert int(lines[3].split()[3]) >= 100  # not before the timeout
    assert lines[4:] == ["ctx.Done() still open: false"]


@needs_go
def test_go_vet_wants_the_cancel_of_with_timeout(tmp_path):
    def vet(source: str) -> subprocess.CompletedProcess:
        (tmp_path / "main.go").write_text(source)
        return subprocess.run([go.toolchain(), "vet", "main.go"], cwd=tmp_path,
                              capture_output=True, text=True, env=go._go_env(), timeout=300)

    source = source_of("context_timeout.go")
    assert vet(source).returncode == 0
    discarded = re.sub(r"\n\tdefer cancel\(\)[^\n]*", "", source).replace(
        "ctx, cancel :=", "ctx, _ :=")
    complaint = vet(discarded)
    assert complaint.returncode != 0
    assert "cancel function returned by context.WithTimeout should be called" in complaint.stderr


# --- exercise 2's demo ----------------------------------------------------------------------

def test_call_with_timeout_demo_leaves_no_thread(capsys):
    baseline = Baseline()
    cell("demo-call-with-timeout")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "a quick call returns its result: 42"
    assert re.fullmatch(r"the search: TimeoutError after \d\.\d\d s \(.*\)", lines[1])
    assert lines[2:] == ["threads it left running: []"]
    baseline.expect_gone(0.5)


FUTURE_ONLY = '''
import concurrent.futures

def call_with_timeout(work, timeout):
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(work, threading.Event())
    pool.shutdown(wait=False)
    return future.result(timeout)
'''


def test_the_demo_shows_what_future_result_alone_leaves_running(capsys):
    """The text: "where future.result(timeout) left one"."""
    baseline = Baseline()
    run_cell(LESSON, "demo-call-with-timeout", **SETUP,
             call_with_timeout=load(FUTURE_ONLY)["call_with_timeout"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("the search: TimeoutError")
    assert lines[2].startswith("threads it left running: ['ThreadPoolExecutor-")
    baseline.expect_gone(5.0)  # the search's second of work, then the thread ends


def test_call_with_timeout_demo_asks_for_the_function_first(capsys):
    cell("demo-call-with-timeout", learner="student")
    assert capsys.readouterr().out == "write call_with_timeout first\n"


# --- 6 · the closing table ------------------------------------------------------------------

WAYS = ["a stop value per worker (01)", "close() the queue (05)", "set an Event",
        "shutdown() each socket (02)", "a timeout, then cancel (05)"]


def test_every_way_stops_all_its_workers_and_leaves_nothing(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # the sizes grading runs
    baseline = Baseline()
    seen = cell("demo-ways-to-stop", "demo-ways-to-stop-compared")
    rows = seen["stopped"]
    assert [row.way.name for row in rows] == WAYS
    for row in rows:
        assert row.missing is None and row.threads_left == 0, row
        assert len(row.seconds) == lesson.QUICK.repeats and min(row.seconds) >= 0
    needs = {row.way.name: row.way.stopper_needs for row in rows}
    assert needs["a stop value per worker (01)"] == "the number of workers"
    table = capsys.readouterr().out.splitlines()
    assert "stop → all 4 gone" in table[0] and len(table) == 1 + len(WAYS)
    baseline.expect_gone(0.5, what="the ways to stop")


def test_the_table_asks_for_each_missing_answer_and_measures_the_rest(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    baseline = Baseline()
    rows = {row.way.name: row for row in cell("demo-ways-to-stop", "demo-ways-to-stop-compared",
                                              learner="student")["stopped"]}
    assert rows["close() the queue (05)"].missing == "write ClosableQueue first"
    assert rows["a timeout, then cancel (05)"].missing == "write call_with_timeout first"
    measured = [name for name, row in rows.items() if row.missing is None]
    assert measured == [WAYS[0], WAYS[2], WAYS[3]]
    assert "write ClosableQueue first" in capsys.readouterr().out
    baseline.expect_gone(0.5)


# --- the plumbing -----------------------------------------------------------------------------

def event_workers(n):
    stopping = threading.Event()
    workers = [threading.Thread(target=stopping.wait) for _ in range(n)]
    for worker in workers:
        worker.start()
    return workers, stopping.set


def test_time_to_stop_counts_from_the_stop_or_from_the_deadline_it_returns():
    seconds, left = lesson.time_to_stop(event_workers, 3)
    assert left == 0 and seconds >= 0

    def stops_at_a_deadline(n):
        workers, stop = event_workers(n)

        def at_deadline():
            stop()
            return time.monotonic() - 10.0  # "the deadline was 10 s ago"
        return workers, at_deadline
    seconds, left = lesson.time_to_stop(stops_at_a_deadline, 2)
    assert left == 0 and seconds >= 10.0


def test_a_way_that_leaks_is_reported_and_not_run_again(monkeypatch, capsys):
    monkeypatch.setattr(lesson, "JOIN_DEADLINE", 0.1)
    release = threading.Event()
    starts = []

    def leaky(n):
        starts.append(n)
        workers = [threading.Thread(target=release.wait) for _ in range(n)]
        for worker in workers:
            worker.start()
        return workers, lambda: None  # a stop that stops nothing
    try:
        rows = lesson.compare_stopping([lesson.Way("leaky", leaky, "-", "-")],
                                       lesson.Sizes(workers=2, repeats=3))
    finally:
        release.set()
    assert rows[0].threads_left == 2 and starts == [2]
    lesson.show_stopping(rows, 2)
    assert "not all in 0.1 s" in capsys.readouterr().out


def test_an_unwritten_answer_is_named():
    def unwritten(n):
        raise NotImplementedError()
    row, = lesson.compare_stopping([lesson.Way("x", unwritten, "-", "-", answer="Thing")],
                                   lesson.Sizes(workers=1, repeats=1))
    assert row.missing == "write Thing first" and row.seconds == []


def test_the_diff_shows_only_what_changed():
    diff = lesson.source_diff("blocked_sender.go", "blocked_sender_buffered.go")
    assert diff.startswith("--- blocked_sender.go\n+++ blocked_sender_buffered.go\n")
    assert sum(line.startswith(("-\t", "+\t")) for line in diff.splitlines()) == 2


# --- the notebook's shape ---------------------------------------------------------------------

def test_the_lesson_plumbing_holds_no_answer():
    """autograder/ ships to learners: no working ClosableQueue or call_with_timeout."""
    plumbing = (ROOT / "autograder" / "lessons" / "stopping_for_good.py").read_text()
    assert "class ClosableQueue" not in plumbing and "def call_with_timeout" not in plumbing
    assert "notify_all" not in plumbing


def test_cells_that_use_the_answers_are_skipped_by_the_recheck():
    """The re-check leaves out demo-* and go-* cells: any other cell that calls
    the learner's code would be run again by it."""
    import jupytext

    notebook = jupytext.read(ROOT / "text" / LESSON / f"{LESSON}.md", fmt="md:myst")
    for c in notebook.cells:
        if c.cell_type != "code" or c.metadata.get("nbgrader"):
            continue
        tags = c.metadata.get("tags", [])
        uses = any(name in c.source for name in ("ClosableQueue(", "call_with_timeout(",
                                                  "run_go("))
        if uses:
            assert any(t.startswith(("demo-", "go-")) for t in tags), c.source[:80]


def test_every_go_program_of_the_lesson_is_recorded():
    text = (ROOT / "text" / LESSON / f"{LESSON}.md").read_text()
    programs = set(re.findall(r'run_go\("([a-z_]+\.go)"', text))
    assert programs == {"blocked_sender.go", "blocked_sender_buffered.go", "close_range.go",
                        "context_timeout.go"}
    for program in programs:
        assert list(go.RECORDED.glob(f"{program.removesuffix('.go')}-*.json")), program


@needs_go
def test_the_go_programs_are_gofmt_clean():
    goroot = subprocess.run([go.toolchain(), "env", "GOROOT"], capture_output=True, text=True,
                            env=go._go_env()).stdout.strip()
    gofmt = shutil.which("gofmt", path=f"{goroot}/bin")
    for program in ("blocked_sender.go", "blocked_sender_buffered.go", "close_range.go",
                    "context_timeout.go"):
        listed = subprocess.run([gofmt, "-l", str(go.PROGRAMS / program)],
                                capture_output=True, text=True)
        assert listed.returncode == 0 and listed.stdout == "", program
