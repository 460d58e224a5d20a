"""A PostgreSQL gradebook (several graders): the class batch against a real server
(``postgres_server``: Debian's PostgreSQL on 127.0.0.1, skipped without it
except in CI)."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from course_tools import demo_class
from course_tools.nbgrader_cli import tool_env
from postgres_server import postgres_server

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LESSON = "03_waitgroup"
STUDENTS = ("ada_lovelace", "chen_leaky", "hal_untouched")


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as server:
        yield server.create_database("gradebook")


@pytest.fixture(scope="module")
def graded(postgres, tmp_path_factory):
    course = demo_class.scratch_course(tmp_path_factory.mktemp("pg"), lessons=[LESSON],
                                       students=list(STUDENTS), db_url=postgres)
    done = subprocess.run(
        [sys.executable, "-m", "course_tools.batch", "--course", str(course),
         "--workers", "2", "--no-progress"],
        env=tool_env(), capture_output=True, text=True, timeout=600)
    return course, postgres, done


def test_the_batch_grades_into_postgres(graded):
    from nbgrader.api import Gradebook

    course, db_url, done = graded
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert not (course / "gradebook.db").exists()  # nothing went to SQLite
    with Gradebook(db_url, "goroutine-leaks") as gb:
        full = {c.name: c.max_score for c in gb.find_notebook(LESSON, LESSON).grade_cells}

        def scores(student):
            submission = gb.find_submission_notebook(LESSON, LESSON, student)
            return {g.name: g.score for g in submission.grades}

        assert scores("ada_lovelace") == full
        assert set(scores("hal_untouched").values()) == {0}
        assert scores("chen_leaky") == dict(full, test_run_with_waitgroup=0)


def test_grades_csv_comes_from_the_postgres_gradebook(graded):
    course, _, _ = graded
    with open(course / "exports" / "grades.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r["assignment"] == LESSON]
    assert {r["student_id"] for r in rows} == set(STUDENTS)
