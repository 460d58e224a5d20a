"""The process that grades: one submission at a time, through nbgrader's API.

A local batch starts several (``supervisor``); a Dask worker starts one per
thread (``dask_task``). Each imports nbgrader once, from the course directory
it grades in, and then autogrades and makes feedback for each job it is sent.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import traceback
from pathlib import Path

from .gradebook_api import is_lock_error, load_api
from .nbgrader_log import failure_cause

LOCK_RETRIES = 4  # an SQLite write that meets a locked database is tried again

_API = None


def _watch_parent(parent: int) -> None:
    """A worker outlives no killed batch: it exits when its parent is gone
    (its kernels then exit too: ipykernel polls its own parent)."""
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def init_worker(course: str, parent: int, log: str | None = None) -> None:
    global _API
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the batch decides what Ctrl-C does
    if log:
        # Kernels and nbgrader write warnings to stderr: keep them in a log,
        # out of the progress bar's way.
        handle = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(handle, 2)
        os.close(handle)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _API = load_api(Path(course), stay=True)


def grade_one(job, feedback: bool = True) -> dict:
    """Autograde one submission (force), then generate its feedback."""
    started = time.perf_counter()
    result: dict = {}
    for attempt in range(LOCK_RETRIES + 1):
        try:
            result = _API.autograde(job.assignment, job.student, force=True, create=True)
        except Exception:  # noqa: BLE001 - reported, never fatal for the batch
            result = {"success": False, "error": traceback.format_exc()}
        if result.get("success") or not is_lock_error(str(result)):
            break
        time.sleep(0.5 * 2 ** attempt)
    outcome = {
        "student": job.student, "assignment": job.assignment,
        "success": bool(result.get("success")),
        "error": _tail(result.get("error")), "log": _tail(result.get("log")),
        "attempts": attempt + 1, "feedback": None, "cause": None,
        "worker": f"{socket.gethostname()} pid {os.getpid()}",
    }
    if not outcome["success"]:
        outcome["cause"] = failure_cause(result.get("log"), result.get("error"))
    if outcome["success"] and feedback:
        try:
            made = _API.generate_feedback(job.assignment, job.student, force=True)
            outcome["feedback"] = bool(made.get("success"))
            if not made.get("success"):
                outcome["log"] = _tail((outcome["log"] or "") + (made.get("error") or ""))
        except Exception:  # noqa: BLE001
            outcome["feedback"] = False
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    outcome["tool_error"] = not outcome["success"] and is_lock_error(str(result))
    return outcome


def _tail(text: str | None, limit: int = 4000) -> str | None:
    return None if text is None else text[-limit:]
