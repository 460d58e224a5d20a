"""A thread of the learner's process, read from outside in its ``/proc``: the
system call it sleeps in (and on which descriptor, and whether with a
timeout), its CPU time and wake-ups, and which descriptors still reach a
socket. The judges of lessons 02 and 05 decide with these; nothing here asks
the learner's process anything."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ...sockets.activity import _MACHINE, _READINESS, _READS, Activity
from ..watchdog import PROC_TEXT
from .subject import Rejected, Subject

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Wait:
    """Where a thread of the subject is, seen in /proc/<pid>/task/<tid>/syscall."""

    syscall: str | None  # a read or a wait for readiness; None: running or elsewhere
    fd: int | None = None  # a read's descriptor, as the subject numbers it
    running: bool = False  # on a CPU or waiting for one
    timed: bool = False  # a wait for readiness that gives up after a timeout: polling

    @property
    def reading(self) -> bool:
        """In a read of one descriptor (``fd``), not a wait for readiness."""
        return self.syscall in _READS.get(_MACHINE, {}).values()


def _task(subject: Subject, tid: int, name: str) -> str:
    return f"/proc/{subject.process()}/task/{tid}/{name}"


def _readiness_timed(name: str, args: list[int]) -> bool:
    """Does this poll/select/epoll wait have a timeout (and so wake up to poll)?"""
    forever = 0xFFFFFFFF  # -1 as a C int
    if name == "poll":
        return args[2] & forever != forever
    if name in ("epoll_wait", "epoll_pwait"):
        return args[3] & forever != forever
    if name in ("select", "pselect6"):
        return args[4] != 0
    if name in ("ppoll", "epoll_pwait2"):
        return args[2 if name == "ppoll" else 3] != 0
    return False


def kernel_wait(subject: Subject, tid: int) -> Wait | None:
    """The data-waiting system call the subject's thread is in; None when /proc
    does not say (gone, or not readable here)."""
    if _MACHINE not in _READS:
        return None
    try:
        with open(_task(subject, tid, "stat"), "rb") as stat:
            runnable = stat.read().rsplit(b")", 1)[1].split()[0] == b"R"
        with open(_task(subject, tid, "syscall"), encoding=PROC_TEXT) as file:
            fields = file.read().split()
    except (OSError, IndexError):
        return None
    if runnable or not fields or fields[0] in ("running", "-1"):
        return Wait(None, running=True)
    number, args = int(fields[0]), [int(f, 16) for f in fields[1:7]]
    if number in _READS[_MACHINE]:
        return Wait(_READS[_MACHINE][number], fd=args[0])
    name = _READINESS[_MACHINE].get(number)
    return Wait(name, timed=name is not None and len(args) == 6 and _readiness_timed(name, args))


def asleep(subject: Subject, tid: int) -> bool | None:
    """Is the subject's thread asleep (state S or D: waiting for something,
    neither on a CPU nor queued for one)? None once it is gone."""
    try:
        with open(_task(subject, tid, "stat"), "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"S", b"D")
    except (OSError, IndexError):
        return None


def activity(subject: Subject, tid: int) -> Activity | None:
    """CPU time and wake-ups of the subject's thread so far (None once it is gone)."""
    try:
        with open(_task(subject, tid, "stat"), "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        with open(_task(subject, tid, "status"), encoding=PROC_TEXT) as status:
            lines = status.read().splitlines()
    except (OSError, IndexError):
        return None
    wakeups = next((int(line.split()[1]) for line in lines
                    if line.startswith("voluntary_ctxt_switches")), 0)
    return Activity((int(fields[11]) + int(fields[12])) / CLOCK_TICKS, wakeups)


def open_as(subject: Subject, inode: int) -> list[int]:
    """The subject's descriptors that still reach the socket with this inode."""
    base, target = f"/proc/{subject.process()}/fd", f"socket:[{inode}]"
    try:
        names = os.listdir(base)
    except OSError as error:
        raise Rejected(f"the judge could not read the process's descriptors ({error})") from None
    found = []
    for name in names:
        try:
            if os.readlink(f"{base}/{name}") == target:
                found.append(int(name))
        except OSError:
            continue  # closed meanwhile
    return sorted(found)


def reads_socket(subject: Subject, wait: Wait, inode: int) -> bool:
    """Asleep waiting for this socket's data: a read of a descriptor that
    reaches it, or (as the in-kernel check counts it) a wait for readiness."""
    if wait.reading:
        try:
            return os.readlink(f"/proc/{subject.process()}/fd/{wait.fd}") == f"socket:[{inode}]"
        except OSError:
            return False
    return wait.syscall is not None
