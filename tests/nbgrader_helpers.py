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

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from autograder.grading.nbgrader_cli import nbgrader, tool_env

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = object()  # "use the reference solution for this cell"
_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.M)


def reference_answers(lesson: str) -> dict[str, str]:
    """The source notebook's answer cells, solution markers removed."""
    notebook = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: _MARKERS.sub("", cell.source)
            for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


@dataclass
class Course:
    root: Path

    @classmethod
    def create(cls, where: Path, *lessons: str, extra_config: str = "") -> "Course":
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
        notebook = nbformat.read(ROOT / "notebooks" / lesson / f"{lesson}.ipynb",
                                 as_version=4)
        reference = reference_answers(lesson)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if answers and grade_id in answers:
                source = answers[grade_id]
                cell.source = reference[grade_id] if source is REFERENCE else source
        if edit is not None:
            edit(notebook)
        path = self.root / "submitted" / student / lesson / f"{lesson}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        return path

    def submit_reference(self, student: str, lesson: str) -> Path:
        return self.submit(student, lesson, {k: REFERENCE for k in reference_answers(lesson)})

    def batch_grade(self, *lessons: str, workers: int = 2, feedback: bool = False,
                    timeout: float = 1200):
        """The instructor's path: the course's parallel batch grader, which
        grades with nbgrader itself (its equivalence with sequential
        `nbgrader autograde` is tested in test_batch_grading.py)."""
        command = [sys.executable, "-m", "autograder.grading.batch", *lessons, "--course",
                   str(self.root), "--workers", str(workers), "--no-progress"]
        if not feedback:
            command.append("--no-feedback")
        return subprocess.run(command, env=tool_env(), capture_output=True, text=True,
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

    def max_scores(self, lesson: str) -> dict[str, float]:
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gradebook:
            notebook = gradebook.find_notebook(lesson, lesson)
            return {cell.name: cell.max_score for cell in notebook.grade_cells}
