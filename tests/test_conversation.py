"""Which cells the re-check's subject is given (``conversation.plan_cells``),
on small hand-built notebooks: no process is started."""

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder.grading.conversation import kernel_stopped_at, plan_cells


def _test_cell(source: str) -> dict:
    return new_code_cell(source, metadata={"nbgrader": {
        "grade_id": "t", "grade": True, "solution": False, "points": 1, "locked": True}})


def _notebook() -> dict:
    return new_notebook(cells=[
        new_markdown_cell("# a lesson"),
        new_code_cell("import threading"),
        new_code_cell("plot_it()", metadata={"tags": ["demo-plot"]}),
        new_code_cell(""),  # the kernel does not count an empty cell
        new_code_cell("def consumer(q): ...", metadata={"nbgrader": {
            "grade_id": "a", "solution": True, "grade": False, "locked": False}}),
        _test_cell("check('leaky_consumer')"),
    ])


def test_demonstrations_are_left_out_and_the_rest_keep_the_kernels_numbers():
    cells = plan_cells(_notebook())
    assert [(c["index"], c["label"], c["test"]) for c in cells] == [
        (1, "1", False), (3, "2", False), (4, "3", False), (5, "4", True)]


def test_nothing_from_the_cell_the_kernel_did_not_finish_on():
    nb = _notebook()
    nb.cells[4].outputs.append(
        new_output("error", ename="CellTimeoutError", evalue="", traceback=[]))
    assert kernel_stopped_at(nb) == 4
    assert [c["index"] for c in plan_cells(nb)] == [1, 3]


def test_a_notebook_not_yet_run_is_planned_whole():
    assert kernel_stopped_at(_notebook()) == len(_notebook().cells)
