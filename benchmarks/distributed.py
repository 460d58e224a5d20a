"""Grading on Dask: how it scales with workers, and what distribution costs.

The same part of the demo class is graded three ways, alternated so that
drift hits each alike: the local batch with one worker process, and the
batch on a local Dask cluster (``dask_local``: a scheduler and worker
processes on 127.0.0.1, as on real machines) with one worker and with two.

* ``distributed_speedup``: wall time with one Dask worker over two.
* ``distribution_overhead_s``: per submission, the Dask batch with one worker
  against the local batch with one worker process: sending the files and
  the kit, the worker's scratch course, bringing the results back.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from course_tools import demo_class
from course_tools.dask_local import LocalCluster
from course_tools.nbgrader_cli import tool_env

from .grading import gradebook_grades
from .measure import alternate, ratio, summary
from .sizes import Sizes


def timed_batch(course: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "course_tools.batch", "--course", str(course), "--no-progress",
         "--fresh", *args], env=tool_env(), capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the batch failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return seconds


def bench_distributed(sizes: Sizes, scratch: Path) -> dict:
    courses = {name: demo_class.scratch_course(scratch / name, lessons=sizes.dask_lessons,
                                               students=sizes.dask_students)
               for name in ("local", "dask1", "dask2")}
    submissions = len(list((courses["local"] / "submitted").glob("*/*")))
    with LocalCluster(scratch / "cluster-1", workers=1) as one, \
            LocalCluster(scratch / "cluster-2", workers=2) as two:
        local, dask1, dask2 = alternate(
            lambda: timed_batch(courses["local"], "--workers", "1"),
            lambda: timed_batch(courses["dask1"], "--scheduler", one.address),
            lambda: timed_batch(courses["dask2"], "--scheduler", two.address),
            repeats=sizes.dask_repeats)
    grades = {name: gradebook_grades(course) for name, course in courses.items()}
    median = {name: summary(times)["median"]
              for name, times in (("local", local), ("dask1", dask1), ("dask2", dask2))}
    return {
        "distributed_speedup": ratio(median["dask1"], median["dask2"]),
        "distribution_overhead_s": round((median["dask1"] - median["local"]) / submissions, 3),
        "distributed": {
            "class": "demo_class/submitted, lessons " + ", ".join(sizes.dask_lessons),
            "submissions": submissions, "repeats": sizes.dask_repeats,
            "local_1_worker_s": summary(local, 2), "dask_1_worker_s": summary(dask1, 2),
            "dask_2_workers_s": summary(dask2, 2),
            "how": "python -m course_tools.batch --fresh, timed whole (autograde, feedback, "
                   "grades.csv, report): --workers 1; --scheduler with a local cluster of "
                   "1 and of 2 `dask worker --nthreads 1 --no-nanny` processes; alternated",
            "grades_identical": grades["local"] == grades["dask1"] == grades["dask2"],
        },
    }
