"""A machine under real load, for the tests of what an overloaded machine
excuses (``too_slow``): three busy processes per core, and the test begins
only once the kernel's CPU pressure figures show the load."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from autograder.exercises import too_slow

needs_pressure_figures = pytest.mark.skipif(too_slow.cpu_stalled_us() is None,
                                            reason="no CPU pressure figures here")


@contextlib.contextmanager
def overloaded(seconds: float = 60, settle: float = 10) -> Iterator[None]:
    spin = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    busy = [subprocess.Popen([sys.executable, "-c", spin])
            for _ in range(3 * (os.cpu_count() or 1))]
    try:
        deadline = time.monotonic() + settle  # the spinners take a moment to start
        while True:
            stalled, began = too_slow.cpu_stalled_us(), time.monotonic()
            time.sleep(0.3)
            if too_slow.overloaded_since(stalled, began) or time.monotonic() > deadline:
                break
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()
