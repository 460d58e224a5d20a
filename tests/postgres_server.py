"""A real PostgreSQL server on 127.0.0.1 for the tests that share a gradebook.

Debian's PostgreSQL, started on a free port in a scratch data folder (as the
``postgres`` user when run as root, which the server requires) and stopped
afterwards. Without the server's programs the tests skip, except in CI,
where .ci/run installs them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from course_tools.net import free_port


def postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None



class Server:
    def __init__(self, bin_dir: Path, port: int, run):
        self.bin_dir, self.port, self._run = bin_dir, port, run

    def create_database(self, name: str) -> str:
        """A new, empty database; its db_url for nbgrader."""
        self._run(str(self.bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                  "-U", "postgres", name)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's programs are missing: .ci/run should install postgresql")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start postgres as another user")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    scratch = Path(tempfile.mkdtemp(prefix="pg-gradebook-"))
    if as_root:
        shutil.chown(scratch, "postgres")
    data, port = scratch / "data", free_port()

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True,
                       timeout=120, cwd=scratch)

    run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
        "--no-sync", "-E", "UTF8")
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(scratch / "server.log"), "-w",
        "-o", f"-h 127.0.0.1 -p {port} -k {scratch} -F", "start")
    try:
        yield Server(bin_dir, port, run)
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(scratch, ignore_errors=True)
