"""Score a test cell only if a judge outside learner code confirms the kernel.

Learner code runs in the same kernel as the test cells, so in that kernel it
can replace the grader, fake a passing check's output, or hide its threads.
After the notebook has run, this preprocessor runs its code cells again in a
fresh, sealed-off process (``recheck.py``, the subject; cells tagged as
demonstrations are left out, see ``cells.is_demonstration``). At each test cell
the subject stops, and the judge (``judge/``, here in nbgrader's process,
which runs no learner code) decides the test: it asks the subject to run the
learner's functions on inputs the judge chooses, checks the plain data that
comes back, and watches the subject's threads in ``/proc``. Exercises that
have no judge yet are re-checked inside the subject, as before.

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

import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from . import incidents, sandbox
from .cells import error_output, grade_id, has_error, is_demonstration, is_test_cell
from .execute import ResilientExecute
from .judge import JUDGES, Rejected, Subject, SubjectGone, exercises_checked
from .judge.own_answers import expect_own_answers
from ..learner import HIDDEN_ELSEWHERE_VARIABLE
from .watchdog import Watchdog, process_tree

# Outputs that say the kernel did not run a cell to its end: the cells after
# it ran in a kernel whose state nobody can reproduce, so none is confirmed.
NOT_RUN = ("NotRun", "CellTimeoutError", "KernelDied")

SUBJECT_MODULE = b"autograder.grading.recheck"
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
        stopped_at = _kernel_stopped_at(nb)
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
        cells = self._plan_cells(nb)  # here, before any other thread writes into nb
        failed = {cell["index"] for cell in cells
                  if cell["test"] and has_error(nb.cells[cell["index"]])}
        return Verification(lambda: self._converse(cells, path, failed))

    @staticmethod
    def _plan_cells(nb: NotebookNode) -> list[dict]:
        """The code cells the kernel ran, up to where it stopped, if it did
        (all of them, before it has run), but for demonstrations: running
        them again decides nothing (an answer or a test needs nothing they
        define), so only makes grading slower."""
        cells, ordinal = [], 0
        for index, cell in enumerate(nb.cells[:_kernel_stopped_at(nb)]):
            if cell.cell_type != "code":
                continue
            ordinal += bool(cell.source.strip())  # the kernel's count, before it has run
            if is_demonstration(cell):
                continue
            label = str(cell.get("execution_count") or ordinal)
            cells.append({"index": index, "label": label, "source": cell.source,
                          "test": is_test_cell(cell)})
        return cells

    # --- the conversation with the subject ----------------------------------------

    def _converse(self, cells: list[dict], path: str, failed: set[int]) -> Rechecked:
        sources = {cell["index"]: cell["source"] for cell in cells if cell["test"]}
        verdicts: dict[int, dict] = {}
        tried: set[int] = set()  # the test cells judged or re-checked
        asked_to_run: set[int] = set()  # the only cells whose verdict the subject gives
        stopped, finished, tampered = None, False, ""
        ours, theirs = socket.socketpair()
        # A second line, for open files a judge hands the subject (SCM_RIGHTS).
        files_ours, files_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        child, watchdog = self._start(cells, path, theirs, files_theirs)
        subject = Subject(ours, lambda: _subject_pid(child.pid), self.reply_timeout,
                          descriptors=files_ours)
        try:
            while True:
                message = subject.receive(timeout=self.total_timeout)
                if isinstance(message.get("tampered"), list):
                    # kept once: a flood of these must not fill the notebook
                    tampered = tampered or ", ".join(map(str, message["tampered"]))[:2000]
                elif type(message.get("at")) is int:
                    tried.add(message["at"])
                    if self._at_test(subject, message["at"], sources, failed, verdicts):
                        asked_to_run.add(message["at"])
                elif type(message.get("verdict")) is int \
                        and message["verdict"] in asked_to_run:
                    asked_to_run.discard(message["verdict"])
                    verdicts[message["verdict"]] = _plain_verdict(message)
                elif isinstance(message.get("stopped"), str):
                    stopped = message["stopped"][:500]
                elif message.get("done") is True:
                    finished = True
                    break
        except SubjectGone as gone:
            stopped = stopped or watchdog.reason or str(gone)
        except Exception as error:  # noqa: BLE001 - whatever the subject sent, grading goes on
            stopped = f"the re-check process sent what the judge cannot use ({error!r})"[:500]
        finally:
            ours.close()
            files_ours.close()
            _end(child)
            watchdog.stop()
        return Rechecked(verdicts, stopped, finished, tampered, tried - failed)

    @staticmethod
    def _at_test(subject: Subject, index: int, sources: dict[int, str],
                 failed: set[int], verdicts: dict[int, dict]) -> bool:
        """The subject stopped at a test cell: judge it, or let it re-check
        itself (then its verdict is to come: True)."""
        if index not in sources or index in verdicts:
            raise SubjectGone("the re-check process stopped at a cell that is not a test")
        checked = exercises_checked(sources[index])
        if index in failed:
            subject.send(next=True)  # failed in the kernel already: nothing to confirm
            return False
        if checked and all(name in JUDGES for name in checked):
            verdicts[index] = _judged(subject, checked)
            subject.send(next=True)
            return False
        subject.send(run=True)
        return True

    def _start(self, cells: list[dict], path: str, channel: socket.socket,
               files: socket.socket):
        env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
                   PYTHONUNBUFFERED="1", MALLOC_ARENA_MAX="2")
        env.pop(HIDDEN_ELSEWHERE_VARIABLE, None)  # the kernel's leave: here they all run
        limits = sandbox.Limits(memory_mib=self.memory_mib, tasks=self.tasks)
        program = sandbox.command([sys.executable, "-I", "-m", SUBJECT_MODULE.decode()],
                                  workdir=path, limits=limits, env=env,
                                  hidden=sandbox.course_paths(self.config))
        plan = {"channel_fd": channel.fileno(), "descriptors_fd": files.fileno(),
                "cell_timeout": self.cell_timeout, "cells": cells}
        child = subprocess.Popen(
            program, cwd=path, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(channel.fileno(), files.fileno()),
            start_new_session=True)
        channel.close()
        files.close()
        watchdog = Watchdog(child.pid, memory_mib=self.memory_mib, tasks=self.tasks,
                            seconds=self.total_timeout, what="the re-check").start()
        try:
            child.stdin.write(json.dumps(plan).encode())
            child.stdin.close()
        except BrokenPipeError:
            pass
        return child, watchdog

    # --- the verdict ------------------------------------------------------------------

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


@dataclass
class Rechecked:
    """What the re-check made of a notebook."""

    verdicts: dict[int, dict]  # by test cell: {"passed", "message", "verdicts"}
    stopped: str | None  # why it ended early, if it did
    finished: bool  # it ran every cell it was given
    tampered: str  # what learner code changed in the grader, if anything
    tried: set[int]  # the test cells it judged or re-checked

    def confirmed(self, index: int) -> bool:
        return bool(self.verdicts.get(index, {}).get("passed"))


class Verification:
    """A re-check running in a thread of its own; ``result()`` waits for it."""

    def __init__(self, converse) -> None:
        self._result: Rechecked | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(converse,),
                                        name="verify outside the kernel", daemon=True)
        self._thread.start()

    def _run(self, converse) -> None:
        try:
            self._result = converse()
        except BaseException as error:  # noqa: BLE001 - handed to result()
            self._error = error

    def result(self) -> Rechecked:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


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


def _judged(subject: Subject, checked: dict[str, bool]) -> dict:
    for name, hidden in checked.items():
        try:
            expect_own_answers(subject, name)
            JUDGES[name](subject, hidden)
        except SubjectGone:
            raise
        except Rejected as rejected:
            return {"passed": False, "message": f"{name}: {rejected}", "verdicts": []}
    return {"passed": True, "message": None, "verdicts": []}


def _plain_verdict(message: dict) -> dict:
    """A verdict the subject re-checked itself, kept only as plain strings."""
    lines = message.get("verdicts")
    return {"passed": message.get("passed") is True,
            "message": str(message.get("message"))[:2000],
            "verdicts": [line[:2000] for line in lines if isinstance(line, str)][:20]
            if isinstance(lines, list) else []}


def _kernel_stopped_at(nb: NotebookNode) -> int:
    """The first cell the kernel did not run to its end (the notebook's length
    if there is none, or if it has not run yet)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(out.get("ename") in NOT_RUN
                                            for out in cell.get("outputs", [])):
            return index
    return len(nb.cells)


def _subject_pid(root: int) -> int | None:
    """The re-check process: the first process under the sandbox running it
    (anything learner code starts lies deeper)."""
    wanted = [sys.executable.encode(), b"-I", b"-m", SUBJECT_MODULE]
    for pid in process_tree(root):  # bubblewrap and prlimit name it too, as arguments
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:4] == wanted:
                return pid
        except OSError:
            continue
    return None


def _end(child: subprocess.Popen) -> None:
    try:  # the child and anything learner code started in its group
        os.killpg(child.pid, 9)
    except ProcessLookupError:
        pass
    child.wait()
