"""A Dask cluster on this machine, each part its own process, on 127.0.0.1.

What an instructor starts by hand on real machines (``dask scheduler``, then
``dask worker ADDRESS --no-nanny`` on each), started here for the tests and
the benchmarks: the same programs, so the batch meets the same cluster.
Each worker gets a scratch folder of its own, as a worker on another
machine would: nothing is shared but the network and the gradebook.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

from .nbgrader_cli import tool_env
from .net import free_port
from .process_tree import alive, descendants

DASK = str(Path(sys.executable).with_name("dask"))



class LocalCluster:
    """``with LocalCluster(folder, workers=2) as cluster:`` ``cluster.address``;
    ``env``: more environment variables for its processes (and so their kernels)."""

    def __init__(self, where: Path, workers: int = 2, env: dict[str, str] | None = None):
        self.where, self.port, self.env = where, free_port(), env
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.seen: dict[int, psutil.Process] = {}  # every process below them, for the end
        where.mkdir(parents=True, exist_ok=True)
        self.log = open(where / "cluster.log", "ab")
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port",
                                     str(self.port), "--no-dashboard")
        self.workers = {f"w{n}": self.start_worker(f"w{n}") for n in range(1, workers + 1)}
        try:
            self.wait_for_workers(workers)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([DASK, *args], env=tool_env(self.env), stdout=self.log,
                                stderr=subprocess.STDOUT, cwd=self.where)

    def start_worker(self, name: str) -> subprocess.Popen:
        scratch = self.where / name
        scratch.mkdir(exist_ok=True)
        return self._start("worker", self.address, "--name", name, "--nthreads", "1",
                           "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                           "--local-directory", str(scratch))

    def wait_for_workers(self, count: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=timeout)

    def note_descendants(self) -> None:
        for process in [self.scheduler, *self.workers.values()]:
            for child in descendants(process.pid):
                self.seen.setdefault(child.pid, child)

    def grading(self, name: str) -> bool:
        """Is worker ``name`` in the middle of a submission (a kernel running)?"""
        below = descendants(self.workers[name].pid)
        for child in below:
            self.seen.setdefault(child.pid, child)
        return any("ipykernel" in " ".join(_cmdline(p)) for p in below)

    def close(self) -> None:
        self.note_descendants()
        parts = [*self.workers.values(), self.scheduler]
        for process in parts:
            process.terminate()
        for process in parts:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()

    def lingering(self) -> list[str]:
        """Processes the cluster started that are still alive after ``close``."""
        return [" ".join(_cmdline(p)[:4]) for p in self.seen.values() if alive(p)]


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []
