"""The class batch on the demo class: same grades as sequential nbgrader,
resumable after a kill or Ctrl-C, and a report with what an instructor needs.

Two lessons of the demo class keep this within CI's time (lessons 03 and 04:
complete, partial, leaky, hanging, crashing and untouched submissions). Lesson
02 is left out of the comparison: its checks demand that a reader stops
within 100 ms, which a heavily loaded machine can miss in either run.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from course_tools import demo_class
from course_tools.batch import EXPORTS, LEDGER_NAME
from course_tools.gradebook_api import all_grades
from course_tools.nbgrader_cli import nbgrader, tool_env
from nbgrader_helpers import failed_cells

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LESSONS = ["03_waitgroup", "04_channels_vs_locks"]


def command_of(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def demo_course(where: Path, lessons: list[str] = LESSONS) -> Path:
    return demo_class.scratch_course(where, lessons=lessons)


def batch_command(course: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "course_tools.batch", "--course", str(course),
            "--no-progress", *args]


grades = all_grades  # every grade: (student, assignment) -> cell -> scores


def assert_same_grades(course: Path, expected_course: Path, lessons: list[str] = LESSONS) -> None:
    """The grades of ``course`` equal those of ``expected_course``; where they
    differ, the message has what the failing test cells said in each."""
    got, expected = grades(course), {key: cells for key, cells in grades(expected_course).items()
                                     if key[1] in lessons}
    differing = sorted(key for key in set(got) | set(expected) if got.get(key) != expected.get(key))
    said = {f"{student}/{lesson}": {
        "here": failed_cells(course / "autograded" / student / lesson / f"{lesson}.ipynb"),
        "expected": failed_cells(
            expected_course / "autograded" / student / lesson / f"{lesson}.ipynb")}
        for student, lesson in differing}
    assert got == expected, said


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """nbgrader's own commands, one submission after another."""
    course = demo_course(tmp_path_factory.mktemp("sequential"))
    started = time.perf_counter()
    for lesson in LESSONS:
        nbgrader("generate_assignment", lesson, "--force", cwd=course)
        nbgrader("autograde", lesson, "--force", "--create", cwd=course, check=False)
    print(f"sequential nbgrader: {time.perf_counter() - started:.1f} s")
    return course


@pytest.fixture(scope="module")
def parallel(tmp_path_factory):
    course = demo_course(tmp_path_factory.mktemp("parallel"))
    started = time.perf_counter()
    done = subprocess.run(batch_command(course, *LESSONS, "--workers", "2"), env=tool_env(),
                          capture_output=True, text=True, timeout=600)
    print(f"parallel batch: {time.perf_counter() - started:.1f} s\n{done.stdout}")
    return course, done


def test_parallel_batch_gives_the_grades_sequential_nbgrader_gives(sequential, parallel):
    course, done = parallel
    assert done.returncode == 0, done.stderr[-3000:]
    expected = grades(sequential)
    assert len(expected) == len(list((course / "submitted").glob("*/*")))
    assert_same_grades(course, sequential)


def test_the_batch_prints_tables_the_speed_up_and_the_paths(parallel):
    course, done = parallel
    out = done.stdout
    assert "Per student" in out and "Per exercise" in out
    assert "faster than one submission at a time" in out
    for student in ("ada_lovelace", "chen_leaky", "fay_crashes", "hal_untouched"):
        assert student in out
    lines = out.strip().splitlines()
    assert lines[-2] == f"grades:  {course / EXPORTS / 'grades.csv'}"
    assert lines[-1] == f"report:  {course / EXPORTS / 'report.html'}"


def test_feedback_and_csv_cover_every_graded_submission(parallel):
    course, _ = parallel
    submitted = {(p.parent.name, p.name) for p in (course / "submitted").glob("*/*")}
    feedback = {(p.parent.parent.name, p.parent.name)
                for p in (course / "feedback").glob("*/*/*.html")}
    assert feedback == submitted
    with open(course / EXPORTS / "grades.csv") as handle:
        exported = {(r["student_id"], r["assignment"]): float(r["score"])
                    for r in csv.DictReader(handle)}
    for (student, assignment), cells in grades(course).items():
        total = sum((manual if manual is not None else auto) or 0
                    for auto, manual, _ in cells.values())
        assert exported[(student, assignment)] == total, (student, assignment)
    assert set(exported) >= submitted


