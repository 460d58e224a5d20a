"""The README's instructor steps, in its order, on a course as a fresh clone
has it (no gradebook): make gradebook, nbgrader autograde, generate_feedback."""

import re
import shutil
import subprocess
import sys

import pytest

from course_tools.nbgrader_cli import nbgrader, tool_env
from nbgrader_helpers import ROOT, Course

LESSON = "01_leaky_consumer"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


def test_the_readme_names_the_steps_in_order():
    readme = (ROOT / "README.md").read_text()
    steps = [readme.index(step) for step in
             ("`make gradebook` once", "`nbgrader autograde <id>`",
              "`nbgrader\ngenerate_feedback <id>`")]
    assert steps == sorted(steps)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"\ngradebook: setup\n\t\$\(BIN\)/python -m course_tools.gradebook_api",
                     makefile)
    clean = makefile.split("\nclean:", 1)[1].split("\n\n", 1)[0]
    assert "gradebook.db" not in clean  # it holds the manual grades


def test_the_readme_steps_grade_a_fresh_clone(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root)
    for folder in ("source", "notebooks"):
        shutil.copytree(ROOT / folder / LESSON, root / folder / LESSON)
    course = Course(root)
    course.submit_reference("ada", LESSON)
    released = (root / "notebooks" / LESSON / f"{LESSON}.ipynb").read_bytes()

    made = subprocess.run([sys.executable, "-m", "course_tools.gradebook_api"], cwd=root,
                          env=tool_env(), capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    assert nbgrader("autograde", LESSON, cwd=root, check=False, timeout=600).returncode == 0
    assert nbgrader("generate_feedback", LESSON, cwd=root, check=False,
                    timeout=300).returncode == 0

    best = course.max_scores(LESSON)
    assert course.scores("ada", LESSON) == best
    assert (root / "feedback" / "ada" / LESSON / f"{LESSON}.html").is_file()
    # The committed student notebook is left as it was.
    assert (root / "notebooks" / LESSON / f"{LESSON}.ipynb").read_bytes() == released
