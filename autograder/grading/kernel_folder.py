"""The folder a sealed-off kernel's sockets live in, and its removal.

Each kernel gets a folder of its own in the temporary directory, which its
kernel manager removes at shutdown or when the grading process exits. A
grading process that is killed (a batch worker a submission brought down,
a batch stopped with SIGKILL) removes nothing, and on a machine that grades
night after night such folders pile up. So each folder is named after the
process that made it, and making one first removes those whose process has
gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

PREFIX = "autograder-kernel-"
_OWNED = re.compile(re.escape(PREFIX) + r"(\d+)-")


def make(where: str | None = None) -> str:
    """A new folder, only the grader may enter (0700), after sweeping."""
    sweep(where)
    return tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=where)


def sweep(where: str | None = None) -> list[str]:
    """Remove the folders of processes that no longer run; return their paths."""
    where = where or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(where)
    except OSError:
        return removed
    for name in names:
        owner = _OWNED.match(name)
        if owner and not _running(int(owner.group(1))):
            path = os.path.join(where, name)
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True
