"""A scratch copy of the course, for end-to-end nbgrader runs in the tests
and the benchmarks.

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
from nbgrader.api import Gradebook

from autograder.grading.cells import is_demonstration

from .answers import REFERENCE, ROOT, reference_answers, student_notebook
from .nbgrader_cli import nbgrader, tool_env

# The course's identity and folders, and nothing else of its configuration.
STOCK_CONFIG = """c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "goroutine-leaks"
c.CourseDirectory.release_directory = "notebooks"
"""

__all__ = ["REFERENCE", "ROOT", "Course", "failed_cells", "reference_answers",
           "with_reference"]


@dataclass
class Course:
    root: Path
    demonstrations: bool = True

    @classmethod
    def create(cls, where: Path, *lessons: str, extra_config: str = "",
               demonstrations: bool = True, stock: bool = False) -> Course:
        """A course with ``lessons`` generated; ``extra_config`` is appended to
        the course's nbgrader_config.py (shorter timeouts for tests, say).

        ``stock=True``: nbgrader as it comes instead of the course's
        configuration (its own preprocessors: no sandbox, no watchdogs, no
        judge), on the same notebooks, for the benchmarks to compare with.

        ``demonstrations=False``: submissions come without the lesson's
        demonstrations (cells tagged ``demo-...``, as a learner may delete
        them), for corpora that try the grading, not the lesson: seconds
        less per submission, the same graded cells."""
        root = where / "course"
        root.mkdir(parents=True)
        config = STOCK_CONFIG if stock else (ROOT / "nbgrader_config.py").read_text()
        (root / "nbgrader_config.py").write_text(config + "\n" + extra_config + "\n")
        for lesson in lessons:
            shutil.copytree(ROOT / "source" / lesson, root / "source" / lesson)
            nbgrader("generate_assignment", lesson, "--force", cwd=root)
        return cls(root, demonstrations)

    def submit(self, student: str, lesson: str,
               answers: dict[str, object] | None = None,
               edit=None, demonstrations: bool | None = None) -> Path:
        """Submit the student notebook with ``answers`` (grade_id -> source).

        ``edit(notebook)``, if given, may change the notebook further (delete
        or alter cells) before it is saved. ``demonstrations``: keep the
        lesson's demonstrations in this one (None: as the course was created).
        """
        notebook = student_notebook(lesson, answers)
        if not (self.demonstrations if demonstrations is None else demonstrations):
            notebook.cells = [cell for cell in notebook.cells if not is_demonstration(cell)]
        if edit is not None:
            edit(notebook)
        path = self.root / "submitted" / student / lesson / f"{lesson}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        return path

    def submit_reference(self, student: str, lesson: str,
                         demonstrations: bool | None = None) -> Path:
        return self.submit(student, lesson, {k: REFERENCE for k in reference_answers(lesson)},
                           demonstrations=demonstrations)

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
