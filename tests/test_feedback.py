"""HideHiddenTests on a small hand-built notebook: the feedback a learner gets
keeps their verdicts and loses the hidden tests' code, wherever it would show."""

from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.grading.feedback import HIDDEN_NOTE, HideHiddenTests

HIDDEN_LINE = 'check("robust_stop", hidden=True)'
TEST_SOURCE = f'check("robust_stop")\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS\n'
VERDICT = "\N{CROSS MARK} robust_stop: not yet.\nstop_consumers left 2 item(s) in the queue.\n"


def _test_cell():
    return new_code_cell(TEST_SOURCE, metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "test_robust_stop",
        "points": 5}}, outputs=[
        new_output("stream", name="stdout", text=VERDICT),
        new_output("error", ename="CheckFailed", evalue="robust_stop: left 2 item(s)",
                   traceback=["Traceback (most recent call last)",
                              f"----> 4 {HIDDEN_LINE}", "CheckFailed: robust_stop: ..."])])


def _feedback(*cells):
    nb, _ = HideHiddenTests().preprocess(new_notebook(cells=list(cells)), {})
    return nb.cells


def test_a_test_cell_loses_its_hidden_block_and_keeps_its_visible_call():
    cell, = _feedback(_test_cell())
    assert HIDDEN_LINE not in cell.source and "HIDDEN TESTS" not in cell.source
    assert cell.source.startswith('check("robust_stop")\n') and HIDDEN_NOTE in cell.source


def test_a_failed_test_shows_its_verdict_and_no_line_of_the_hidden_test():
    cell, = _feedback(_test_cell())
    stream, error = cell.outputs
    assert stream.text == VERDICT
    assert error.traceback == ["CheckFailed: robust_stop: left 2 item(s)"]


def test_cells_that_are_not_tests_are_left_as_they_are():
    answer = new_code_cell(TEST_SOURCE, metadata={"nbgrader": {
        "grade": False, "solution": True, "grade_id": "robust_stop"}})
    plain = new_code_cell(TEST_SOURCE)
    answer_after, plain_after = _feedback(answer, plain)
    assert answer_after.source == plain_after.source == TEST_SOURCE
