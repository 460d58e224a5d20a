"""The learner's side: how long each lesson takes to run top to bottom in
JupyterLab, in headless Chromium, with every answer right (every check runs
and passes), as the browser tests run it. The figure to keep from growing:
grading may get stricter, a learner's Run All should not get slower.

The browser test does the timing (``test_solved_notebook_passes_every_check...``,
asked for these lessons by ``BROWSER_SOLVED_LESSONS``, writing to
``LEARNER_TIMES``); this only runs it and reads what it wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from course_tools.nbgrader_cli import tool_env
from course_tools.scratch_course import ROOT

from .sizes import Sizes


def bench_learner(sizes: Sizes, scratch: Path) -> dict:
    if not sizes.learner_lessons:
        return {}
    times = scratch / "learner-times.json"
    scratch.mkdir(parents=True, exist_ok=True)
    env = dict(tool_env(), BROWSER_SOLVED_LESSONS=" ".join(sizes.learner_lessons),
               LEARNER_TIMES=str(times))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_browser.py", "-q", "-p", "no:cacheprovider",
         "-k", "test_solved_notebook_passes_every_check", "-o", "addopts="],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0 or not times.exists():
        raise RuntimeError(f"the browser runs failed (is Chromium installed?):\n"
                           f"{done.stdout[-3000:]}")
    per_lesson = json.loads(times.read_text())
    return {
        "learner_run_all_s": round(sum(per_lesson.values()), 1),
        "learner": {
            "how": "each lesson solved (the reference answers), opened in JupyterLab in "
                   "headless Chromium, Run → Run All Cells, until every cell has run and "
                   "the kernel is idle (tests/test_browser.py)",
            "per_lesson_s": per_lesson,
        },
    }
