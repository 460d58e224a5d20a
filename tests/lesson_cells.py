"""Run a lesson's demonstration cell as the notebook has it, so a test pins
the code the learner reads, not a copy of it.

    seen = run_cell("01_leaky_consumer", "demo-zero-as-data", queue=queue, ...)
    seen = run_cell(lesson, "first-cell", "second-cell", ...)  # run in order
    seen["processed"]   # a name the cell defined
"""

from __future__ import annotations

from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]


def run_cell(lesson: str, *tags: str, **names) -> dict:
    """Execute the code cells of text/<lesson> tagged ``tags``, in that order,
    in one namespace holding ``names`` (what the notebook's setup cell
    imported); return the namespace."""
    notebook = jupytext.read(ROOT / "text" / lesson / f"{lesson}.md", fmt="md:myst")
    namespace = dict(names)
    for tag in tags:
        cells = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
        assert len(cells) == 1, f"{lesson} has {len(cells)} cells tagged {tag!r}"
        exec(compile(cells[0].source, f"<{lesson}: {tag}>", "exec"), namespace)
    return namespace
