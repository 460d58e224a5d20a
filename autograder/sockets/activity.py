"""Is a reader thread waiting in the kernel for its socket, or burning the CPU?

Python's stack cannot say: ``conn.recv`` is C code with no frame of its own,
and a thread sits on the same Python line whether it is asleep in ``recv()``
or waiting for the GIL. Linux can: ``/proc/self/task/<tid>/syscall`` names the
system call a sleeping thread is in, with its arguments (the descriptor comes
first), and ``/proc/self/task/<tid>/stat`` and ``status`` give its CPU time
and how often it has woken up.
"""

from __future__ import annotations

import platform
import sys
import threading
import time
from dataclasses import dataclass

from ..threads import census, describe_thread
from ..threads.census import LiveThread, os_thread_cpu_seconds, real_is_alive
from ..threads.locations import stack_of

# System calls in which a thread waits for data: reads (their first argument is
# the descriptor) and waits for readiness (poll, select, epoll: used by
# socket timeouts and selectors). Numbers differ between architectures.
_READS = {
    "x86_64": {0: "read", 19: "readv", 45: "recvfrom", 47: "recvmsg", 299: "recvmmsg"},
    "aarch64": {63: "read", 65: "readv", 207: "recvfrom", 212: "recvmsg", 243: "recvmmsg"},
}
_READINESS = {
    "x86_64": {7: "poll", 23: "select", 232: "epoll_wait", 270: "pselect6", 271: "ppoll",
               281: "epoll_pwait", 441: "epoll_pwait2"},
    "aarch64": {22: "epoll_pwait", 72: "pselect6", 73: "ppoll", 441: "epoll_pwait2"},
}
_MACHINE = platform.machine()

# A reader that used this share of one CPU while it had no data is spinning.
SPIN_SHARE = 0.25
# A reader that woke this many times a second while it had no data is spinning.
SPIN_WAKEUPS = 250
# A thread seen waiting this many times in a row is asleep, not passing through.
CONFIRMATIONS = 3


@dataclass(frozen=True)
class KernelWait:
    """The system call a thread is in, if it is one that waits for data."""

    syscall: str | None  # None: running, or in a call that does not wait for data
    fd: int | None = None  # the descriptor, for reads
    running: bool = False  # runnable: on a CPU or waiting for one, not for data

    def waits_for(self, fd: int) -> bool:
        if self.syscall in _READS.get(_MACHINE, {}).values():
            return self.fd == fd
        return self.syscall is not None  # poll and friends: some descriptor, maybe this one


def kernel_wait(native_id: int) -> KernelWait | None:
    """Which data-waiting system call the thread is in (None: cannot tell here)."""
    if _MACHINE not in _READS:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as stat:
            runnable = stat.read().rsplit(b")", 1)[1].split()[0] == b"R"
        with open(f"/proc/self/task/{native_id}/syscall") as file:
            fields = file.read().split()
    except (OSError, IndexError):
        return None
    if runnable or not fields or fields[0] in ("running", "-1"):
        return KernelWait(None, running=True)  # on a CPU, or waiting only for one
    number = int(fields[0])
    if number in _READS[_MACHINE]:
        return KernelWait(_READS[_MACHINE][number], int(fields[1], 16))
    return KernelWait(_READINESS[_MACHINE].get(number))


@dataclass(frozen=True)
class Activity:
    """A thread's CPU time and wake-ups so far (or used between two moments)."""

    cpu_seconds: float
    wakeups: int  # times it went to sleep and was woken (voluntary context switches)

    def __sub__(self, earlier: Activity) -> Activity:
        return Activity(self.cpu_seconds - earlier.cpu_seconds, self.wakeups - earlier.wakeups)


def activity_of(native_id: int | None) -> Activity | None:
    """CPU time and wake-ups of a live thread, from /proc (None if unknown)."""
    if native_id is None:
        return None
    cpu = os_thread_cpu_seconds(native_id)
    try:
        with open(f"/proc/self/task/{native_id}/status") as status:
            lines = status.read().splitlines()
    except OSError:
        return None
    wakeups = next((int(line.split()[1]) for line in lines
                    if line.startswith("voluntary_ctxt_switches")), 0)
    return None if cpu is None else Activity(cpu, wakeups)


