"""Which threads are alive in this process, by more than one witness.

The threading module's registry is plain Python that learner code can change:
``threading.active_count`` can be replaced, ``threading._active`` cleared.
The operating system's list of the process's threads (``/proc/self/task`` on
Linux) cannot be edited from Python, so the census takes that list as the
truth and matches each OS thread to its ``threading.Thread`` by ``native_id``.
Whatever does not agree is reported as tampering.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import weakref
from dataclasses import dataclass, field

from . import origins
from .locations import Location, stack_of

# The real functions, captured when the checks are imported: later
# replacements by learner code are detected, never trusted.
_REAL_ACTIVE = threading._active  # type: ignore[attr-defined]
REAL_FUNCTIONS = {
    "threading.active_count": threading.active_count,
    "threading.enumerate": threading.enumerate,
    "threading.current_thread": threading.current_thread,
    "threading.Thread.is_alive": threading.Thread.is_alive,
    "threading.Thread.join": threading.Thread.join,
}
real_active_count = threading.active_count
real_join = threading.Thread.join
real_is_alive = threading.Thread.is_alive

_TASK_DIR = "/proc/self/task"

# Threads the checks run themselves (deadline runners, the live monitor).
_own: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def mark_own(thread: threading.Thread) -> threading.Thread:
    """Exclude one of the checks' own threads from every count."""
    _own.add(thread)
    return thread


def is_own(thread: threading.Thread | None) -> bool:
    return thread is not None and thread in _own


def os_thread_ids() -> frozenset[int] | None:
    """The kernel's own list of this process's threads, or None without /proc."""
    try:
        return frozenset(int(name) for name in os.listdir(_TASK_DIR))
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None


def os_thread_cpu_seconds(native_id: int) -> float | None:
    """User plus system CPU time of one thread, from /proc (None if gone)."""
    try:
        with open(f"{_TASK_DIR}/{native_id}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class LiveThread:
    """One thread that is alive now, as the census sees it."""

    key: int  # the OS thread id where /proc exists, else the Python ident
    thread: threading.Thread | None
    stack: tuple[Location, ...] = ()
    hidden_from_registry: bool = False

    @property
    def name(self) -> str:
        if self.thread is None:
            return f"<thread {self.key} unknown to the threading module>"
        return self.thread.name

    @property
    def daemon(self) -> bool:
        return bool(self.thread is not None and self.thread.daemon)

    @property
    def target(self) -> str:
        thread = self.thread
        if thread is None:
            return "unknown"
        target = getattr(thread, "_target", None)
        if target is not None:
            return getattr(target, "__qualname__", repr(target))
        run = type(thread).run
        if run is not threading.Thread.run:
            return run.__qualname__
        return "unknown"

    @property
    def origin(self) -> origins.Origin | None:
        return origins.origin_of(self.thread) if self.thread is not None else None

    @property
    def finished(self) -> bool:
        """Its Python code is done; only the OS thread is still winding down."""
        return self.thread is not None and not real_is_alive(self.thread)


@dataclass
class Census:
    """A snapshot of the process's threads."""

    threads: dict[int, LiveThread]
    os_checked: bool
    tampering: list[str] = field(default_factory=list)

    @property
    def keys(self) -> frozenset[int]:
        return frozenset(self.threads)


def _registry() -> list[threading.Thread]:
    active = getattr(threading, "_active", {})
    threads = list(dict(active).values())
    if active is not _REAL_ACTIVE:
        threads += list(dict(_REAL_ACTIVE).values())
    return threads


def replaced_functions() -> list[str]:
    """Threading functions that are no longer the real ones, and by what."""
    found = []
    for name, real in REAL_FUNCTIONS.items():
        owner_path, _, attribute = name.rpartition(".")
        owner = threading.Thread if owner_path == "threading.Thread" else threading
        current = getattr(owner, attribute, None)
        if current is not real:
            found.append(f"{name} was replaced{_by_what(current)}")
    if getattr(threading, "_active", None) is not _REAL_ACTIVE:
        found.append("threading._active was replaced")
    return found


def _by_what(func: object) -> str:
    code = getattr(func, "__code__", None)
    if code is None:
        return f" (by {func!r})"
    where = Location(code.co_filename, code.co_firstlineno, code.co_name)
    return f" (by {where.label()})"


def take(scan_heap_for: frozenset[int] = frozenset()) -> Census:
    """Take a census.

    ``scan_heap_for`` names OS thread ids to look for among all objects on the
    heap when neither the registry nor the started-threads record knows them
    (slow, so only for threads that matter to the caller).
    """
    frames = sys._current_frames()
    registry = _registry()
    in_registry = {id(t) for t in registry}
    known = registry + [t for t in origins.started_threads() if id(t) not in in_registry]
    tampering = replaced_functions()

    tids = os_thread_ids()
    if tids is None:
        threads = {}
        for thread in known:
            if thread.ident is not None and real_is_alive(thread):
                threads[thread.ident] = LiveThread(
                    thread.ident, thread, stack_of(frames.get(thread.ident))
                )
        return Census(threads, os_checked=False, tampering=tampering)

    # The OS reuses a thread id once its thread has gone (only 32768 ids here),
    # so a finished Thread object may carry the id of a thread running now:
    # the one in the registry, or else one still alive, is the id's owner.
    by_native = {t.native_id: t for t in sorted(
        known, key=lambda t: (id(t) in in_registry, real_is_alive(t)))
        if t.native_id in tids}
    unmatched = (tids - by_native.keys()) & scan_heap_for
    if unmatched:
        for obj in gc.get_objects():
            if isinstance(obj, threading.Thread) and obj.native_id in unmatched:
                by_native[obj.native_id] = obj

    threads = {}
    for tid in tids:
        thread = by_native.get(tid)
        stack = stack_of(frames.get(thread.ident)) if thread is not None else ()
        hidden = (
            thread is not None
            and id(thread) not in in_registry
            and real_is_alive(thread)
        )
        if hidden:
            tampering.append(f'thread "{thread.name}" was removed from threading._active')
        threads[tid] = LiveThread(tid, thread, stack, hidden_from_registry=hidden)
    return Census(threads, os_checked=True, tampering=tampering)
