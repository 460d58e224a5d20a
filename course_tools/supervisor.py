"""Worker processes that grade one job each at a time, watched from outside.

A submission's code runs in a kernel whose parent is the worker grading it,
so without a sandbox it can kill that worker (``os.kill(os.getppid(),
signal.SIGKILL)``), stop it (``SIGSTOP``) or simply never let the job end.
A process pool cannot tell which job did it (one death breaks the whole
pool) and has no time limit, so the batch uses this instead:

* each worker has its own pipe and runs one job at a time, so a worker that
  dies or stalls names exactly one job;
* a worker that dies while grading gets its job back once, on a fresh
  worker: if the same job kills its worker again, it is lost (``KILLED``).
  Other workers are untouched, so nothing else is charged for it;
* a worker seen stopped (SIGSTOP) for ``STOPPED_GRACE`` seconds, or a job
  that runs past ``job_timeout``, is lost at once (``STOPPED``, ``TIMEOUT``);
* a worker that is lost is killed, with its process group and every
  process seen below it (its kernels run in sessions of their own), and
  replaced.

The caller gets ``Done(job, outcome)`` or ``Lost(job, kind, detail)`` for
each job and decides what a lost job costs.
"""

from __future__ import annotations

import collections
import multiprocessing
import multiprocessing.connection
import os
import signal
import time
import traceback
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable, Iterator

import psutil

from .process_tree import is_stopped, kill_tree, note_descendants

KILLED = "grader killed"
STOPPED = "grader stopped"
TIMEOUT = "job timeout"
ERROR = "grading error"  # the task itself raised: reported, never retried
# Seconds: above all the limits inside one job (the notebook 90 s, its re-check 90 s,
# nbgrader around them), so it only ever catches a job that stalled outside them.
DEFAULT_JOB_TIMEOUT = 300.0
STOPPED_GRACE = 2.0  # seconds a busy worker may be seen stopped before its job is lost
DEATHS_BEFORE_LOST = 2  # a job whose worker dies this often (each time a fresh one) is lost
STARTUP_FAILURES = 3  # workers dying in a row before they are ready: the tool is broken
TICK = 0.5  # seconds between looks at the busy workers


@dataclass(frozen=True)
class Done:
    job: Any
    outcome: Any


@dataclass(frozen=True)
class Lost:
    job: Any
    kind: str  # KILLED, STOPPED, TIMEOUT or ERROR
    detail: str  # what happened, in the instructor's words
    seconds: float = 0.0


def serve(conn, initializer: Callable | None, initargs: tuple, task: Callable,
          task_args: tuple) -> None:
    """A worker: its own process group, then one job at a time from the pipe."""
    os.setpgrp()  # so the supervisor can kill it with everything it started
    if initializer is not None:
        initializer(*initargs)
    conn.send(("ready", None, None))
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the supervisor is gone
            return
        if job is None:
            return
        try:
            message = ("done", job, task(job, *task_args))
        except Exception:  # noqa: BLE001 - the supervisor reports it
            message = ("error", job, traceback.format_exc())
        conn.send(message)


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: Any
    ready: bool = False
    job: Any = None
    started: float = 0.0
    stopped_since: float | None = None
    seen: dict[int, psutil.Process] = field(default_factory=dict)  # descendants

    @property
    def busy(self) -> bool:
        return self.job is not None


