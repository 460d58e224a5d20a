import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
# nbgrader and jupyter find their helper programs on PATH.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]

# Grading refuses to run learner code unsealed. A contributor's machine without
# bubblewrap still runs the suite, unsealed and saying so; CI installs it.
from autograder.grading import sandbox  # noqa: E402

if sandbox.bubblewrap() is None and not os.environ.get("CI"):
    os.environ[sandbox.UNSAFE_VARIABLE] = "1"
    print("bubblewrap is not installed: graded runs in these tests are NOT sandboxed "
          "(apt-get install bubblewrap)", file=sys.stderr)


@pytest.fixture
def root() -> Path:
    return ROOT


# --- the end of the run ------------------------------------------------------------

_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config):
    """A thread some test left running, not a daemon, would keep the interpreter
    from exiting after the summary, and CI would wait until its time ran out.
    Name each such thread and where it waits, then end the run with the
    tests' own exit status."""
    import threading
    import traceback

    left = [t for t in threading.enumerate()
            if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if not left or not _EXIT_STATUS:
        return
    frames = sys._current_frames()
    lines = [f"{len(left)} non-daemon thread(s) left running by the tests; "
             "ending the run without waiting for them:"]
    for thread in left:
        where = traceback.format_stack(frames[thread.ident])[-6:] if thread.ident in frames else []
        lines.append(f"  {thread.name}:\n" + "".join("    " + line for line in where))
    sys.stdout.flush()
    sys.stderr.write("\n".join(lines) + "\n")
    sys.stderr.flush()
    os._exit(_EXIT_STATUS[-1])
