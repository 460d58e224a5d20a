"""Record the Go programs' output for learners who have no Go toolchain.

    python -m course_tools.go_recordings

Runs every source notebook with ``GO_RECORDINGS=write``: each ``run_go`` call
runs Go for real and keeps what it printed under
autograder/lessons/programs/recorded/, keyed by the program's source and the
call's parameters. Recordings no notebook asked for are removed. The tests run
every notebook without Go (tests/test_notebooks.py), where each ``run_go``
reads its recording, so a cell whose call changed fails until its recording
is made again.
"""

from __future__ import annotations

import os
import sys
import tempfile

import nbformat
from nbclient import NotebookClient

from autograder.lessons.go import RECORDED, RECORDINGS_ENV, toolchain

from .build_notebooks import ROOT, lessons


def main() -> int:
    if toolchain() is None:
        print("no Go toolchain on the PATH: `make setup` installs one into .venv")
        return 1
    before = {path.name: path.stat().st_mtime_ns for path in RECORDED.glob("*.json")}
    os.environ[RECORDINGS_ENV] = "write"
    for lesson in lessons():
        print(f"running {lesson} ...", flush=True)
        notebook = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
        with tempfile.TemporaryDirectory() as scratch:
            NotebookClient(notebook, timeout=300, kernel_name="python3",
                           resources={"metadata": {"path": scratch}}).execute()
    for path in RECORDED.glob("*.json"):
        if before.get(path.name) == path.stat().st_mtime_ns:  # not written this time
            path.unlink()
            print(f"removed {path.name}: no notebook runs it now")
    print(f"{len(list(RECORDED.glob('*.json')))} recordings in {RECORDED.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
