"""The student edition: a repository for the learners of a graded course.

    python -m course_tools.student_edition DEST      # or: make student-edition DEST=dir

This repository holds every answer: the lessons' text and source notebooks,
the tests' right answers, the demo class. Fine for self-study; for a graded
course, learners get an edition with what they need and nothing that answers
an exercise: the student notebooks, the package their kernel loads (without
``autograder/grading`` and ``autograder/probes``, which only grading runs, and
``autograder/known_good``, the right answers grading puts beside an answer),
the learner's own tools (their copies in ``work/``, JupyterLab set up for a
learner), the files that build the same environment on a laptop or in
Binder, a README of their own and the licence. Its notebooks are the very
files the instructor releases and grades (``notebooks/``).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Copied as they are: paths relative to the repository.
FILES = ["environment.yml", "postBuild", "constraints.txt", "pyproject.toml", "LICENSE",
         "course_tools/__init__.py", "course_tools/workspace.py",
         "course_tools/learner_lab.py"]
FOLDERS = ["notebooks", "autograder"]
# Never copied: what only grading runs (known_good answers exercises), and what
# Python leaves behind.
LEFT_OUT = shutil.ignore_patterns("grading", "probes", "known_good", "__pycache__", "*.pyc",
                                  ".ipynb_checkpoints")

GITIGNORE = """\
.venv/
work/
__pycache__/
*.egg-info/
"""

MAKEFILE = """\
# The learner's commands.
#   make lab                           set up (.venv/) and open the course in JupyterLab
#   make fresh LESSON=01_leaky_consumer   a clean copy of one lesson; yours is kept

PYTHON ?= $(shell command -v python3.11 || command -v python3)
BIN := .venv/bin
LEARNER_CONFIG := $(CURDIR)/.venv/learner-jupyter
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: setup lab fresh

setup: .venv/.installed

.venv/.installed: pyproject.toml constraints.txt
\ttest -x $(BIN)/python || $(PYTHON) -m venv .venv
\t$(BIN)/python -m pip install --quiet -c constraints.txt -e .
\t$(BIN)/python -m autograder.lessons.go
\ttouch $@

lab: setup
\t$(BIN)/python -m course_tools.workspace prepare
\t$(BIN)/python -m course_tools.learner_lab $(LEARNER_CONFIG) >/dev/null
\tJUPYTER_CONFIG_PATH=$(LEARNER_CONFIG) $(BIN)/jupyter lab $(ALLOW_ROOT) \\
\t  --ServerApp.root_dir=$(CURDIR)/work $(CURDIR)/work/00_start_here/00_start_here.ipynb

fresh: setup
\t@test -n "$(LESSON)" || { echo "Which lesson? make fresh LESSON=01_leaky_consumer" >&2; exit 2; }
\t$(BIN)/python -m course_tools.workspace fresh $(LESSON)
"""

README = """\
# Goroutine leaks, in Python: the course

[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/OWNER/REPO/main?urlpath=lab/tree/work/00_start_here/00_start_here.ipynb)
<!-- Instructor: replace OWNER/REPO with this edition's repository. -->

Go's goroutine-leak lessons, reproduced in Python: you watch threads leak,
write the fixes, and check them as you go. Your instructor grades the
exercises.

{lessons}

## Two ways to start

* **In your browser**: the Binder badge above. Nothing to install; the first
  start takes a few minutes. Binder keeps nothing: before you close the tab,
  use the notebook toolbar's Download, or Save to browser storage (and
  Restore from browser storage next time).
* **On your machine** (Python 3.11 and `make`): `make lab` sets everything up
  in `.venv/`, copies the lessons into `work/` and opens them in JupyterLab.

Work in `work/`, your copies: `notebooks/` is the course as released. `make
fresh LESSON=01_leaky_consumer` gives you a clean copy of a lesson and keeps
yours beside it.

## Checking your work

Below each answer cell, a check cell: `check("name")` runs your code and
says, in plain words, what is wrong (which thread leaked, the line of your
code it is stuck on) or that it passed. The Validate button runs them all.

## What you can read here, and why it gives no points away

The checks are in `autograder/`, in plain Python: read them if you like,
the cases the graded run adds (`hidden=True`) included. They contain no
answer: they call your code and compare what it does with what the exercise
asks. Your grade is not decided by running them in your notebook: the
instructor grades your submitted notebook again, in a separate, sealed-off
run, where a judge that runs none of your code picks fresh inputs for every
submission and watches your threads from outside. Code that fakes a check,
or that knows the cases in advance, earns nothing there.

No reference answer is here. The instructor's grading runs `run_session`,
`stop_consumers` and `run_with_waitgroup` beside known-good pieces (a
consumer, a robust consumer, a WaitGroup), so that a mistake in one exercise
costs only its own test. Those pieces are answers, so this copy leaves them
out: here a check runs your answer beside your own piece, and when it fails
it says that the mistake may be in either. Lesson 04 lends you Go's
WaitGroup (`autograder/lessons/waitgroup.py`). Its `wait()` has no timeout,
as Go's has none, so it does not pass lesson 03's check. What is here are
the book's programs and the lessons' demos, which the exercises ask you to
fix or build on (lesson 01's first exercise is the book's own fix, shown
just before it asks for it): that is the course teaching.

## Licence

See `LICENSE`: the code is MIT, the lessons' text CC BY 4.0.
"""


def lessons_table(root: Path = ROOT) -> str:
    """The lesson table of the course's README, for the edition's."""
    lines = (root / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| lesson |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return "\n".join(lines[start:end])


def write(dest: Path, root: Path = ROOT) -> list[Path]:
    """Write the edition into ``dest`` (which must not exist); return its files."""
    if dest.exists():
        raise FileExistsError(f"{dest} exists: give a new folder, so nothing is overwritten")
    for folder in FOLDERS:
        shutil.copytree(root / folder, dest / folder, ignore=LEFT_OUT)
    for name in FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
    (dest / "README.md").write_text(README.format(lessons=lessons_table(root)))
    (dest / "Makefile").write_text(MAKEFILE)
    (dest / ".gitignore").write_text(GITIGNORE)
    return sorted(p for p in dest.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="a new folder for the edition")
    args = parser.parse_args(argv)
    try:
        files = write(args.dest.resolve())
    except FileExistsError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote the student edition: {len(files)} files in {args.dest}")
    print("make it a repository of its own: cd there, git init, commit, push; then put "
          "its address in the README's Binder badge")
    return 0


if __name__ == "__main__":
    sys.exit(main())
