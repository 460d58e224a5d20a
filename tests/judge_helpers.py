"""Small hand-built notebooks judged for real: an answer cell and test cells
that "passed in the kernel" (no error output), so the judge's word is all
that stands. VerifyOutsideKernel runs the sealed-off subject process."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading.incidents import incidents
from autograder.grading.verify import VerifyOutsideKernel

# Fools the learner's kernel; in front of the judge it is worth nothing.
FAKE_CHECK = """
import autograder
autograder.check = lambda *args, **kwargs: print("\\u2705 passed")
"""


def notebook(answer: str, *tests: str, grade_id: str = "answer") -> nbformat.NotebookNode:
    """An answer cell, then one test cell per source in ``tests``."""
    cells = [new_code_cell(answer, metadata={"nbgrader": {
        "grade_id": grade_id, "solution": True, "grade": False, "locked": False}})]
    for number, source in enumerate(tests):
        cells.append(new_code_cell(source, metadata={"nbgrader": {
            "grade_id": f"test{number}", "solution": False, "grade": True, "points": 1,
            "locked": True}}))
    return new_notebook(cells=cells)


def judge_all(nb: nbformat.NotebookNode, tmp_path, total_timeout: float = 90) -> list[list]:
    """The error outputs of each test cell once the judge has been through."""
    VerifyOutsideKernel(total_timeout=total_timeout).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    return [[out for out in cell.outputs if out.output_type == "error"]
            for cell in nb.cells[1:]]


def judged(answer: str, test: str, tmp_path) -> tuple[list, list]:
    """One test cell: its error outputs, and the notebook's incidents."""
    nb = notebook(answer, test)
    return judge_all(nb, tmp_path, total_timeout=60)[0], incidents(nb)


def rejected(errors: list, *words: str) -> None:
    assert [e.ename for e in errors] == ["NotConfirmed"], errors
    for word in words:
        assert word in errors[0].evalue, errors[0].evalue
