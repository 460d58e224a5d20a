"""A scratch copy of the course for end-to-end nbgrader runs.

    course = Course.create(tmp_path, "01_leaky_consumer")
    course.submit("alice", "01_leaky_consumer", {"consumer_exit": WRONG_SOURCE})
    course.autograde("01_leaky_consumer")
    course.scores("alice", "01_leaky_consumer")   # {"test_consumer_exit": 0.0, ...}

Submissions start from the committed student notebook (notebooks/), with
answer cells replaced by grade_id; ``REFERENCE`` stands for the source
notebook's own solution.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_tools.answers import REFERENCE, reference_answers, student_notebook
from course_tools.nbgrader_cli import nbgrader, tool_env

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Course:
    root: Path

    @classmethod
    def create(cls, where: Path, *lessons: str, extra_config: str = "") -> Course:
        """A course with ``lessons`` generated; ``extra_config`` is appended to
        the course's nbgrader_config.py (shorter timeouts for tests, say)."""
        root = where / "course"
        root.mkdir(parents=True)
        config = (ROOT / "nbgrader_config.py").read_text()
        (root / "nbgrader_config.py").write_text(config + "\n" + extra_config + "\n")
        for lesson in lessons:
            shutil.copytree(ROOT / "source" / lesson, root / "source" / lesson)
            nbgrader("generate_assignment", lesson, "--force", cwd=root)
        return cls(root)

    def submit(self, student: str, lesson: str,
               answers: dict[str, object] | None = None,
               edit=None) -> Path:
        """Submit the student notebook with ``answers`` (grade_id -> source).

        ``edit(notebook)``, if given, may change the notebook further (delete
        or alter cells) before it is saved.
        """
        notebook = student_notebook(lesson, answers)
        if edit is not None:
            edit(notebook)
        path = self.root / "submitted" / student / lesson / f"{lesson}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        return path

    def submit_reference(self, student: str, lesson: str) -> Path:
        return self.submit(student, lesson, {k: REFERENCE for k in reference_answers(lesson)})

    def batch_grade(self, *lessons: str, workers: int = 2, feedback: bool = False,
                    timeout: float = 1200, options: tuple[str, ...] = (),
                    env: dict[str, str] | None = None):
        """The instructor's path: the course's parallel batch grader, which
        grades with nbgrader itself (its equivalence with sequential
        `nbgrader autograde` is tested in test_batch_grading.py). ``options``
        are more command-line options; ``env`` more environment variables."""
        command = [sys.executable, "-m", "course_tools.batch", *lessons, "--course",
                   str(self.root), "--workers", str(workers), "--no-progress", *options]
        if not feedback:
            command.append("--no-feedback")
        return subprocess.run(command, env=tool_env(env), capture_output=True, text=True,
                              timeout=timeout)

    def autograde(self, lesson: str, timeout: float = 600):
        """Plain sequential `nbgrader autograde`."""
        return nbgrader("autograde", lesson, "--force", "--create", cwd=self.root,
                        check=False, timeout=timeout)

    def scores(self, student: str, lesson: str) -> dict[str, float]:
        """Points per graded cell, as the gradebook has them (autograded ones)."""
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission_notebook(lesson, lesson, student)
            return {grade.name: grade.score for grade in submission.grades
                    if grade.auto_score is not None}

    def reasons(self, student: str, lesson: str) -> dict[str, str]:
        """What each failed test cell of the autograded notebook said: the
        first line a reader of a failed test needs."""
        return failed_cells(self.root / "autograded" / student / lesson / f"{lesson}.ipynb")

    def max_scores(self, lesson: str) -> dict[str, float]:
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            notebook = gradebook.find_notebook(lesson, lesson)
            return {cell.name: cell.max_score for cell in notebook.grade_cells}


def failed_cells(path: Path) -> dict[str, str]:
    """grade_id -> the error text of each graded cell that failed in ``path``."""
    if not path.exists():
        return {}
    failed = {}
    for cell in nbformat.read(path, as_version=4).cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        errors = [f"{out.ename}: {out.evalue}" for out in cell.get("outputs", [])
                  if out.output_type == "error"]
        if grade_id and errors:
            failed[grade_id] = "\n".join(errors)[:2000]
    return failed


