"""The Dask task that grades one submission, on whichever worker runs it.

A worker needs no shared filesystem: the task brings the submission's files
and a kit (the course's ``nbgrader_config.py``, its ``source/`` folders and
the gradebook's address); the worker keeps one scratch copy of the course per
kit in its local directory and grades there. The grading itself is the local
batch's: nbgrader's API run by ``grading_worker.grade_one`` in a process of its own,
watched by a ``Supervisor`` exactly as ``make grade`` watches its workers. So
a submission that kills, stops or outlasts its grading process costs only
itself, and the Dask worker (and every other task on it) is never touched.

The task returns what nbgrader wrote (the autograded notebook, with the
grading's incidents in its metadata, and the feedback) for the client to put
in the course, as a local run leaves them; the grades go straight to the
shared gradebook.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from . import supervisor
from .grading_worker import grade_one, init_worker

SCRATCH_PREFIX = "course-"
WORKER_LOG = "grading-processes.log"


@dataclass(frozen=True)
class Kit:
    """What a worker needs to grade like the course directory would."""

    digest: str  # names the scratch copy: a changed kit is a new copy
    config: str  # nbgrader_config.py, with the shared gradebook's db_url
    files: dict[str, bytes]  # the course's source/ folders, by relative path


_pools: dict[tuple[str, int], supervisor.Supervisor] = {}
_pools_lock = threading.Lock()


@atexit.register
def _close_pools() -> None:
    """The worker is closing: end its grading processes. Left to themselves,
    multiprocessing's own exit handler would wait for them, and they for
    their next job, for ever."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close(kill=True)
        _pools.clear()


def grade_remotely(kit: Kit, job, files: dict[str, bytes], feedback: bool,
                   job_timeout: float) -> dict:
    """Grade ``job`` from ``files`` here; what happened and what nbgrader wrote."""
    from distributed import get_worker

    worker = get_worker()
    course = scratch_course(Path(worker.local_directory), kit)
    submitted = course / "submitted" / job.student / job.assignment
    outputs = [course / "autograded" / job.student / job.assignment,
               course / "feedback" / job.student / job.assignment]
    for folder in (submitted, *outputs):
        shutil.rmtree(folder, ignore_errors=True)
    write_tree(submitted, files)
    try:
        [event] = list(grading_pool(kit, course, feedback, job_timeout).run([job]))
        reply = {"worker": worker.address, "kind": "done"}
        if isinstance(event, supervisor.Done):
            reply["outcome"] = event.outcome
            reply["autograded"], reply["feedback"] = (read_tree(f) for f in outputs)
        else:
            reply.update(kind=event.kind, detail=event.detail, seconds=event.seconds)
        return reply
    finally:
        for folder in (submitted, *outputs):
            shutil.rmtree(folder, ignore_errors=True)


def grading_pool(kit: Kit, course: Path, feedback: bool,
                 job_timeout: float) -> supervisor.Supervisor:
    """This worker thread's grading process, started once and kept (nbgrader is
    imported once per process, as in a local batch)."""
    if multiprocessing.current_process().daemon:
        raise RuntimeError(
            "this Dask worker is a daemonic process (its nanny made it one), which may "
            "not start grading processes: start the workers with --no-nanny, or set "
            "DASK_DISTRIBUTED__WORKER__DAEMON=False in their environment")
    key = (kit.digest, threading.get_ident())
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or pool.job_timeout != job_timeout or pool.task_args != (feedback,):
            if pool is not None:
                pool.close()
            pool = _pools[key] = supervisor.Supervisor(
                1, grade_one, (feedback,), initializer=init_worker,
                initargs=(str(course), os.getpid(), str(course / WORKER_LOG)),
                job_timeout=job_timeout)
    return pool


def scratch_course(local_directory: Path, kit: Kit) -> Path:
    """The worker's copy of the course for ``kit``, written once."""
    course = local_directory / f"{SCRATCH_PREFIX}{kit.digest[:16]}"
    if not (course / "nbgrader_config.py").exists():
        partial = course.with_name(f"{course.name}.{os.getpid()}.{threading.get_ident()}")
        shutil.rmtree(partial, ignore_errors=True)
        write_tree(partial, kit.files)
        (partial / "nbgrader_config.py").write_text(kit.config)
        try:
            partial.rename(course)
        except OSError:  # another thread of this worker wrote it first
            shutil.rmtree(partial, ignore_errors=True)
    return course


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise ValueError(f"a file outside its folder: {name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path ({} if there is none)."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}