def spinning(used: Activity | None, elapsed: float, running_share: float = 0.0) -> bool:
    """Never really waiting: on a CPU most of the time, or a CPU share no sleeper
    has, or waking up constantly (a loop that sleeps for nothing, or fights for
    the GIL, burns little CPU but wakes thousands of times a second)."""
    if running_share >= 0.5:
        return True
    return used is not None and elapsed > 0 and (
        used.cpu_seconds >= SPIN_SHARE * elapsed or used.wakeups >= SPIN_WAKEUPS * elapsed)


@dataclass(frozen=True)
class ReaderState:
    """Where a reader thread got to while the check waited for it to block.

    ``outcome`` is "waiting" (asleep in a read of the socket, or in poll/select),
    "ended" (its function returned or raised), "busy" (never slept, and used the
    CPU: it spins), "elsewhere" (asleep, but not waiting for the socket) or
    "unknown" (no /proc: assumed waiting after a pause).
    """

    outcome: str
    elapsed: float
    used: Activity | None
    syscall: str | None = None


def wait_until_reader_waits(reader: threading.Thread, fd: int, limit: float = 0.5,
                            settle: float = 0.05) -> ReaderState:
    """Wait until ``reader`` sleeps in the kernel waiting for data on ``fd``.

    Checks must not act before that: closing a socket before the reader has
    entered ``recv()`` makes ``recv`` fail at once, and a wrong answer passes.
    """
    tid = reader.native_id
    began, before = time.monotonic(), activity_of(tid)
    seen = samples = running = 0
    pause = 0.001

    def state(outcome: str, syscall: str | None = None) -> ReaderState:
        now = activity_of(tid)
        used = now - before if now is not None and before is not None else None
        return ReaderState(outcome, time.monotonic() - began, used, syscall)

    while True:
        if not real_is_alive(reader):
            return state("ended")
        wait = kernel_wait(tid) if tid is not None else None
        if wait is None:
            time.sleep(settle)
            return state("ended" if not real_is_alive(reader) else "unknown")
        seen = seen + 1 if wait.waits_for(fd) else 0
        samples, running = samples + 1, running + wait.running
        if seen >= CONFIRMATIONS:
            return state("waiting", wait.syscall)
        if time.monotonic() - began >= limit:
            result = state("busy")
            if not spinning(result.used, result.elapsed, running / samples):
                result = state("elsewhere", wait.syscall)
            return result
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


@dataclass(frozen=True)
class Watch:
    """How a thread spent a short window: shares of samples, and what it used."""

    asleep_on_socket: float  # share of samples waiting for data (see KernelWait.waits_for)
    running: float  # share of samples on a CPU or in its own code
    used: Activity | None


def watch_thread(thread: threading.Thread, fd: int, window: float = 0.2,
                 every: float = 0.002) -> Watch | None:
    """Sample where ``thread`` is for ``window`` seconds (None: cannot tell here).

    Shares of many samples, not one look: a thread that spins on a socket is
    now and then caught inside an instant ``recv()``, and a thread asleep is
    still asleep under load, when a CPU-time share would mislead.
    """
    tid = thread.native_id
    if tid is None:
        return None
    before, asleep, running, samples = activity_of(tid), 0, 0, 0
    end = time.monotonic() + window
    while time.monotonic() < end:
        wait = kernel_wait(tid)
        if wait is None:
            return None
        samples += 1
        asleep += wait.waits_for(fd)
        running += wait.running
        time.sleep(every)
    after = activity_of(tid)
    used = after - before if after is not None and before is not None else None
    return Watch(asleep / samples, running / samples, used)


def live_thread(thread: threading.Thread) -> LiveThread:
    """The census's view of one thread (its stack, origin and flags)."""
    found = census.take().threads.get(thread.native_id or -1)
    if found is not None and found.thread is thread:
        return found
    frame = sys._current_frames().get(thread.ident)
    return LiveThread(thread.native_id or 0, thread, stack_of(frame))


def describe_reader(thread: threading.Thread) -> str:
    """The report's lines for one reader: name, target, the line it is on."""
    return describe_thread(live_thread(thread))
