"""A PostgreSQL gradebook (several graders): the class batch against a real server.

The test starts Debian's PostgreSQL on 127.0.0.1 (a free port, a scratch data
folder, as the ``postgres`` user when run as root, which the server requires)
and stops it afterwards. Without the server's programs it skips, except in CI,
where .ci/run installs them.
"""

from __future__ import annotations

import csv
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from course_tools import demo_class
from course_tools.nbgrader_cli import tool_env

pytestmark = [pytest.mark.slow, pytest.mark.grading]
LESSON = "03_waitgroup"
STUDENTS = ("ada_lovelace", "chen_leaky", "hal_untouched")


def postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's programs are missing: .ci/run should install postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start postgres as another user")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    scratch = Path(tempfile.mkdtemp(prefix="pg-gradebook-"))
    if as_root:
        shutil.chown(scratch, "postgres")
    data, port = scratch / "data", free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True,
                       timeout=120, cwd=scratch)

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
        "--no-sync", "-E", "UTF8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(scratch / "server.log"), "-w",
        "-o", f"-h 127.0.0.1 -p {port} -k {scratch} -F", "start")
    try:
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
            "gradebook")
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def graded(postgres, tmp_path_factory):
    course = demo_class.scratch_course(tmp_path_factory.mktemp("pg"))
    for folder in list((course / "submitted").glob("*/*")):
        if folder.name != LESSON or folder.parent.name not in STUDENTS:
            shutil.rmtree(folder)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres!r}\n")
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
