"""Run a lesson's demonstration cell as the notebook has it, so a test pins
the code the learner reads, not a copy of it.

    seen = run_cell("01_leaky_consumer", "demo-zero-as-data", queue=queue, ...)
    seen = run_cell(lesson, "first-cell", "second-cell", ...)  # run in order
    seen["processed"]   # a name the cell defined
"""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]


def run_cell(lesson: str, *tags: str, **names) -> dict:
    """Execute the code cells of text/<lesson> tagged ``tags``, in that order,
    in one namespace holding ``names`` (what the notebook's setup cell
    imported); return the namespace.

    A cell may ``await`` at its top level, as a notebook's may (IPython runs
    it on the kernel's loop): here, every cell of the call runs on one loop
    of its own, so a task one cell starts is still there in the next."""
    notebook = jupytext.read(ROOT / "text" / lesson / f"{lesson}.md", fmt="md:myst")
    namespace = dict(names)
    loop = asyncio.new_event_loop()
    try:
        for tag in tags:
            cells = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
            assert len(cells) == 1, f"{lesson} has {len(cells)} cells tagged {tag!r}"
            code = compile(cells[0].source, f"<{lesson}: {tag}>", "exec",
                           flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            awaited = eval(code, namespace)  # a coroutine when the cell awaits
            if inspect.iscoroutine(awaited):
                loop.run_until_complete(awaited)
    finally:
        loop.close()
    return namespace