class Supervisor:
    """Run ``task(job, *task_args)`` for each job in ``size`` watched workers.

    Use it as a context manager: leaving it stops every worker (killing
    them if they do not stop when asked).
    """

    def __init__(self, size: int, task: Callable, task_args: tuple = (),
                 initializer: Callable | None = None, initargs: tuple = (),
                 job_timeout: float = DEFAULT_JOB_TIMEOUT, stopped_grace: float = STOPPED_GRACE,
                 deaths_before_lost: int = DEATHS_BEFORE_LOST, tick: float = TICK):
        self.size = max(1, size)
        self.task, self.task_args = task, task_args
        self.initializer, self.initargs = initializer, initargs
        self.job_timeout, self.stopped_grace = job_timeout, stopped_grace
        self.deaths_before_lost, self.tick = deaths_before_lost, tick
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[_Worker] = []
        self.replaced = 0  # workers lost and started again

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc) -> None:
        self.close(kill=exc[0] is not None)

    # --- the jobs ----------------------------------------------------------

    def run(self, jobs: Iterable) -> Iterator[Done | Lost]:
        """Each job's Done or Lost, in the order they end."""
        queue = collections.deque(jobs)
        deaths: collections.Counter = collections.Counter()
        failed_starts = 0
        while len(self.workers) < min(self.size, len(queue)):
            self.workers.append(self._start())
        while queue or any(w.busy for w in self.workers):
            for worker in self.workers:
                if worker.ready and not worker.busy and queue and self._give(worker, queue[0]):
                    queue.popleft()
            self._wait()
            for worker in list(self.workers):
                alive = worker.process.is_alive()  # before reading: a dead one sent all it will
                event = self._receive(worker)
                if event is not None:
                    yield event
                if alive:
                    continue
                if not worker.ready:
                    failed_starts += 1
                    if failed_starts >= STARTUP_FAILURES:
                        raise SystemExit(
                            "the grading workers die as they start (exit code "
                            f"{worker.process.exitcode}); see the workers' log")
                else:
                    failed_starts = 0
                job, seconds = worker.job, self._elapsed(worker)
                self._replace(worker, need=bool(queue) or job is not None)
                if job is None:
                    continue
                deaths[job] += 1
                if deaths[job] < self.deaths_before_lost:
                    queue.appendleft(job)  # perhaps not its fault: once more, on a fresh worker
                else:
                    yield Lost(job, KILLED, died_detail(worker.process.exitcode, deaths[job]),
                               seconds)
            for worker in list(self.workers):
                lost = self._watch(worker)
                if lost is not None:
                    self._replace(worker, need=bool(queue))
                    yield lost

    def _give(self, worker: _Worker, job) -> bool:
        """Send ``job`` to an idle worker; False if it died before it got it
        (the job stays queued: it cannot be blamed for that death)."""
        try:
            worker.conn.send(job)
        except OSError:
            return False
        worker.job, worker.started = job, time.monotonic()
        worker.stopped_since, worker.seen = None, {}
        return True

    def _wait(self) -> None:
        ready = [w.conn for w in self.workers] + [w.process.sentinel for w in self.workers]
        multiprocessing.connection.wait(ready, timeout=self.tick)

    def _receive(self, worker: _Worker) -> Done | Lost | None:
        """The worker's message, if it sent one: ready, or its job's end."""
        try:
            if not worker.conn.poll():
                return None
            kind, job, value = worker.conn.recv()
        except (EOFError, OSError):
            return None  # it died: the caller sees that
        if kind == "ready":
            worker.ready = True
            return None
        worker.job, seconds = None, self._elapsed(worker)
        if kind == "done":
            return Done(job, value)
        last = value.strip().splitlines()[-1] if value.strip() else "an error"
        return Lost(job, ERROR, f"the grading itself failed on it: {last}", seconds)

    def _watch(self, worker: _Worker) -> Lost | None:
        """A busy worker that is stopped or over its time is lost (and killed)."""
        if not worker.busy or not worker.process.is_alive():
            return None
        note_descendants(worker.process.pid, worker.seen)
        now = time.monotonic()
        if is_stopped(worker.process.pid):
            worker.stopped_since = worker.stopped_since or now
            if now - worker.stopped_since >= self.stopped_grace:
                return Lost(worker.job, STOPPED, "its grading process was stopped (SIGSTOP) "
                            "while running it, and was killed", now - worker.started)
        else:
            worker.stopped_since = None
        if now - worker.started > self.job_timeout:
            return Lost(worker.job, TIMEOUT, f"still not graded after {self.job_timeout:g} s "
                        "(--job-timeout); its grading process was killed", now - worker.started)
        return None

    @staticmethod
    def _elapsed(worker: _Worker) -> float:
        return round(time.monotonic() - worker.started, 3) if worker.started else 0.0

    # --- the workers -------------------------------------------------------

    def _start(self) -> _Worker:
        mine, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=serve, args=(theirs, self.initializer, self.initargs, self.task,
                                self.task_args))
        process.start()
        theirs.close()  # so a dead worker reads as EOF here
        return _Worker(process, mine)

    def _replace(self, worker: _Worker, need: bool) -> None:
        """Kill ``worker`` with all it started; start a new one if work is left."""
        kill_tree(worker.process, worker.seen.values())
        worker.conn.close()
        index = self.workers.index(worker)
        if need:
            self.workers[index] = self._start()
            self.replaced += 1
        else:
            del self.workers[index]

    def close(self, kill: bool = False, wait: float = 10.0) -> None:
        """Ask every worker to stop (or kill it at once), then make sure."""
        if not kill:
            asked = [w for w in self.workers if w.ready]  # one still starting has nothing to end
            for worker in asked:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
            end = time.monotonic() + wait
            for worker in asked:
                worker.process.join(max(0.0, end - time.monotonic()))
        for worker in self.workers:
            kill_tree(worker.process, worker.seen.values())
            worker.conn.close()
        self.workers = []


# --------------------------------------------------------------------------
# Why a worker ended


def died_detail(exitcode: int | None, times: int) -> str:
    """Why a worker ended, as an instructor would say it."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited (code {exitcode})"
    again = f", {times} times, each time on a fresh worker" if times > 1 else ""
    return f"its grading process {how} while running it{again}"
