"""Submissions that come from a learning-management system's zip, and late
work: nbgrader's own commands (zip_collect, db assignment add) with the
course's nbgrader_config.py, then the course's batch grader."""

from __future__ import annotations

import csv
import zipfile

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grading.late import DAY, ShareOffPerDayLate
from course_tools.answers import student_notebook
from course_tools.nbgrader_cli import nbgrader
from course_tools.scratch_course import REFERENCE, Course, reference_answers

LESSON = "04_channels_vs_locks"
FULL = {"test_signal_done": 4.0}
# The written answer is graded by hand; left as it was, nbgrader scores it 0 itself.
ZERO = {"test_signal_done": 0.0, "why_not_cheaper": 0.0}


def solved() -> nbformat.NotebookNode:
    return student_notebook(LESSON, {k: REFERENCE for k in reference_answers(LESSON)})


# --- the late-work rule, alone ------------------------------------------------------------

@pytest.mark.parametrize("seconds_late, penalty", [
    (0, None), (1, 0.4), (DAY, 0.4), (DAY + 1, 0.8), (9.5 * DAY, 4.0), (30 * DAY, 4.0)])
def test_a_tenth_of_what_was_earned_per_day_begun(seconds_late, penalty):
    rule = ShareOffPerDayLate()
    assert rule.late_submission_penalty("ada", 4.0, seconds_late) == penalty


def test_work_that_earned_nothing_loses_nothing_more():
    assert ShareOffPerDayLate().late_submission_penalty("ada", 0.0, 3 * DAY) == 0.0


# --- end to end -------------------------------------------------------------------------

# As Canvas names the files of "Download Submissions": login, LATE if it was,
# user and submission numbers, the uploaded file's name (-1: uploaded again).
EXPORT = {
    "lovelaceada_1032_88121_04_channels_vs_locks.ipynb": solved,
    "turingalan_LATE_1040_88190_04_channels_vs_locks-1.ipynb": solved,
    "hoppergrace_1051_88204_04_channels_vs_locks.ipynb": lambda: student_notebook(LESSON),
    "hoppergrace_1051_88204_notes.txt": None,  # not a notebook: skipped
    "turingalan_1040_88191_05_stopping_for_good.ipynb": solved,  # not this assignment's
}


@pytest.fixture(scope="module")
def from_the_lms(tmp_path_factory):
    course = Course.create(tmp_path_factory.mktemp("lms"), LESSON, demonstrations=False)
    archive = course.root / "downloaded" / LESSON / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as export:
        for name, make in EXPORT.items():
            export.writestr(name, nbformat.writes(make()) if make else "my notes\n")
    collected = nbgrader("zip_collect", LESSON, cwd=course.root, check=False)
    graded = course.batch_grade(LESSON)
    return course, collected, graded


@pytest.mark.slow
@pytest.mark.grading
@pytest.mark.parametrize("student, scores", [("lovelaceada", FULL), ("turingalan", FULL),
                                             ("hoppergrace", ZERO)])
def test_each_student_of_the_zip_is_collected_and_graded(from_the_lms, student, scores):
    course, collected, graded = from_the_lms
    assert collected.returncode == 0, collected.stderr[-3000:]
    assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
    assert course.scores(student, LESSON) == scores


@pytest.mark.slow
@pytest.mark.grading
def test_what_is_not_a_notebook_of_the_assignment_stays_out(from_the_lms):
    course, collected, _ = from_the_lms
    submitted = sorted(str(p.relative_to(course.root / "submitted"))
                       for p in (course.root / "submitted").rglob("*") if p.is_file())
    assert submitted == [f"{s}/{LESSON}/{LESSON}.ipynb"
                         for s in ("hoppergrace", "lovelaceada", "turingalan")]
    assert "Skipped notebook with invalid name '05_stopping_for_good.ipynb'" in collected.stderr


DUE = "2026-11-30 17:00:00 UTC"
ON_TIME = "2026-11-30 16:59:00.000000 UTC"
TWO_DAYS_LATE = "2026-12-02 09:00:00.000000 UTC"  # 1 day 16 h: two days begun


def _submission(course: Course, student: str):
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(LESSON, student)
        notebook = submission.notebooks[0]
        return (str(submission.timestamp), submission.total_seconds_late,
                notebook.late_submission_penalty, notebook.score)


@pytest.mark.slow
@pytest.mark.grading
def test_late_work_loses_its_share_and_regrading_keeps_the_times(tmp_path):
    course = Course.create(tmp_path, LESSON, demonstrations=False)
    nbgrader("db", "assignment", "add", LESSON, f"--duedate={DUE}", cwd=course.root)
    for student, stamp in (("early", ON_TIME), ("late", TWO_DAYS_LATE)):
        course.submit_reference(student, LESSON)
        (course.root / "submitted" / student / LESSON / "timestamp.txt").write_text(stamp)

    first = course.batch_grade(LESSON)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    early, late = _submission(course, "early"), _submission(course, "late")
    assert early[1:] == (0.0, None, 4.0)
    assert late[1] == pytest.approx(40 * 3600) and late[2:] == (0.8, 4.0)  # 2 days x 10 %

    again = course.batch_grade(LESSON, options=("--fresh",))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert _submission(course, "early") == early and _submission(course, "late") == late

    rows = {row["student_id"]: row for row in csv.DictReader(
        (course.root / "exports" / "grades.csv").open())}
    assert float(rows["late"]["late_submission_penalty"]) == 0.8
    assert float(rows["late"]["score"]) == pytest.approx(3.2)
    assert float(rows["early"]["score"]) == 4.0
