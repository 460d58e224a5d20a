"""Answer cells by grade_id: the reference solutions, and a student notebook
filled in with chosen answers. Used to build the demo class and, in the
tests and benchmarks, submissions of every kind."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = object()  # "this answer cell gets the source notebook's solution"
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
_MARKED = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
_cache: dict[tuple[Path, str], dict[str, str]] = {}


def reference_answers(lesson: str, root: Path = ROOT) -> dict[str, str]:
    """The source notebook's answer cells, solution markers removed."""
    key = (root, lesson)
    if key not in _cache:
        notebook = nbformat.read(root / "source" / lesson / f"{lesson}.ipynb", as_version=4)
        _cache[key] = {
            cell.metadata["nbgrader"]["grade_id"]: _MARKERS.sub("", cell.source).rstrip() + "\n"
            for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("solution")}
    return dict(_cache[key])  # a copy: callers may change it


def student_notebook(lesson: str, answers: dict[str, object] | None = None,
                     root: Path = ROOT) -> nbformat.NotebookNode:
    """The released student notebook with ``answers`` (grade_id -> source, or
    REFERENCE) written into its answer cells."""
    notebook = nbformat.read(root / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    reference = reference_answers(lesson, root)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            source = answers[grade_id]
            cell.source = reference[grade_id] if source is REFERENCE else source
    return notebook


def as_lines(text: str) -> str:
    """Code as a run of stripped, non-blank lines: indentation cannot hide it."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def solution_parts(lesson: str, root: Path = ROOT) -> list[tuple[str, str]]:
    """(grade_id, code as lines) of each solution in a source notebook: the marked
    parts of a solution cell, or the whole cell when it has no marks. One-line
    parts are left out (``self.add(-1)`` is everyone's code); a written answer
    (markdown) is kept whole. What must appear nowhere a learner reads."""
    notebook = nbformat.read(root / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    found = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("solution"):
            continue
        parts = _MARKED.findall(cell.source) or [cell.source]
        found += [(meta["grade_id"], as_lines(part)) for part in parts
                  if len(as_lines(part).splitlines()) >= 2 or cell.cell_type == "markdown"]
    return found