def with_reference(lesson: str, answers: dict[str, str]) -> dict[str, object]:
    """Every answer cell as in the reference, but for ``answers``."""
    return dict({cell: REFERENCE for cell in reference_answers(lesson)}, **answers)


@dataclass
class GradedLesson:
    """A lesson's corpus, batch-graded: the reference, an untouched notebook,
    each mistake (with the tests it must lose) and each right variant."""

    course: Course
    lesson: str
    done: subprocess.CompletedProcess
    mistakes: dict[str, tuple[str, frozenset[str]]]  # student -> (mistake, tests lost)
    variants: dict[str, str]  # student -> variant

    @classmethod
    def grade(cls, where: Path, lesson: str,
              mistakes: dict[str, tuple[dict[str, str], frozenset[str] | str]],
              variants: dict[str, dict[str, str]] | None = None) -> GradedLesson:
        course = Course.create(where, lesson)
        course.submit_reference("reference", lesson)
        course.submit("untouched", lesson)
        lost, right = {}, {}
        for number, (mistake, (answers, failing)) in enumerate(sorted(mistakes.items())):
            student = f"wrong{number:02d}"
            course.submit(student, lesson, with_reference(lesson, answers))
            lost[student] = (mistake, frozenset([failing] if isinstance(failing, str)
                                                else failing))
        for number, (variant, answers) in enumerate(sorted((variants or {}).items())):
            student = f"right{number:02d}"
            course.submit(student, lesson, with_reference(lesson, answers))
            right[student] = variant
        return cls(course, lesson, course.batch_grade(lesson), lost, right)

    def student_with(self, mistake: str) -> tuple[str, frozenset[str]]:
        """The student who made ``mistake``, and the tests it must lose."""
        return next((student, lost) for student, (name, lost) in self.mistakes.items()
                    if name == mistake)

    def tests(self, scores: dict[str, float]) -> dict[str, float]:
        """Only the autograded test cells (written answers are read by a person)."""
        return {cell: points for cell, points in scores.items() if cell.startswith("test_")}

    def full(self) -> dict[str, float]:
        return self.tests(self.course.max_scores(self.lesson))

    def scores(self, student: str) -> dict[str, float]:
        return self.tests(self.course.scores(student, self.lesson))

    def reasons(self, student: str) -> dict[str, str]:
        return self.course.reasons(student, self.lesson)


class LessonGradingTests:
    """The end-to-end tests every lesson gets: subclass it as ``Test...`` with
    ``lesson``, and ``mistakes`` (name -> (answers, tests lost)) and
    ``variants`` (name -> answers) as in ``GradedLesson.grade``. The lesson is
    graded once per class; each mistake and each variant is a test of its own,
    so one that fails hides no other."""

    lesson: str
    mistakes: dict[str, tuple[dict[str, str], frozenset[str] | str]] = {}
    variants: dict[str, dict[str, str]] = {}

    def pytest_generate_tests(self, metafunc):
        if "mistake" in metafunc.fixturenames:
            metafunc.parametrize("mistake", sorted(self.mistakes))
        if "variant" in metafunc.fixturenames:
            metafunc.parametrize("variant", sorted(self.variants))

    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        return GradedLesson.grade(tmp_path_factory.mktemp(cls.lesson), cls.lesson,
                                  cls.mistakes, cls.variants)

    def test_the_batch_completes(self, graded):
        assert graded.done.returncode == 0, graded.done.stderr[-3000:]

    def test_reference_gets_full_marks(self, graded):
        assert graded.scores("reference") == graded.full() != {}, graded.reasons("reference")

    def test_untouched_notebook_gets_zero(self, graded):
        assert set(graded.scores("untouched").values()) == {0}

    def test_each_mistake_loses_exactly_its_tests(self, graded, mistake):
        student, lost = graded.student_with(mistake)
        expected = {test: 0 if test in lost else points
                    for test, points in graded.full().items()}
        assert graded.scores(student) == expected, graded.reasons(student)

    def test_right_answers_written_differently_get_full_marks(self, graded, variant):
        student = next(s for s, name in graded.variants.items() if name == variant)
        assert graded.scores(student) == graded.full(), graded.reasons(student)
