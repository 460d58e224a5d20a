"""How the benchmarks measure: a summary of repeats, a ratio, one timed
``nbgrader autograde``, and runs alternated so that drift hits each alike."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from course_tools.nbgrader_cli import nbgrader


def summary(values: list[float], digits: int = 4) -> dict:
    ordered = sorted(values)

    def quantile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"median": round(statistics.median(ordered), digits), "min": round(ordered[0], digits),
            "p10": round(quantile(0.1), digits), "p90": round(quantile(0.9), digits),
            "max": round(ordered[-1], digits), "n": len(ordered)}


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


def autograde(course: Path, lesson: str, student: str) -> float:
    """Seconds ``nbgrader autograde`` takes for one submission (one notebook)."""
    started = time.perf_counter()
    done = nbgrader("autograde", lesson, "--student", student, "--force", "--create",
                    cwd=course, check=False, timeout=1200)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader autograde {lesson} --student {student} failed in "
                           f"{course}:\n{done.stderr[-3000:]}")
    return seconds


def alternate(*runs, repeats: int) -> list[list[float]]:
    """Time each of ``runs`` in turn, A B C, C B A, ..., so drift hits all alike."""
    times: list[list[float]] = [[] for _ in runs]
    for repeat in range(repeats):
        order = list(zip(runs, times))
        for run, into in (order if repeat % 2 == 0 else order[::-1]):
            into.append(run())
    return times

