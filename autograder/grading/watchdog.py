"""Watch a sandbox from outside and end it when it takes more than its share.

The kernel's own limits count address space, which every parked thread
reserves by the megabyte: a learner's kernel holding a few hundred idle threads
would fail to start one more although it uses almost no memory. The watchdog
counts what is used instead: the resident memory of every process in the
sandbox, and its threads and processes together, read from ``/proc`` a few
times a second. Over a limit, or past its wall-clock deadline, the whole
sandbox is killed (its pid namespace takes everything in it along) and the
reason is kept for the incident report.
"""

from __future__ import annotations

import os
import signal
import threading
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
# /proc files name processes as the processes chose (a name may be any bytes):
# read as latin-1, which decodes every byte, so no name hides a process.
PROC_TEXT = "latin-1"
MIB = 1024 * 1024


class Watchdog:
    """``Watchdog(pid, memory_mib=..., tasks=..., deadline=...)``, then ``start()``.

    ``reason`` says why it killed the sandbox (None while it has not).
    """

    def __init__(self, pid: int, *, memory_mib: int, tasks: int,
                 seconds: float | None = None, interval: float = 0.1,
                 what: str = "the sandbox", writable: tuple[str, ...] = (),
                 disk_mib: int = 256) -> None:
        self.pid, self.memory_mib, self.tasks, self.what = pid, memory_mib, tasks, what
        # Host folders the sandbox may write (not a size-bounded tmpfs): watched too.
        self.writable, self.disk_mib = writable, disk_mib
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.seconds, self.interval = seconds, interval
        self.reason: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"watchdog {pid}",
                                        daemon=True)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            tree = process_tree(self.pid)
            if not tree:
                return
            self.reason = self._over_limit(tree)
            if self.reason is not None:
                kill_tree(tree)
                return

    def _over_limit(self, tree: list[int]) -> str | None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            return f"{self.what} ran past its time limit of {self.seconds:g} s"
        resident, tasks = usage(tree)
        if resident > self.memory_mib * MIB:
            return (f"{self.what} used more than {self.memory_mib} MiB of memory "
                    f"({resident // MIB} MiB)")
        if tasks > self.tasks:
            return f"{self.what} ran more than {self.tasks} threads and processes ({tasks})"
        written = sum(disk_usage(folder) for folder in self.writable)
        if written > self.disk_mib * MIB:
            return f"{self.what} wrote more than {self.disk_mib} MiB to disk"
        return None


def process_tree(root: int) -> list[int]:
    """``root`` and every process descended from it, parents before children."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = _parent(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    if not os.path.exists(f"/proc/{root}"):
        return []
    tree = [root]
    for pid in tree:  # grows as it goes: breadth first
        tree.extend(children.get(pid, ()))
    return tree


def usage(tree: list[int]) -> tuple[int, int]:
    """Bytes used and tasks (threads, counting each process's main one).

    Bytes used: resident memory, plus what anonymous files (``memfd``) held
    open by the tree take: such a file's pages belong to no process until one
    maps them, so resident memory alone would let a sandbox hoard memory in
    files it never maps.
    """
    resident = tasks = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", encoding=PROC_TEXT) as statm:
                resident += int(statm.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/stat", encoding=PROC_TEXT) as stat:
                tasks += int(stat.read().rsplit(")", 1)[1].split()[17])
        except (OSError, IndexError, ValueError):
            continue  # it ended meanwhile
    return resident + anonymous_files(tree), tasks


def anonymous_files(tree: list[int]) -> int:
    """Bytes of the ``memfd`` files the tree's processes hold open, each counted once."""
    held: dict[tuple[int, int], int] = {}
    for pid in tree:
        folder = f"/proc/{pid}/fd"
        try:
            descriptors = os.listdir(folder)
        except OSError:
            continue
        for fd in descriptors:
            try:
                if os.readlink(f"{folder}/{fd}").startswith("/memfd:"):
                    found = os.stat(f"{folder}/{fd}")
                    held[(found.st_dev, found.st_ino)] = found.st_blocks * 512
            except OSError:
                continue  # closed meanwhile
    return sum(held.values())


def disk_usage(folder: str, at_most: int = 10_000) -> int:
    """Bytes of disk a folder's files take (entries past ``at_most`` count as full)."""
    used, todo, seen = 0, [folder], 0
    while todo:
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > at_most:
                        return 1 << 62
                    stat = entry.stat(follow_symlinks=False)
                    used += stat.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
        except OSError:
            continue
    return used


def kill_tree(tree: list[int]) -> None:
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding=PROC_TEXT) as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
