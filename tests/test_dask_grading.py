"""The class batch on a real Dask cluster, with a shared PostgreSQL gradebook.

A ``dask scheduler`` and two ``dask worker`` processes run on 127.0.0.1, each
worker with its own scratch folder (no shared filesystem is assumed), and
PostgreSQL holds the gradebook (``postgres_server``). Lesson 03 of four demo
students (complete, leaky, a kernel that crashes, untouched) is graded
through them and compared, cell by cell, with nbgrader's own sequential
``autograde``; then again with one worker SIGKILLed while it grades, and a
second batch started meanwhile, which must be refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_tools import demo_class
from course_tools.gradebook_api import all_grades
from course_tools.dask_local import LocalCluster
from course_tools.nbgrader_cli import nbgrader, tool_env
from postgres_server import postgres_server

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LESSON = "03_waitgroup"
STUDENTS = ("ada_lovelace", "chen_leaky", "fay_crashes", "hal_untouched")


def demo_course(where: Path, db_url: str | None = None) -> Path:
    return demo_class.scratch_course(where, lessons=[LESSON], students=list(STUDENTS),
                                     db_url=db_url)


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(tmp_path_factory.mktemp("dask"), workers=2) as cluster:
        yield cluster
    deadline = time.monotonic() + 10
    while cluster.lingering() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not cluster.lingering(), "processes of the cluster outlived it"


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """nbgrader's own autograde, one submission after another, into SQLite."""
    course = demo_course(tmp_path_factory.mktemp("sequential"))
    nbgrader("generate_assignment", LESSON, "--force", cwd=course)
    nbgrader("autograde", LESSON, "--force", "--create", cwd=course, check=False)
    return all_grades(course)


def batch(course: Path, cluster: LocalCluster, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course_tools.batch", "--course", str(course), "--no-progress",
         "--scheduler", cluster.address, *args],
        env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finish(process: subprocess.Popen, timeout: float = 600) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


@pytest.fixture(scope="module")
def on_dask(cluster, postgres, tmp_path_factory):
    db_url = postgres.create_database("on_dask")
    course = demo_course(tmp_path_factory.mktemp("on_dask"), db_url)
    status, said = finish(batch(course, cluster))
    cluster.note_descendants()
    return course, db_url, status, said


def test_a_class_graded_on_two_dask_workers_matches_sequential_nbgrader(on_dask, sequential):
    course, db_url, status, said = on_dask
    assert status == 0, said[-4000:]
    assert all_grades(course, db_url) == sequential
    assert not (course / "gradebook.db").exists()  # the grades went to PostgreSQL only


def test_what_the_workers_wrote_comes_back_to_the_course(on_dask):
    course, _, _, said = on_dask
    for student in STUDENTS:
        autograded = course / "autograded" / student / LESSON / f"{LESSON}.ipynb"
        assert autograded.exists(), student
        assert (course / "feedback" / student / LESSON / f"{LESSON}.html").exists(), student
    assert "grades:" in said and (course / "exports" / "grades.csv").exists()
    report = (course / "exports" / "report.html").read_text()
    assert "w1" in report or "127.0.0.1" in report  # which worker graded what


def test_both_workers_took_submissions(on_dask):
    import json

    course = on_dask[0]
    ledger = json.loads((course / "exports" / "batch-ledger.json").read_text())["finished"]
    workers = {entry["worker"] for entry in ledger.values()}
    assert len(workers) == 2, workers


@pytest.fixture(scope="module")
def killed_halfway(cluster, postgres, tmp_path_factory, on_dask):
    """The same class, with worker w1 SIGKILLed while it grades; a second
    batch on the same class started meanwhile."""
    db_url = postgres.create_database("killed")
    course = demo_course(tmp_path_factory.mktemp("killed"), db_url)
    first = batch(course, cluster)
    deadline = time.monotonic() + 300
    while not cluster.grading("w1"):
        assert first.poll() is None and time.monotonic() < deadline, finish(first)[1][-3000:]
        time.sleep(0.1)
    os.kill(cluster.workers["w1"].pid, signal.SIGKILL)
    second = finish(batch(course, cluster), timeout=120)
    status, said = finish(first)
    cluster.workers["w1"].wait(timeout=10)
    cluster.workers["w1"] = cluster.start_worker("w1")  # for whoever comes next
    return course, db_url, status, said, second


def test_a_worker_killed_while_grading_costs_nothing(killed_halfway, sequential):
    course, db_url, status, said, _ = killed_halfway
    assert status == 0, said[-4000:]
    assert all_grades(course, db_url) == sequential


def test_a_submission_regraded_elsewhere_is_in_the_gradebook_once(killed_halfway):
    from nbgrader.api import Gradebook

    _, db_url, _, _, _ = killed_halfway
    with Gradebook(db_url, "goroutine-leaks") as gb:
        cells = sorted(c.name for c in gb.find_notebook(LESSON, LESSON).grade_cells)
        for student in STUDENTS:
            graded = gb.find_submission_notebook(LESSON, LESSON, student)
            assert sorted(g.name for g in graded.grades) == cells, student
        assert len(gb.find_assignment(LESSON).submissions) == len(STUDENTS)


def test_a_second_batch_on_the_same_class_is_refused(killed_halfway):
    status, said = killed_halfway[4]
    assert status == 1, said[-3000:]
    assert "another batch is grading" in said and "nothing was graded" in said
