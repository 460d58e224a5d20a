"""Score a test cell only if a judge outside learner code confirms the kernel.

Learner code runs in the same kernel as the test cells, so in that kernel it
can replace the grader, fake a passing check's output, or hide its threads.
After the notebook has run, this preprocessor runs its code cells again in a
fresh, sealed-off process (``recheck.py``, the subject; cells tagged as
demonstrations are left out, see ``cells.is_demonstration``; the conversation
with it is ``conversation.py``). At each test cell the subject stops, and
the judge (``judge/``, here in nbgrader's process, which runs no learner
code) decides the test: it asks the subject to run the learner's functions
on inputs the judge chooses, checks the plain data that comes back, and
watches the subject's threads in ``/proc``. Exercises that have no judge yet
are re-checked inside the subject, as before.

A test cell keeps its points only if it passed in the kernel *and* the judge
(or the re-check) confirms it; otherwise it gets an error output saying why,
which nbgrader scores as zero.

The re-check need not wait for the kernel: ``StartVerification``, placed
before the kernel's ``ResilientExecute``, starts it at once, and the judge
decides every test cell while the kernel runs; what the kernel made of each
cell is read only at the end. Most of both runs is waiting on timeouts, so
side by side they take about as long as the longer one. The judge may then
judge a test the kernel fails: that verdict is not used, and if any test the
kernel passed was not confirmed, the re-check runs again, as after the
kernel, without the failed tests (judging them might be what upset it).

The hidden cases run only here: with ``StartVerification`` in place, the
kernel's ``check(name, hidden=True)`` runs none (``autograder.learner``), as
the judge's verdict on them is the one of record anyway. A test cell then
keeps its points if its visible cases passed in the kernel and all its cases
passed outside it.
"""

from __future__ import annotations

import os

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from . import incidents, sandbox
from .cells import error_output, grade_id, has_error, is_test_cell
from .conversation import Settings, Verification, converse, kernel_stopped_at, plan_cells
from .execute import ResilientExecute
from .judge import exercises_checked
from ..learner import HIDDEN_ELSEWHERE_VARIABLE

STARTED = "autograder_verification"  # a verification started beside the kernel, in resources


class VerifyOutsideKernel(NbGraderPreprocessor):
    cell_timeout = Float(30.0, help="Seconds each cell may take in the fresh process"
                         ).tag(config=True)
    total_timeout = Float(90.0, help="Seconds the whole re-check may take").tag(config=True)
    reply_timeout = Float(10.0, help="Seconds the judge waits for one answer of the "
                          "learner's process").tag(config=True)
    memory_mib = Integer(sandbox.Limits.memory_mib,
                         help="Resident memory the re-check may use, in MiB").tag(config=True)
    tasks = Integer(sandbox.Limits.tasks,
                    help="Threads and processes the re-check may run").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        # Set for this notebook's kernel alone (StartVerification), no other's.
        hidden_elsewhere = os.environ.pop(HIDDEN_ELSEWHERE_VARIABLE, None) == "1"
        if not any(is_test_cell(cell) for cell in nb.cells):
            return nb, resources  # nothing is scored here
        started = resources.pop(STARTED, None)
        if started is None:  # not started beside the kernel: the kernel has run already
            started = self.start(nb, resources)
        recheck = started.result()
        stopped_at = kernel_stopped_at(nb)
        in_kernel = {index: not has_error(cell) for index, cell in enumerate(nb.cells)
                     if is_test_cell(cell)}  # passed there?
        passed = [index for index, ok in in_kernel.items() if ok]
        failed = {index for index, ok in in_kernel.items() if not ok}
        if recheck.tried & failed and not all(recheck.confirmed(index) for index in passed
                                              if index < stopped_at):
            # Judging a test the kernel failed (ahead of the kernel) may be what
            # stopped or upset the re-check: so that it costs no other test, do
            # it again as after the kernel, leaving those tests out.
            recheck = self.start(nb, resources).result()
        if recheck.tampered:
            incidents.record(nb, "tampered",
                             "learner code changed the grader: " + recheck.tampered)
        for index in passed:  # nothing after where the kernel stopped is confirmed
            verdict = recheck.verdicts.get(index) if index < stopped_at else None
            hidden_here = not (hidden_elsewhere and any(
                exercises_checked(nb.cells[index].source).values()))
            self._decide(nb, nb.cells[index], verdict, recheck.stopped, recheck.finished,
                         hidden_here)
        return nb, resources

    def start(self, nb: NotebookNode, resources: dict) -> Verification:
        """Begin the re-check of ``nb`` in a thread of its own: before the
        kernel runs it, or after (then the tests it failed are not judged)."""
        path = resources.get("metadata", {}).get("path") or os.getcwd()
        cells = plan_cells(nb)  # here, before any other thread writes into nb
        failed = {cell["index"] for cell in cells
                  if cell["test"] and has_error(nb.cells[cell["index"]])}
        settings = Settings(self.cell_timeout, self.total_timeout, self.reply_timeout,
                            sandbox.Limits(memory_mib=self.memory_mib, tasks=self.tasks),
                            sandbox.course_paths(self.config))
        return Verification(lambda: converse(cells, path, failed, settings))

    def _decide(self, nb: NotebookNode, cell: NotebookNode, verdict: dict | None,
                stopped: str | None, finished: bool, hidden_here: bool = True) -> None:
        """``hidden_here``: the kernel ran this cell's hidden cases too (none
        are left to the judge alone)."""
        if verdict is None:
            reason = stopped or ("the fresh process ended before this test"
                                 if not finished else "this test was not reached")
            detail = f"not confirmed outside the notebook's kernel: {reason}"
        elif verdict["passed"]:
            return
        elif not hidden_here:
            detail = ("it passed the cases you can see in the notebook's kernel, but not "
                      "when checked outside it with the cases kept for grading: "
                      f"{verdict['message']}")
        else:
            detail = ("it passed in the notebook's kernel but not when checked again "
                      f"outside it: {verdict['message']}")
        incidents.record(nb, "recheck", detail, cell=grade_id(cell))
        for line in (verdict or {}).get("verdicts", []):
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout",
                                             text=f"(fresh process) {line}\n"))
        cell.outputs.append(error_output("NotConfirmed", detail))


class StartVerification(NbGraderPreprocessor):
    """Start ``VerifyOutsideKernel``'s re-check before the kernel runs, so the
    two run side by side. Place it just before ``ResilientExecute``;
    ``VerifyOutsideKernel``, after it, takes the verdicts.

    Only in the sandbox, which ends a kernel's and a re-check's processes with
    the grader. Without it, learner code in the re-check can kill the grader
    before the kernel has run that code, and what the orphaned kernel then
    starts nobody has seen (the batch kills what it saw running below a
    worker): there the re-check waits for the kernel, as it did before.

    Either way it tells the kernel to leave the hidden cases to the judge:
    ``VerifyOutsideKernel`` runs them all, and its verdict is the one kept."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        if not any(is_test_cell(cell) for cell in nb.cells):
            return nb, resources
        # VerifyOutsideKernel, after the kernel, runs every hidden case: the
        # kernel need not (read at its start, so set before it starts).
        os.environ[HIDDEN_ELSEWHERE_VARIABLE] = "1"
        if not sandbox.unsafe_requested():
            ResilientExecute(parent=self.parent).export_limits()
            resources[STARTED] = VerifyOutsideKernel(parent=self.parent).start(nb, resources)
        return nb, resources
