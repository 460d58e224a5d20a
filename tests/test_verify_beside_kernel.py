"""The re-check started beside the kernel (StartVerification, then the kernel,
then VerifyOutsideKernel, as nbgrader_config.py orders them), on small
hand-built notebooks run by a real sandboxed kernel: it decides as the
re-check run after the kernel does, though it ran ahead of the kernel.

The subject has not loaded ipykernel, so a cell can tell the kernel from the
re-check; that is how these notebooks make the two disagree."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading import sandbox
from autograder.grading.execute import ResilientExecute
from autograder.grading.verify import STARTED, StartVerification, VerifyOutsideKernel
from judge_helpers import FAKE_CHECK, notebook

IN_KERNEL = "__import__('sys').modules.get('ipykernel') is not None"
ANSWER = "def answer():\n    return 1\n"
RIGHT = "assert answer() == 1\n"


def graded(nb: nbformat.NotebookNode, tmp_path, beside: bool = True) -> list[list[str]]:
    """The kernel's run and the re-check, in nbgrader's order; each test cell's
    error outputs, by name."""
    resources = {"metadata": {"path": str(tmp_path)}}
    steps = [ResilientExecute(timeout=3, interrupt_grace=3), VerifyOutsideKernel()]
    if beside:
        steps.insert(0, StartVerification())
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
        if isinstance(step, StartVerification):
            assert resources[STARTED]._thread.is_alive()  # before the kernel has run a cell
            assert not any(cell.get("outputs") for cell in nb.cells)
    return [[out.ename for out in cell.outputs if out.output_type == "error"]
            for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("beside", [True, False], ids=["beside the kernel", "after it"])
def test_a_right_answer_keeps_its_points_and_a_faked_check_loses_them(tmp_path, beside):
    nb = notebook(ANSWER + FAKE_CHECK, RIGHT,
                  "import autograder\nautograder.check('call_with_timeout')\n")
    assert graded(nb, tmp_path, beside) == [[], ["NotConfirmed"]]


def test_a_test_the_kernel_failed_costs_no_other_test_though_judging_it_ended_the_recheck(
        tmp_path):
    """The re-check, ahead of the kernel, runs a test that the kernel then
    fails, and that test ends the re-check's process (learner code can do
    that, or the judge's inputs can). Run after the kernel, the re-check would
    have left that test out: the test after it keeps its points either way."""
    ends_the_recheck = (f"import os\nif not {IN_KERNEL}:\n    os._exit(1)\n"
                        "assert False, 'failed in the kernel'\n")
    nb = notebook(ANSWER, ends_the_recheck, RIGHT)
    assert graded(nb, tmp_path) == [["AssertionError"], []]


def test_nothing_after_a_cell_the_kernel_did_not_finish_is_confirmed(tmp_path):
    """The kernel interrupts a cell past its timeout and goes on; the re-check,
    which ran ahead and finished that cell, confirmed the test after it. The
    kernel's state after an interrupted cell is nobody's to reproduce: the
    test loses its points, as it does when the re-check runs after the kernel."""
    stuck = new_code_cell(f"import time\nif {IN_KERNEL}:\n    time.sleep(60)\n")
    nb = notebook(ANSWER, RIGHT)
    nb.cells.append(stuck)
    nb.cells.append(notebook(ANSWER, RIGHT).cells[1])
    nb.cells[-1].metadata["nbgrader"]["grade_id"] = "after_the_stuck_cell"
    for beside in (True, False):
        nb_copy = new_notebook(cells=[nbformat.from_dict(c) for c in nb.cells])
        assert graded(nb_copy, tmp_path, beside) == [[], ["NotConfirmed"]], beside


def test_without_the_sandbox_the_recheck_waits_for_the_kernel(monkeypatch):
    """Nothing then ends the kernel's processes with the grader: learner code
    in a re-check running ahead could kill the grader before the kernel ran
    it, and leave the kernel's later processes unseen (tests/test_batch_survives.py)."""
    monkeypatch.setenv(sandbox.UNSAFE_VARIABLE, "1")
    resources = {}
    StartVerification().preprocess(notebook(ANSWER, RIGHT), resources)
    assert STARTED not in resources
