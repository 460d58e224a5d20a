"""A killed grading process leaves its kernel's folder behind; the next
kernel's start removes it, and nobody else's."""

import os
import signal
import subprocess
import sys

from autograder.grading import kernel_folder

MADE_THEN_KILLED = """
import os, signal, sys
from autograder.grading import kernel_folder
print(kernel_folder.make(sys.argv[1]), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # as a submission may kill its batch worker
"""


def test_the_folder_of_a_killed_grader_goes_at_the_next_start(tmp_path):
    done = subprocess.run([sys.executable, "-c", MADE_THEN_KILLED, str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL
    left = done.stdout.strip()
    assert os.path.isdir(left)  # nothing removed it: the process was killed

    mine = kernel_folder.make(str(tmp_path))
    assert not os.path.exists(left)
    assert os.path.basename(mine).startswith(f"autograder-kernel-{os.getpid()}-")
    assert oct(os.stat(mine).st_mode & 0o777) == "0o700"


def test_folders_of_running_processes_and_other_files_are_kept(tmp_path):
    running = tmp_path / f"autograder-kernel-{os.getppid()}-abc"  # pytest's parent runs
    other = tmp_path / "autograder-kernel-notes"
    unrelated = tmp_path / "something-else-1-"
    for folder in (running, other, unrelated):
        folder.mkdir()
    assert kernel_folder.sweep(str(tmp_path)) == []
    assert running.is_dir() and other.is_dir() and unrelated.is_dir()
