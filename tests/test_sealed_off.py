"""Submissions that reach out of their notebook or forge the grader's verdict,
graded as an instructor grades a class (the batch grader, which runs
nbgrader), between two right submissions, one graded before them and one
after. Each gets what its answers earn; afterwards the grader, the gradebook
and the machine are as before: the right ones keep full marks, the grader's
source is unchanged, and nothing an attack started or wrote is left."""

import hashlib
import os
from pathlib import Path

import nbformat
import pytest

import autograder
from answers.adversarial import FULL, LESSON, hostile_answers, hostile_edit
from answers.forgeries import FORGERIES
from answers.red_team import RED_TEAM
from answers.sealed_off import MARKER, SEALED_OFF
from autograder.grading import sandbox
from autograder.grading.incidents import incidents
from nbgrader_helpers import Course

pytestmark = [pytest.mark.slow, pytest.mark.grading, pytest.mark.skipif(
    sandbox.bubblewrap() is None and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed or cannot run")]

BEFORE, AFTER = "aaa_right_before", "zzz_right_after"
CORPUS = {**SEALED_OFF, **FORGERIES, **RED_TEAM}


def grader_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(autograder.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def leftovers() -> list[str]:
    found = [name for name in os.listdir("/tmp") if MARKER in name]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(f"process {pid}")
        except OSError:
            pass
    return found


# Shorter limits than the course's: the same mechanisms, less waiting.
SHORTER = ("c.Execute.timeout = 10\n"
           "c.ResilientExecute.interrupt_grace = 2\n"
           "c.ResilientExecute.notebook_timeout = 25\n"
           "c.VerifyOutsideKernel.cell_timeout = 10\n"
           "c.VerifyOutsideKernel.total_timeout = 25\n")


def class_with(where: Path, corpus: dict) -> tuple[Course, dict[str, str]]:
    """A course: a right submission, the corpus's, another right one, in that order."""
    course = Course.create(where, LESSON, extra_config=SHORTER, demonstrations=False)
    course.submit_reference(BEFORE, LESSON)
    names = {}
    for number, (name, hostile) in enumerate(sorted(corpus.items())):
        student = f"sealed{number:02d}"
        course.submit(student, LESSON, hostile_answers(hostile), edit=hostile_edit(hostile))
        names[student] = name
    course.submit_reference(AFTER, LESSON)
    return course, names


@pytest.fixture(scope="module")
def graded(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.delenv(sandbox.UNSAFE_VARIABLE, raising=False)
    course, names = class_with(tmp_path_factory.mktemp("sealed"), CORPUS)
    before = grader_fingerprint()
    done = course.batch_grade(LESSON)
    return course, names, done, before


# The same attacks through plain `nbgrader autograde`, one notebook after another.
AUTOGRADED = ("writes the gradebook", "rewrites the grader on disk", "kills its grader",
              "wraps json.dumps, which carries the verdicts")


@pytest.fixture(scope="module")
def autograded(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.delenv(sandbox.UNSAFE_VARIABLE, raising=False)
    course, names = class_with(tmp_path_factory.mktemp("autograde"),
                               {name: CORPUS[name] for name in AUTOGRADED})
    before = grader_fingerprint()
    done = course.autograde(LESSON)
    return course, names, done, before


def test_plain_nbgrader_autograde_gives_each_what_it_earns_and_harms_nobody(autograded):
    course, names, done, before = autograded
    assert done.returncode == 0, done.stderr[-3000:]
    for student, name in names.items():
        assert course.scores(student, LESSON) == CORPUS[name].scores, name
    assert course.scores(BEFORE, LESSON) == FULL == course.scores(AFTER, LESSON)
    assert grader_fingerprint() == before


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_batch_exits_zero(graded):
    done = graded[2]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.mark.parametrize("student", [BEFORE, AFTER])
def test_right_submissions_graded_before_and_after_keep_full_marks(graded, student):
    assert graded[0].scores(student, LESSON) == FULL


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_attack_gets_what_its_answers_earn(graded, name):
    course, names, _, _ = graded
    student = next(s for s, n in names.items() if n == name)
    hostile = CORPUS[name]
    assert course.scores(student, LESSON) == hostile.scores
    if hostile.incident:
        path = course.root / "autograded" / student / LESSON / f"{LESSON}.ipynb"
        kinds = {i["kind"] for i in incidents(nbformat.read(path, as_version=4))}
        assert hostile.incident in kinds, kinds


def test_the_grader_on_disk_is_unchanged(graded):
    assert grader_fingerprint() == graded[3]


def test_nothing_an_attack_started_or_wrote_is_left(graded):
    assert leftovers() == []
