"""The re-check started beside the kernel (StartVerification, then the kernel,
then VerifyOutsideKernel, as nbgrader_config.py orders them), on small
hand-built notebooks run by a real sandboxed kernel: it decides as the
re-check run after the kernel does, though it ran ahead of the kernel.

The subject has not loaded ipykernel, so a cell can tell the kernel from the
re-check; that is how these notebooks make the two disagree."""

import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.grading import sandbox
from autograder.grading.execute import ResilientExecute
from autograder.grading.verify import STARTED, StartVerification, VerifyOutsideKernel
from autograder.learner import ELSEWHERE, HIDDEN_ELSEWHERE_VARIABLE
from judge_helpers import FAKE_CHECK, notebook

IN_KERNEL = "__import__('sys').modules.get('ipykernel') is not None"
ANSWER = "def answer():\n    return 1\n"
RIGHT = "assert answer() == 1\n"


def graded(nb: nbformat.NotebookNode, tmp_path, beside: bool = True) -> list[list[str]]:
    """The kernel's run and the re-check, in nbgrader's order; each test cell's
    error outputs, by name (the cells themselves keep the whole outputs)."""
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
    monkeypatch.setenv(HIDDEN_ELSEWHERE_VARIABLE, "")  # put back as it was, after
    resources = {}
    StartVerification().preprocess(notebook(ANSWER, RIGHT), resources)
    assert STARTED not in resources


# Passes the visible cases ([3, 1, 4, 0] and [7, 0, 8, 9]); a queue holding
# only the 0, a hidden case of the kernel's check and of the judge's, it never
# leaves.
STOPS_ONLY_AFTER_AN_ITEM = """
def consumer(ch, out):
    while True:
        item = ch.get()
        if item == 0 and out:
            return
        if item != 0:
            out.append(item)
"""
RIGHT_CONSUMER = STOPS_ONLY_AFTER_AN_ITEM.replace(" and out", "")
CONSUMER_TEST = ('from autograder import check\ncheck("consumer_exit")\n'
                 '### BEGIN HIDDEN TESTS\ncheck("consumer_exit", hidden=True)\n'
                 '### END HIDDEN TESTS\n')


def _printed(nb: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in nb.cells[1].outputs)


def test_the_kernel_leaves_the_hidden_cases_to_the_judge_which_still_decides_them(tmp_path):
    """Run once, outside the kernel: an answer that fails only a hidden case
    loses the test, and says so in the learner's terms."""
    nb = notebook(STOPS_ONLY_AFTER_AN_ITEM, CONSUMER_TEST)
    assert graded(nb, tmp_path) == [["NotConfirmed"]]
    error = next(out for out in nb.cells[1].outputs if out.output_type == "error")
    assert "passed the cases you can see in the notebook's kernel" in error.evalue
    assert "cases kept for grading" in error.evalue and "0" in error.evalue, error.evalue
    assert f"{ELSEWHERE} consumer_exit: the cases kept for grading run outside" in _printed(nb)
    assert HIDDEN_ELSEWHERE_VARIABLE not in os.environ  # this notebook's kernel's alone

    right = notebook(RIGHT_CONSUMER, CONSUMER_TEST)
    assert graded(right, tmp_path) == [[]]
    assert f"{ELSEWHERE} consumer_exit" in _printed(right)


def test_run_after_the_kernel_alone_the_kernel_runs_the_hidden_cases_too(tmp_path):
    """VerifyOutsideKernel without StartVerification (as the unit tests run it):
    nothing tells the kernel to leave them, and it fails the answer itself."""
    nb = notebook(STOPS_ONLY_AFTER_AN_ITEM, CONSUMER_TEST)
    assert graded(nb, tmp_path, beside=False) == [["CheckFailed"]]
    assert ELSEWHERE not in _printed(nb)


@pytest.mark.parametrize("set_when", ["at the start", "by learner code, later"])
def test_only_the_grader_can_leave_hidden_cases_out_and_only_at_the_start(set_when):
    """The kernel reads the leave once, at import. Learner code that sets it
    later (in the re-check, where the hidden cases of exercises without a
    judge run) changes nothing; there the grader also removes it."""
    program = (
        "import os\nimport autograder.learner as learner\n"
        f"os.environ[{HIDDEN_ELSEWHERE_VARIABLE!r}] = '1'\n"
        "learner.check('warm_up', hidden=True, answers={'count_to': lambda n: [0]})\n")
    env = dict(os.environ)
    env.pop(HIDDEN_ELSEWHERE_VARIABLE, None)
    if set_when == "at the start":
        env[HIDDEN_ELSEWHERE_VARIABLE] = "1"
    run = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                         text=True, timeout=60)
    if set_when == "at the start":
        assert run.returncode == 0 and run.stdout.startswith(f"{ELSEWHERE} warm_up"), run
    else:
        assert run.returncode != 0 and "warm_up: not yet" in run.stdout, run
