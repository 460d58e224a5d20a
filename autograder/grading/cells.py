"""What the grading needs to know about a notebook cell."""

from __future__ import annotations

from nbformat import NotebookNode


def grade_id(cell: NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: graded, not an answer."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


# Tags of the cells a lesson runs to show something (a demonstration, a Go
# program): they define nothing an answer or a test needs.
DEMONSTRATION_TAGS = ("demo-", "go-")


def is_demonstration(cell: NotebookNode) -> bool:
    """A code cell the lesson tags as a demonstration, and not an answer or a test."""
    meta = cell.metadata.get("nbgrader", {})
    tags = cell.metadata.get("tags", [])
    return (cell.cell_type == "code" and not meta.get("grade") and not meta.get("solution")
            and isinstance(tags, list)
            and any(isinstance(tag, str) and tag.startswith(DEMONSTRATION_TAGS)
                    for tag in tags))


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An error output as nbgrader scores it: a test cell with one gets zero."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def has_error(cell: NotebookNode) -> bool:
    return any(out.get("output_type") == "error" for out in cell.get("outputs", []))
