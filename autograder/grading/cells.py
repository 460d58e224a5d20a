"""What the grading needs to know about a notebook cell."""

from __future__ import annotations

from nbformat import NotebookNode


def grade_id(cell: NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: graded, not an answer."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output as nbgrader scores it: a test cell with one gets zero."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def has_error(cell: NotebookNode) -> bool:
    return any(out.get("output_type") == "error" for out in cell.get("outputs", []))
