"""Run nbgrader commands the way this course needs them.

nbgrader calls helper programs (``alembic``) by name, so the environment's
``bin`` folder goes first on PATH even when the caller did not activate it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    if not env.get("PATH", "").startswith(bin_dir + os.pathsep):
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def nbgrader(*args: str, cwd: Path, check: bool = True, timeout: float | None = None,
             quiet: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "nbgrader", *args]
    if quiet:
        command.append("--log-level=WARN")
    return subprocess.run(command, cwd=cwd, env=tool_env(), check=check, timeout=timeout,
                          capture_output=True, text=True)
