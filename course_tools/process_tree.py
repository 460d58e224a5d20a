"""Processes and everything they started: found while they run, killed together.

A grading worker's kernels run in sessions of their own, so once the worker
is gone nothing else would find them: whoever watches a worker (the local
``supervisor``, the Dask cluster of ``dask_local``) notes what runs below it
while it can, and kills that too.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterable

import psutil


def is_stopped(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_STOPPED
    except psutil.Error:
        return False


def descendants(pid: int) -> list[psutil.Process]:
    """The live processes below ``pid``."""
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if alive(p)]
    except psutil.Error:
        return []


def note_descendants(pid: int, seen: dict[int, psutil.Process]) -> None:
    """Remember every process below ``pid``: once it dies they are orphans
    that nothing else would find (a kernel runs in a session of its own)."""
    try:
        for child in psutil.Process(pid).children(recursive=True):
            seen.setdefault(child.pid, child)
    except psutil.Error:
        pass


def kill_tree(process: multiprocessing.Process, descendants: Iterable[psutil.Process]) -> None:
    """SIGKILL a worker's process group and every descendant seen (and their
    groups), then reap the worker. psutil checks each process is still the
    one seen, so a reused pid is left alone."""
    pid = process.pid
    found = list(descendants)
    if pid is not None and process.is_alive():
        try:
            found.extend(psutil.Process(pid).children(recursive=True))
        except psutil.Error:
            pass
        _kill_group(pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for child in found:
        try:
            if child.is_running():
                _kill_group(child.pid)
                child.kill()
        except psutil.Error:
            pass
    process.join(5)
    psutil.wait_procs([c for c in found if alive(c)], timeout=5)


def _kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, if it leads one."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def alive(process: psutil.Process) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
