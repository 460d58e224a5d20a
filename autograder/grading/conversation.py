"""The re-check's conversation with its subject, one notebook's worth.

``VerifyOutsideKernel`` decides what a test cell keeps; this is how it finds
out. It starts the subject (``recheck.py``) sealed off, hands it the cells to
run, and at each test cell the subject stops at, either judges the test from
outside (``judge/``) or lets the subject re-check it, for exercises with no
judge. What comes back is kept as plain data (``Rechecked``), and the process
is ended with everything learner code started in it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from . import sandbox
from .cells import is_demonstration, is_test_cell
from .judge import JUDGES, Rejected, Subject, SubjectGone, exercises_checked
from .judge.own_answers import expect_own_answers
from ..learner import HIDDEN_ELSEWHERE_VARIABLE
from .watchdog import Watchdog, process_tree

# Outputs that say the kernel did not run a cell to its end: the cells after
# it ran in a kernel whose state nobody can reproduce, so none is confirmed.
NOT_RUN = ("NotRun", "CellTimeoutError", "KernelDied")

SUBJECT_MODULE = b"autograder.grading.recheck"


@dataclass(frozen=True)
class Settings:
    """The re-check's limits (``VerifyOutsideKernel``'s traitlets) and the
    folders the sandbox hides from it."""

    cell_timeout: float
    total_timeout: float
    reply_timeout: float
    limits: sandbox.Limits
    hidden: tuple[str, ...]


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

    def __init__(self, converse: Callable[[], Rechecked]) -> None:
        self._result: Rechecked | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(converse,),
                                        name="verify outside the kernel", daemon=True)
        self._thread.start()

    def _run(self, converse: Callable[[], Rechecked]) -> None:
        try:
            self._result = converse()
        except BaseException as error:  # noqa: BLE001 - handed to result()
            self._error = error

    def result(self) -> Rechecked:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def kernel_stopped_at(nb: NotebookNode) -> int:
    """The first cell the kernel did not run to its end (the notebook's length
    if there is none, or if it has not run yet)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(out.get("ename") in NOT_RUN
                                            for out in cell.get("outputs", [])):
            return index
    return len(nb.cells)


def plan_cells(nb: NotebookNode) -> list[dict]:
    """The code cells the kernel ran, up to where it stopped, if it did (all
    of them, before it has run), but for demonstrations: running them again
    decides nothing (an answer or a test needs nothing they define), so only
    makes grading slower."""
    cells, ordinal = [], 0
    for index, cell in enumerate(nb.cells[:kernel_stopped_at(nb)]):
        if cell.cell_type != "code":
            continue
        ordinal += bool(cell.source.strip())  # the kernel's count, before it has run
        if is_demonstration(cell):
            continue
        label = str(cell.get("execution_count") or ordinal)
        cells.append({"index": index, "label": label, "source": cell.source,
                      "test": is_test_cell(cell)})
    return cells


def converse(cells: list[dict], path: str, failed: set[int], settings: Settings) -> Rechecked:
    """Run ``cells`` in a sealed-off subject in ``path``; judge each test cell
    but those in ``failed`` (the kernel failed them: nothing to confirm)."""
    sources = {cell["index"]: cell["source"] for cell in cells if cell["test"]}
    verdicts: dict[int, dict] = {}
    tried: set[int] = set()  # the test cells judged or re-checked
    asked_to_run: set[int] = set()  # the only cells whose verdict the subject gives
    stopped, finished, tampered = None, False, ""
    ours, theirs = socket.socketpair()
    # A second line, for open files a judge hands the subject (SCM_RIGHTS).
    files_ours, files_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child, watchdog = _start(cells, path, theirs, files_theirs, settings)
    subject = Subject(ours, lambda: _subject_pid(child.pid), settings.reply_timeout,
                      descriptors=files_ours)
    try:
        while True:
            message = subject.receive(timeout=settings.total_timeout)
            if isinstance(message.get("tampered"), list):
                # kept once: a flood of these must not fill the notebook
                tampered = tampered or ", ".join(map(str, message["tampered"]))[:2000]
            elif type(message.get("at")) is int:
                tried.add(message["at"])
                if _at_test(subject, message["at"], sources, failed, verdicts):
                    asked_to_run.add(message["at"])
            elif type(message.get("verdict")) is int and message["verdict"] in asked_to_run:
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


def _start(cells: list[dict], path: str, channel: socket.socket, files: socket.socket,
           settings: Settings) -> tuple[subprocess.Popen, Watchdog]:
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg",
               PYTHONUNBUFFERED="1", MALLOC_ARENA_MAX="2")
    env.pop(HIDDEN_ELSEWHERE_VARIABLE, None)  # the kernel's leave: here they all run
    program = sandbox.command([sys.executable, "-I", "-m", SUBJECT_MODULE.decode()],
                              workdir=path, limits=settings.limits, env=env,
                              hidden=settings.hidden)
    plan = {"channel_fd": channel.fileno(), "descriptors_fd": files.fileno(),
            "cell_timeout": settings.cell_timeout, "cells": cells}
    child = subprocess.Popen(
        program, cwd=path, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, pass_fds=(channel.fileno(), files.fileno()),
        start_new_session=True)
    channel.close()
    files.close()
    watchdog = Watchdog(child.pid, memory_mib=settings.limits.memory_mib,
                        tasks=settings.limits.tasks, seconds=settings.total_timeout,
                        what="the re-check").start()
    try:
        child.stdin.write(json.dumps(plan).encode())
        child.stdin.close()
    except BrokenPipeError:
        pass
    return child, watchdog


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
