"""nbgrader's API and gradebook, loaded the way nbgrader's own commands load them.

Shared by the batch grader and the report, so neither imports the other. Run
as a program (``make gradebook``), it adds the course's assignments to the
gradebook, which ``nbgrader autograde`` needs before it grades anything:

    python -m course_tools.gradebook_api [ASSIGNMENT ...]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .nbgrader_cli import tool_env

if TYPE_CHECKING:
    from .ledger import Job

EXPORTS = "exports"
LEDGER_NAME = "batch-ledger.json"
SQLITE_BUSY_TIMEOUT = 120  # seconds a connection waits for a lock before failing
_LOCKED = ("database is locked", "database table is locked")


def tool_path() -> None:
    """nbgrader runs helper programs (alembic) by name: put ours first on PATH."""
    os.environ["PATH"] = tool_env()["PATH"]


def with_busy_timeout(db_url: str, seconds: float = SQLITE_BUSY_TIMEOUT) -> str:
    """An SQLite db_url whose connections wait for locks instead of failing."""
    if not db_url.startswith("sqlite") or "timeout=" in db_url:
        return db_url
    return f"{db_url}{'&' if '?' in db_url else '?'}timeout={seconds:g}"


def load_api(course: Path, stay: bool = False):
    """nbgrader's API with the configuration nbgrader's own commands would use.

    Like ``nbgrader autograde`` run in the course directory, it reads
    ``nbgrader_config.py`` from there. ``stay`` leaves the process in the
    course directory (the workers); otherwise the working directory is restored.
    """
    tool_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader

    here = os.getcwd()
    os.chdir(course)
    try:
        app = NbGrader()
        app.log_level = "WARN"
        app.initialize([], root=str(course))
    finally:
        if not stay:
            os.chdir(here)
    api = NbGraderAPI(coursedir=app.coursedir, parent=app)
    api.log.setLevel("WARN")
    api.coursedir.db_url = with_busy_timeout(api.coursedir.db_url)
    return api


def gradebook(api):
    from nbgrader.api import Gradebook
    return Gradebook(api.coursedir.db_url, api.coursedir.course_id)


def is_lock_error(text: str | None) -> bool:
    return bool(text) and any(marker in text for marker in _LOCKED)


def add_assignments(api, assignments: list[str]) -> list[str]:
    """Add each assignment missing from the gradebook, with its graded cells.

    nbgrader's generate_assignment records them; its student version goes to
    a scratch folder, so the course's committed notebooks are left alone.
    Returns the messages of any that could not be added.
    """
    from nbgrader.api import MissingEntry
    from nbgrader.utils import temp_attrs

    with gradebook(api) as gb:
        missing = []
        for assignment in sorted(set(assignments)):
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                missing.append(assignment)
    problems = []
    for assignment in missing:
        with tempfile.TemporaryDirectory() as scratch:
            with temp_attrs(api.coursedir, release_directory=scratch):
                result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            problems.append(f"{assignment}: nbgrader generate_assignment failed:\n"
                            f"{result.get('error') or result.get('log')}")
    return problems


def all_grades(course: Path, db_url: str | None = None) -> dict[tuple[str, str], dict[str, tuple]]:
    """Every grade in a course's gradebook (its SQLite one unless ``db_url``
    says otherwise), to compare two gradings: (student, assignment) -> cell ->
    (auto score, manual score, needs manual grade)."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(db_url or f"sqlite:///{course / 'gradebook.db'}", "goroutine-leaks") as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                found[(submission.student.id, assignment.name)] = {
                    grade.name: (grade.auto_score, grade.manual_score,
                                 grade.needs_manual_grade)
                    for notebook in submission.notebooks for grade in notebook.grades}
    return found


def prepare_gradebook(api, jobs: list[Job]) -> list[str]:
    """Create the gradebook, course, assignments and students up front.

    Workers then only update rows that exist, so they never race to create
    tables or the same row (``add_assignments``: the committed student
    notebooks are left alone). Returns the messages of anything that could
    not be prepared.
    """
    from nbgrader.api import MissingEntry

    problems = add_assignments(api, [job.assignment for job in jobs])
    with gradebook(api) as gb:
        for student in sorted({job.student for job in jobs}):
            try:
                gb.find_student(student)
            except MissingEntry:
                gb.add_student(student)
    return problems


def in_gradebook(api, job: Job) -> bool:
    from nbgrader.api import MissingEntry
    with gradebook(api) as gb:
        try:
            gb.find_submission(job.assignment, job.student)
        except MissingEntry:
            return False
    return True


def grade_zero(api, job: Job) -> None:
    """Record a submission whose grading was lost as graded, every test zero.

    nbgrader never finished it, so nothing else would put its grades in the
    gradebook (and grades.csv). Each grade gets nbgrader's own treatment of
    an automatic zero: a manual score already given still counts and is
    flagged for review. Its autograded and feedback folders, half-written or
    from an earlier grading, are removed, as nbgrader removes a failed one.
    """
    with gradebook(api) as gb:
        submission = gb.update_or_create_submission(job.assignment, job.student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = grade.manual_score is not None
        gb.db.commit()
    coursedir = api.coursedir
    for folder in (coursedir.autograded_directory, coursedir.feedback_directory):
        shutil.rmtree(coursedir.format_path(folder, job.student, job.assignment),
                      ignore_errors=True)


def export_grades(course: Path, to: Path | None = None) -> Path:
    """nbgrader's CSV export of the whole gradebook."""
    from nbgrader.plugins.export import CsvExportPlugin

    api = load_api(course)
    to = to or course / EXPORTS / "grades.csv"
    to.parent.mkdir(parents=True, exist_ok=True)
    plugin = CsvExportPlugin(parent=api)
    plugin.to = str(to)
    with gradebook(api) as gb:
        plugin.export(gb)
    return to


def main(argv: list[str] | None = None) -> int:
    course = Path.cwd()
    if not (course / "nbgrader_config.py").exists():
        print(f"error: {course} has no nbgrader_config.py: not a course directory",
              file=sys.stderr)
        return 1
    api = load_api(course)
    graded = sorted(p.name for p in (course / api.coursedir.source_directory).iterdir()
                    if p.is_dir() and any(p.glob("*.ipynb")))
    wanted = (sys.argv[1:] if argv is None else argv) or graded
    problems = add_assignments(api, wanted)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"the gradebook has {', '.join(wanted)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
