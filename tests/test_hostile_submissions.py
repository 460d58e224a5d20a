"""Submissions that hang, crash, flood or cheat, graded the way an instructor
grades a class (the parallel batch grader, which runs nbgrader): each gets
exactly its expected scores, with the incident recorded and listed for a
look, and the batch goes on and exits 0."""

import nbformat
import pytest

from answers.adversarial import HOSTILE, hostile_answers, hostile_edit
from autograder.grading.incidents import incidents
from nbgrader_helpers import Course

LESSON = "01_leaky_consumer"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # A shorter cell timeout than the course's: the same mechanism, less waiting.
    course = Course.create(tmp_path_factory.mktemp("hostile"), LESSON,
                           extra_config="c.Execute.timeout = 10\n"
                                        "c.ResilientExecute.interrupt_grace = 2",
                           demonstrations=False)
    names = {}
    for number, (name, hostile) in enumerate(sorted(HOSTILE.items())):
        student = f"hostile{number:02d}"
        course.submit(student, LESSON, hostile_answers(hostile), edit=hostile_edit(hostile))
        names[student] = name
    return course, names, course.batch_grade(LESSON)


def test_the_batch_exits_zero_and_lists_the_submissions_that_need_a_look(graded):
    course, names, done = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert "completed, 0 failed in nbgrader" in done.stdout, done.stdout[-3000:]
    listed = done.stdout.split("Needs a look (", 1)[1].splitlines()
    for student, name in names.items():
        if HOSTILE[name].incident:
            line = f"{student}/{LESSON}: {HOSTILE[name].incident}"
            assert any(entry.startswith(line) for entry in listed), (name, listed)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_submission_gets_its_expected_scores(graded, name):
    course, names, _ = graded
    student = next(s for s, n in names.items() if n == name)
    hostile = HOSTILE[name]
    assert course.scores(student, LESSON) == hostile.scores
    if hostile.incident:
        path = course.root / "autograded" / student / LESSON / f"{LESSON}.ipynb"
        kinds = {i["kind"] for i in incidents(nbformat.read(path, as_version=4))}
        assert hostile.incident in kinds, kinds


def test_a_flood_is_recorded_once_and_kept_small(graded):
    """Tampering again and again is one incident; errors of megabytes are cut:
    no autograded notebook grows past what its caps allow."""
    course, names, _ = graded
    for student, name in names.items():
        path = course.root / "autograded" / student / LESSON / f"{LESSON}.ipynb"
        assert path.stat().st_size < 4 * 2**20, (name, path.stat().st_size)
        if name == "the check patched again and again from a thread":
            kinds = [i["kind"] for i in incidents(nbformat.read(path, as_version=4))]
            assert kinds.count("tampered") == 1, kinds
