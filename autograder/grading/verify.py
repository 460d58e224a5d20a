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
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from . import incidents, sandbox
from .cells import error_output, grade_id, has_error, is_demonstration, is_test_cell
from .judge import JUDGES, Rejected, Subject, SubjectGone, exercises_checked
from .judge.own_answers import expect_own_answers
from .watchdog import Watchdog, process_tree

NOT_RUN = ("NotRun", "CellTimeoutError", "KernelDied")
SUBJECT_MODULE = b"autograder.grading.recheck"


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
        if not any(is_test_cell(cell) for cell in nb.cells):
            return nb, resources  # nothing is scored here
        to_judge = {index for index, cell in enumerate(nb.cells)
                    if is_test_cell(cell) and not has_error(cell)}
        cells = self._plan_cells(nb)
        path = resources.get("metadata", {}).get("path") or os.getcwd()
        verdicts, stopped, finished = self._converse(nb, cells, path, to_judge)
        for index in sorted(to_judge):
            self._decide(nb, nb.cells[index], verdicts.get(index), stopped, finished)
        return nb, resources

    @staticmethod
    def _plan_cells(nb: NotebookNode) -> list[dict]:
        """The code cells the kernel ran, up to where it stopped, if it did,
        but for demonstrations: running them again decides nothing (an answer
        or a test needs nothing they define), so only makes grading slower."""
        cells = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if any(out.get("ename") in NOT_RUN for out in cell.get("outputs", [])):
                break
            if is_demonstration(cell):
                continue
            label = str(cell.get("execution_count") or index + 1)
            cells.append({"index": index, "label": label, "source": cell.source,
                          "test": is_test_cell(cell)})
        return cells

    # --- the conversation with the subject ----------------------------------------

    def _converse(self, nb: NotebookNode, cells: list[dict], path: str,
                  to_judge: set[int]) -> tuple[dict[int, dict], str | None, bool]:
        sources = {cell["index"]: cell["source"] for cell in cells if cell["test"]}
        verdicts: dict[int, dict] = {}
        self._asked_to_run: set[int] = set()  # the only cells whose verdict the subject gives
        stopped, finished, tampered_said = None, False, False
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
                    if not tampered_said:  # once: a flood of these must not fill the notebook
                        tampered_said = True
                        incidents.record(nb, "tampered", "learner code changed the grader: "
                                         + ", ".join(map(str, message["tampered"]))[:2000])
                elif type(message.get("at")) is int:
                    self._at_test(subject, message["at"], sources, to_judge, verdicts)
                elif type(message.get("verdict")) is int \
                        and message["verdict"] in self._asked_to_run:
                    self._asked_to_run.discard(message["verdict"])
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
        return verdicts, stopped, finished

    def _at_test(self, subject: Subject, index: int, sources: dict[int, str],
                 to_judge: set[int], verdicts: dict[int, dict]) -> None:
        """The subject stopped at a test cell: judge it, or let it re-check itself."""
        if index not in sources or index in verdicts:
            raise SubjectGone("the re-check process stopped at a cell that is not a test")
        checked = exercises_checked(sources[index])
        if index not in to_judge:
            subject.send(next=True)  # failed in the kernel already: nothing to confirm
        elif checked and all(name in JUDGES for name in checked):
            verdicts[index] = _judged(subject, checked)
            subject.send(next=True)
        else:
            self._asked_to_run.add(index)
            subject.send(run=True)

    def _start(self, cells: list[dict], path: str, channel: socket.socket,
               files: socket.socket):
        env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
                   PYTHONUNBUFFERED="1", MALLOC_ARENA_MAX="2")
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
                stopped: str | None, finished: bool) -> None:
        if verdict is None:
            reason = stopped or ("the fresh process ended before this test"
                                 if not finished else "this test was not reached")
            detail = f"not confirmed outside the notebook's kernel: {reason}"
        elif verdict["passed"]:
            return
        else:
            detail = ("it passed in the notebook's kernel but not when checked again "
                      f"outside it: {verdict['message']}")
        incidents.record(nb, "recheck", detail, cell=grade_id(cell))
        for line in (verdict or {}).get("verdicts", []):
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout",
                                             text=f"(fresh process) {line}\n"))
        cell.outputs.append(error_output("NotConfirmed", detail))


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