def test_report_shows_charts_failures_and_submissions_that_need_a_look(parallel):
    course, _ = parallel
    page = (course / EXPORTS / "report.html").read_text()
    for exercise in ("03_waitgroup/test_waitgroup", "03_waitgroup/test_run_with_waitgroup",
                     "04_channels_vs_locks/test_signal_done",
                     "04_channels_vs_locks/why_not_cheaper"):
        assert f"score distribution of {exercise}" in page
    assert page.count("data:image/png;base64,") == 4
    assert "most common failure messages" in page
    assert "not written yet" in page  # what the untouched and partial notebooks got
    look = page.split("id='needs-a-look'")[1].split("<h2>")[0]
    assert "fay_crashes" in look and "crash" in look  # the kernel died in lesson 03
    assert "ada_lovelace" not in look


def test_an_interrupted_or_killed_batch_goes_on_where_it_stopped(sequential, tmp_path):
    course = demo_course(tmp_path, ["03_waitgroup"])
    ledger = course / EXPORTS / LEDGER_NAME
    total = len(list((course / "submitted").glob("*/*")))

    def finished() -> dict:
        try:
            return json.loads(ledger.read_text())["finished"]
        except (OSError, ValueError, KeyError):
            return {}

    def start() -> subprocess.Popen:
        # Ctrl-C as in the instructor's terminal: a test run started in the
        # background of a script inherits SIGINT ignored, and so did the batch,
        # which then graded on through the interrupt.
        return subprocess.Popen(batch_command(course, "--workers", "2", "--no-feedback"),
                                env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def wait_for(count: int, batch: subprocess.Popen) -> None:
        deadline = time.monotonic() + 300
        while len(finished()) < count:
            assert batch.poll() is None, batch.communicate()
            assert time.monotonic() < deadline, "the batch made no progress"
            time.sleep(0.2)

    def wait_until_grading(batch: subprocess.Popen) -> None:
        deadline = time.monotonic() + 120
        while not any("ipykernel" in " ".join(command_of(p))
                      for p in psutil.Process(batch.pid).children(recursive=True)):
            assert batch.poll() is None, batch.communicate()
            assert time.monotonic() < deadline, "the batch started no kernel"
            time.sleep(0.1)

    # 1. Killed outright: its workers must not live on, and nothing finished is lost.
    batch = start()
    wait_for(1, batch)
    workers = psutil.Process(batch.pid).children(recursive=True)
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait(30)
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, f"left running after the batch was killed: {alive}"
    after_kill = finished()
    assert 1 <= len(after_kill) < total

    # 2. Interrupted (Ctrl-C) while a kernel grades: exits 130 and says how to go
    # on. (Waiting for one more to finish could leave nothing to interrupt: with
    # two workers the last ones often finish together.)
    batch = start()
    wait_until_grading(batch)
    batch.send_signal(signal.SIGINT)
    out, err = batch.communicate(timeout=60)
    assert batch.returncode == 130, (out + err)[-3000:]
    assert "run the same command again" in out
    after_interrupt = finished()
    assert set(after_kill) <= set(after_interrupt)
    stamps = {key: (course / "autograded" / key / f"{key.split('/')[1]}.ipynb").stat().st_mtime_ns
              for key in after_interrupt}

    # 3. Run again: only what was not finished is graded.
    batch = start()
    out, err = batch.communicate(timeout=600)
    assert batch.returncode == 0, err[-3000:]
    assert f"{len(after_interrupt)} submission(s) already graded" in out
    assert f"graded {total - len(after_interrupt)} submission(s)" in out
    assert set(finished()) == {f"{p.parent.name}/{p.name}"
                               for p in (course / "submitted").glob("*/*")}
    for key, stamp in stamps.items():  # finished ones were not graded twice
        notebook = course / "autograded" / key / f"{key.split('/')[1]}.ipynb"
        assert notebook.stat().st_mtime_ns == stamp, key
    assert_same_grades(course, sequential, ["03_waitgroup"])
