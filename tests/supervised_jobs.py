"""Stand-ins for grading one submission, for the supervisor's tests.

Each spawned worker imports this module, so it stays small. A job's name
says how it behaves; ``marker`` tags what it leaves behind.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def fake_grading(job: str, marker: str) -> str:
    if job == "kills its parent":  # as a kernel would: a child signals the worker
        subprocess.run([sys.executable, "-c",
                        "import os, signal; os.kill(os.getppid(), signal.SIGKILL)"])
        time.sleep(30)
    if job == "leaves an orphan, then kills its parent":
        subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(300)  # {marker}"],
                         start_new_session=True)  # out of the worker's group, as kernels are
        time.sleep(3.0)  # long enough for the supervisor to see it, even on a loaded machine
        os.kill(os.getpid(), signal.SIGKILL)
    if job == "stops its parent":
        os.kill(os.getpid(), signal.SIGSTOP)
    if job == "never ends":
        time.sleep(300)
    if job == "raises":
        raise ValueError("the grading broke")
    if job == "dies once":  # a worker lost for a reason that was not this job
        flag = Path(marker)
        if not flag.exists():
            flag.write_text("died once")
            os.kill(os.getpid(), signal.SIGKILL)
    return f"graded {job}"
