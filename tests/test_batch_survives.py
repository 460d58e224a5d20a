"""No submission can stop the batch: one whose code kills the process grading
it, one that stops it (SIGSTOP) and one nbgrader cannot read, graded beside
right ones. Each culprit costs only itself: zero, named with the reason in
the ledger, the report and the terminal; the right ones get full marks; the
batch exits 0 and leaves no process behind.

Run without the sandbox (AUTOGRADER_UNSAFE_NO_SANDBOX=1), where a kernel can
signal its parent: the batch must hold even then. Graded twice: by the local
batch, and on a Dask cluster of two workers (``--scheduler``).
"""

from __future__ import annotations

import csv
import json
import os
import time

import psutil
import pytest

from course_tools.answers import reference_answers
from course_tools.batch import EXPORTS, LEDGER_NAME
from course_tools.dask_local import LocalCluster
from nbgrader_helpers import Course, with_reference

LESSON = "01_leaky_consumer"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


def signals_its_parent(signal_name: str, marker: str) -> dict[str, str]:
    """Right answers, but the first one leaves a process of its own behind
    (in its own session, as a kernel's would be) and then signals the kernel's
    parent: the worker grading it."""
    culprit = (f"\nimport os, signal, subprocess, sys, time\n"
               f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)  "
               f"# {marker}'], start_new_session=True)\n"
               f"time.sleep(1.5)\n"
               f"os.kill(os.getppid(), signal.{signal_name})\n"
               f"time.sleep(5)\n")
    return with_reference(LESSON, {"consumer_exit": reference_answers(LESSON)["consumer_exit"]
                                   + culprit})


def left_behind(marker: str) -> list[str]:
    """Live processes started for this test: the marker is in their
    environment (everything the batch starts inherits it) or command line."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.pid == os.getpid() or process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if (marker in " ".join(process.info["cmdline"] or [])
                    or process.environ().get("BATCH_SURVIVES_MARKER") == marker):
                found.append(" ".join(process.info["cmdline"] or []))
        except psutil.Error:
            pass
    return found


@pytest.fixture(scope="module", params=["local", "dask"])
def graded(request, tmp_path_factory):
    """The same class graded by local worker processes, and by the workers of a
    Dask cluster (each grades in a process of its own that it watches)."""
    marker = f"batch-survives-{os.getpid()}-{time.time_ns()}"
    course = Course.create(tmp_path_factory.mktemp("survives"), LESSON, demonstrations=False)
    course.submit_reference("right_one", LESSON)
    course.submit("kills_parent", LESSON, signals_its_parent("SIGKILL", marker))
    course.submit_reference("right_two", LESSON)
    course.submit("stops_parent", LESSON, signals_its_parent("SIGSTOP", marker))
    unreadable = course.submit_reference("unreadable", LESSON)
    unreadable.write_text('{"cells": [')  # cut off mid-upload
    started = time.perf_counter()
    env = {"AUTOGRADER_UNSAFE_NO_SANDBOX": "1", "BATCH_SURVIVES_MARKER": marker}
    options = ("--unsafe-no-sandbox", "--job-timeout", "300")
    if request.param == "local":
        done = course.batch_grade(LESSON, options=options, env=env, timeout=600)
    else:  # the cluster is gone before the checks: none of its processes may linger
        with LocalCluster(tmp_path_factory.mktemp("cluster"), workers=2, env=env) as cluster:
            done = course.batch_grade(LESSON, options=(*options, "--scheduler",
                                                       cluster.address), env=env, timeout=600)
    ledger = (course.root / EXPORTS / LEDGER_NAME).read_text()
    print(f"batch: {time.perf_counter() - started:.1f} s\n{done.stdout}\n{done.stderr[-3000:]}"
          f"\n{ledger}")
    return course, done, marker


def test_the_batch_goes_on_exits_zero_and_warns_it_ran_without_the_sandbox(graded):
    course, done, _ = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WARNING: AUTOGRADER_UNSAFE_NO_SANDBOX is set" in done.stderr
    assert "2 completed, 1 failed in nbgrader, 2 graded zero" in done.stdout


def test_right_submissions_beside_the_culprits_get_full_marks(graded):
    course, _, _ = graded
    for student in ("right_one", "right_two"):
        assert course.scores(student, LESSON) == course.max_scores(LESSON) != {}, student


def test_a_culprit_is_graded_zero_in_the_gradebook_and_in_grades_csv(graded):
    course, _, _ = graded
    with open(course.root / EXPORTS / "grades.csv") as handle:
        exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(handle)}
    for student in ("kills_parent", "stops_parent"):
        assert course.scores(student, LESSON) == dict.fromkeys(course.max_scores(LESSON), 0)
        assert exported[student] == 0
    assert exported["right_one"] == sum(course.max_scores(LESSON).values())


def test_each_culprit_is_named_with_its_reason_and_no_one_else_is(graded):
    course, done, _ = graded
    ledger = json.loads((course.root / EXPORTS / LEDGER_NAME).read_text())["finished"]
    killed, stopped = ledger[f"kills_parent/{LESSON}"], ledger[f"stops_parent/{LESSON}"]
    assert killed["lost"] == "grader killed" and "killed by SIGKILL" in killed["cause"]
    assert stopped["lost"] == "grader stopped" and "stopped (SIGSTOP)" in stopped["cause"]
    for student in ("right_one", "right_two"):
        assert ledger[f"{student}/{LESSON}"]["success"] is True
        assert "lost" not in ledger[f"{student}/{LESSON}"]
    out = done.stdout
    assert (f"needs a look: kills_parent/{LESSON}: graded zero, grader killed: its grading "
            "process was killed by SIGKILL") in out
    assert (f"needs a look: stops_parent/{LESSON}: graded zero, grader stopped: its grading "
            "process was stopped (SIGSTOP)") in out
    listed = out.split("Needs a look (", 1)[1]
    assert f"kills_parent/{LESSON}: grader killed" in listed
    assert f"stops_parent/{LESSON}: grader stopped" in listed
    look = (course.root / EXPORTS / "report.html").read_text().split("id='needs-a-look'")[1]
    look = look.split("<h2>")[0]
    assert "kills_parent" in look and "stops_parent" in look and "killed by SIGKILL" in look
    for text in (listed, look):
        assert "right_one" not in text and "right_two" not in text


def test_the_real_cause_of_an_nbgrader_failure_is_kept_and_shown(graded):
    course, done, _ = graded
    entry = json.loads((course.root / EXPORTS / LEDGER_NAME).read_text())["finished"][
        f"unreadable/{LESSON}"]
    assert entry["success"] is False
    assert "NotJSONError" in entry["cause"] and "above traceback" not in entry["cause"]
    assert f"needs a look: unreadable/{LESSON}: nbgrader failed: " in done.stdout
    assert "NbGraderException" not in done.stdout
    page = (course.root / EXPORTS / "report.html").read_text()
    assert "NotJSONError" in page.split("id='needs-a-look'")[1].split("<h2>")[0]


def test_no_process_is_left_behind(graded):
    _, _, marker = graded
    deadline = time.monotonic() + 10  # orphans' own ends may take a moment
    while (left := left_behind(marker)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, f"left running: {left}"
