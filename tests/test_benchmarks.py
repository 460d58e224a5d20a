"""The benchmark's quick mode still runs and writes every figure.

Only the shape of the results is checked: kinds and signs of the numbers,
never the goals (these machines are too noisy for thresholds; the README's
Benchmarks section reads the full-size figures against them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_tools.nbgrader_cli import tool_env

pytestmark = [pytest.mark.slow, pytest.mark.grading]
ROOT = Path(__file__).resolve().parents[1]

POSITIVE = ("grading_overhead_ratio", "leak_pass_latency_ms",
            "leak_pass_latency_goleak_style_ms", "leak_fail_latency_s", "batch_speedup",
            "worst_case_ratio", "sandbox_overhead_ratio", "protection_overhead_vs_stock",
            "seconds_per_student", "distributed_speedup")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--out", str(out)],
                          cwd=ROOT, env=tool_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout


def test_quick_mode_writes_every_figure_as_a_positive_number(quick):
    results, _ = quick
    for key in POSITIVE:
        assert isinstance(results[key], float), key
        assert results[key] > 0, key
    assert isinstance(results["cores"], int) and results["cores"] >= 1
    for key in ("python", "nbgrader", "jupyterlab"):
        assert isinstance(results[key], str) and results[key][0].isdigit(), key
    assert results["mode"] == "quick"


def test_the_figures_come_with_what_they_were_measured_on(quick):
    results, _ = quick
    batch = results["batch"]
    assert batch["grades_identical"] is True  # the parallel batch changes no grade
    assert batch["submissions"] >= 1 and batch["sequential_s"] > 0 and batch["parallel_s"] > 0
    assert results["leak_fail"]["deadline_s"] > 0
    # A leak is reported at the deadline, not before it.
    assert results["leak_fail_latency_s"] >= results["leak_fail"]["deadline_s"]
    for lesson in results["grading_overhead"]["per_lesson"].values():
        assert lesson["reference_full_marks"] is True
    distributed = results["distributed"]
    assert distributed["grades_identical"] is True  # Dask's workers change no grade
    assert isinstance(results["distribution_overhead_s"], float)
    worst = results["worst_case"]
    assert worst["reference_scores"]
    assert all(worst["worst_scores"][test] == 0 for test in worst["reference_scores"])
    assert set(results["goals_met"]) == {"grading_overhead_ratio", "leak_pass_latency_ms",
                                         "batch_speedup", "worst_case_ratio",
                                         "sandbox_overhead_ratio",
                                         "protection_overhead_vs_stock",
                                         "distributed_speedup", "distribution_overhead_s"}
    # Stock nbgrader graded the same notebooks to the same scores, and the
    # reference student's worker-seconds are one per graded lesson.
    for lesson in results["grading_overhead"]["per_lesson"].values():
        assert lesson["stock_full_marks"] is True
    assert set(results["per_student"]["per_lesson_s"]) == set(batch["lessons"])


def test_the_table_names_every_figure(quick):
    _, printed = quick
    for key in POSITIVE:
        assert key in printed
    assert "results: " in printed
