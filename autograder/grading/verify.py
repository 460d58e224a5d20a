"""Score a test cell only if a fresh process agrees with the learner's kernel.

Learner code runs in the same kernel as the test cells, so in that kernel it
can replace the grader, fake a passing check's output, or hide its threads.
After the notebook has run, this preprocessor hands its code cells to
``autograder.grading.recheck`` in a fresh, isolated, resource-limited Python
process that imports the grader first and repairs it before every test cell.
A test cell keeps its points only if it passed in the kernel *and* there;
otherwise it gets an error output saying why, which nbgrader scores as zero.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import subprocess
import sys
import time

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from . import incidents, sandbox
from .watchdog import Watchdog
from .cells import error_output, grade_id, has_error, is_test_cell

NOT_RUN = ("NotRun", "CellTimeoutError", "KernelDied")


class VerifyOutsideKernel(NbGraderPreprocessor):
    cell_timeout = Float(30.0, help="Seconds each cell may take in the fresh process"
                         ).tag(config=True)
    total_timeout = Float(90.0, help="Seconds the whole re-check may take").tag(config=True)
    memory_mib = Integer(sandbox.Limits.memory_mib,
                         help="Resident memory the re-check may use, in MiB").tag(config=True)
    tasks = Integer(sandbox.Limits.tasks,
                    help="Threads and processes the re-check may run").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict):
        if not any(is_test_cell(cell) for cell in nb.cells):
            return nb, resources  # nothing is scored here
        cells = self._plan_cells(nb)
        path = resources.get("metadata", {}).get("path") or os.getcwd()
        messages = self._run(cells, path)
        verdicts = {m["index"]: m for m in messages if "index" in m}
        stopped = next((m["stopped"] for m in messages if "stopped" in m), None) \
            or self._watchdog.reason
        finished = any(m.get("done") for m in messages)
        for message in messages:
            if "tampered" in message:
                incidents.record(nb, "tampered", "learner code changed the grader: "
                                 + ", ".join(message["tampered"]))
        for index, cell in enumerate(nb.cells):
            if is_test_cell(cell) and not has_error(cell):
                self._judge(nb, cell, verdicts.get(index), stopped, finished)
        return nb, resources

    @staticmethod
    def _plan_cells(nb: NotebookNode) -> list[dict]:
        """The code cells the kernel ran, up to where it stopped, if it did."""
        cells = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if any(out.get("ename") in NOT_RUN for out in cell.get("outputs", [])):
                break
            label = str(cell.get("execution_count") or index + 1)
            cells.append({"index": index, "label": label, "source": cell.source,
                          "test": is_test_cell(cell)})
        return cells

    def _judge(self, nb: NotebookNode, cell: NotebookNode, verdict: dict | None,
               stopped: str | None, finished: bool) -> None:
        if verdict is None:
            reason = stopped or ("the fresh process ended before this test"
                                 if not finished else "this test was not reached")
            detail = f"not confirmed in a fresh process: {reason}"
        elif verdict["passed"]:
            return
        else:
            detail = ("it passed in the notebook's kernel but failed when checked again "
                      f"in a fresh Python process: {verdict['message']}")
        incidents.record(nb, "recheck", detail, cell=grade_id(cell))
        for line in (verdict or {}).get("verdicts", []):
            cell.outputs.append(NotebookNode(output_type="stream", name="stdout",
                                             text=f"(fresh process) {line}\n"))
        cell.outputs.append(error_output("NotConfirmed", detail))

    def _run(self, cells: list[dict], path: str) -> list[dict]:
        token = secrets.token_hex(16)
        read_end, write_end = os.pipe()
        plan = {"token": token, "result_fd": write_end, "cell_timeout": self.cell_timeout,
                "cells": cells}
        env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
                   PYTHONUNBUFFERED="1", MALLOC_ARENA_MAX="2")
        limits = sandbox.Limits(memory_mib=self.memory_mib, tasks=self.tasks)
        program = sandbox.command([sys.executable, "-I", "-m", "autograder.grading.recheck"],
                                  workdir=path, limits=limits, env=env,
                                  hidden=sandbox.course_paths(self.config))
        child = subprocess.Popen(
            program, cwd=path, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=(write_end,), start_new_session=True)
        os.close(write_end)
        self._watchdog = Watchdog(child.pid, memory_mib=self.memory_mib, tasks=self.tasks,
                                  seconds=self.total_timeout, what="the re-check").start()
        try:
            child.stdin.write(json.dumps(plan).encode())
            child.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self._read(read_end, token)
        finally:
            os.close(read_end)
            try:  # the child and anything learner code started in its group
                os.killpg(child.pid, 9)
            except ProcessLookupError:
                pass
            child.wait()
            self._watchdog.stop()

    def _read(self, fd: int, token: str) -> list[dict]:
        """Lines with the token, until end of file or the total timeout."""
        messages, buffer = [], b""
        end = time.monotonic() + self.total_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while (left := end - time.monotonic()) > 0 and selector.select(left):
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(message, dict) and message.pop("token", None) == token:
                        messages.append(message)
        return messages
