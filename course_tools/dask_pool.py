"""The batch's workers on a Dask cluster: same jobs in, same events out.

``DaskPool`` stands where the local ``Supervisor`` stands in ``batch.run_batch``:
``run(jobs)`` yields ``Done`` or ``Lost`` for each job as it ends, so the
ledger, the gradebook's zeros for lost submissions, the progress bar and the
report are the local batch's. Each submission is one Dask task
(``dask_task.grade_remotely``), run on whichever worker is free; what nbgrader
wrote there comes back and is put in ``autograded/`` and ``feedback/`` here.

Faults are Dask's to handle: a worker that dies in the middle of a task (the
machine went away, someone killed it) has its tasks run again on another one.
Grading again is harmless: nbgrader's autograde replaces a submission's grades
in the gradebook, it never adds rows. A task whose workers kept dying
(Dask's ``KilledWorker``) is lost like a local job that killed its worker.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from . import supervisor
from .ledger import Job
from .dask_task import Kit, grade_remotely, read_tree, write_tree

CONNECT_TIMEOUT = 30  # seconds to reach the scheduler
WORKERS_TIMEOUT = 60  # seconds to wait for a first worker


def make_kit(course: Path, api, assignments: set[str]) -> Kit:
    """The course as a worker needs it: the configuration, pointed at this
    batch's gradebook, and the graded assignments' source folders."""
    db_url = api.coursedir.db_url
    if db_url.startswith("sqlite:///") and not db_url.startswith("sqlite:////"):
        db_url = "sqlite:///" + str(course / db_url.removeprefix("sqlite:///"))
    config = ((course / "nbgrader_config.py").read_text()
              + "\n# Added for grading on a Dask worker: the batch's own gradebook.\n"
              + f"c.CourseDirectory.db_url = {db_url!r}\n")
    source = course / api.coursedir.source_directory
    files = {f"{api.coursedir.source_directory}/{assignment}/{name}": data
             for assignment in sorted(assignments)
             for name, data in read_tree(source / assignment).items()}
    digest = hashlib.sha256(config.encode())
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return Kit(digest.hexdigest(), config, files)


class DaskPool:
    """Grade jobs as tasks on the Dask scheduler at ``address``."""

    def __init__(self, address: str, course: Path, api, feedback: bool = True,
                 job_timeout: float = supervisor.DEFAULT_JOB_TIMEOUT):
        self.address, self.course, self.api = address, course, api
        self.feedback, self.job_timeout = feedback, job_timeout
        self.client = None
        self.replaced = 0  # Dask reports lost workers itself; kept for the batch's summary
        self.size = 0  # worker threads when the batch started
        self.sent: dict[str, float] = {}  # job key -> when it was submitted

    def __enter__(self) -> DaskPool:
        from distributed import Client

        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except OSError as error:
            raise SystemExit(
                f"cannot reach the Dask scheduler at {self.address}: {error}") from None
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            self.client.close()
            raise SystemExit(f"no Dask worker joined the scheduler at {self.address} "
                             f"within {WORKERS_TIMEOUT} s: start some with "
                             f"`dask worker {self.address} --no-nanny`") from None
        workers = self.client.scheduler_info()["workers"]
        self.size = sum(w["nthreads"] for w in workers.values())
        elsewhere = [a for a in workers if not on_this_machine(a)]
        if self.api.coursedir.db_url.startswith("sqlite") and elsewhere:
            self.client.close()
            raise SystemExit(
                "the gradebook is an SQLite file on this machine, which workers on other "
                f"machines ({', '.join(sorted(elsewhere))}) cannot write: put it on "
                "PostgreSQL (db_url in nbgrader_config.py, see the README)")
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()

    def run(self, jobs):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        jobs = list(jobs)
        if not jobs:
            return
        kit = make_kit(self.course, self.api, {job.assignment for job in jobs})
        [kit_future] = self.client.scatter([kit], broadcast=True, hash=False)
        futures = {}
        for job in jobs:
            files = read_tree(self.course / "submitted" / job.student / job.assignment)
            future = self.client.submit(
                grade_remotely, kit_future, job, files, self.feedback, self.job_timeout,
                key=f"grade-{job.student}-{job.assignment}-{os.urandom(4).hex()}", pure=False)
            futures[future] = job
            self.sent[job.key] = time.monotonic()
        for future in as_completed(futures, loop=self.client.loop):
            job = futures[future]
            try:
                reply = future.result()
            except KilledWorker as error:
                yield supervisor.Lost(job, supervisor.KILLED,
                                      "every Dask worker that took it died while grading it "
                                      f"({error})", self._since(job))
                continue
            except Exception as error:  # noqa: BLE001 - this job's, never the batch's
                yield supervisor.Lost(job, supervisor.ERROR,
                                      f"the grading itself failed on it: {error!r}",
                                      self._since(job))
                continue
            yield self._settle(job, reply)

    def _settle(self, job: Job, reply: dict):
        if reply["kind"] != "done":
            return supervisor.Lost(job, reply["kind"], reply["detail"], reply["seconds"])
        outcome = dict(reply["outcome"], worker=reply["worker"])
        for kind in ("autograded", "feedback"):
            replace_folder(self.course / kind / job.student / job.assignment, reply[kind])
        return supervisor.Done(job, outcome)

    def _since(self, job: Job) -> float:
        return time.monotonic() - self.sent.get(job.key, time.monotonic())


def on_this_machine(address: str) -> bool:
    """Whether a worker's address (tcp://host:port) is one of this machine's."""
    import ipaddress
    import urllib.parse

    import psutil

    host = urllib.parse.urlsplit(address).hostname or ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        return host in ("localhost", socket.gethostname())
    return any(entry.address == host for entries in psutil.net_if_addrs().values()
               for entry in entries)


def replace_folder(folder: Path, files: dict[str, bytes]) -> None:
    """``folder`` holds exactly ``files`` (none: it is removed), swapped in whole."""
    if not files:
        shutil.rmtree(folder, ignore_errors=True)
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    write_tree(staged, files)
    old = folder.with_name(f".{folder.name}-old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    staged.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
