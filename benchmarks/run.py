"""What grading costs, and how it scales (``make bench``).

    python -m benchmarks.run [--quick] [--out FILE] [--only NAME ...]

Measures, in one run, and prints a table; writes ``benchmarks/results.json``
(``--quick``: a scratch file unless ``--out`` is given):

* grading_overhead_ratio: ``nbgrader autograde`` of each lesson's reference
  submission against the same notebook with its test cells emptied (an
  assignment generated from a source whose test cells are empty, so nbgrader
  does not restore them), alternated A, B, A, B; ratio of the summed medians.
* leak_pass_latency_ms: from the moment the last of a learner's threads
  returns to ``Baseline().expect_gone`` returning, median of many repeats,
  side by side with Go goleak's strategy (sleep, retry with backoff from 1 us
  doubling up to 100 ms) on the same census.
* leak_fail_latency_s: a leaked thread to ``LeakError`` with the lessons'
  deadline (``EXIT_DEADLINE``).
* batch_speedup: the demo class graded by sequential ``nbgrader autograde``
  (one assignment after another, as nbgrader's own command does) against the
  course's parallel batch (``make grade``: autograde and feedback, 2 workers);
  the two gradebooks are compared.
* worst_case_ratio: lesson 01 with every answer hanging or leaking against
  the reference submission, alternated.
* protection_overhead_vs_stock: the reference submissions graded with the
  course's configuration (sandbox, watchdogs, judge) against stock nbgrader's
  default preprocessors on the same notebooks, alternated with the above.
* seconds_per_student: the worker-seconds the batch spent on the demo class's
  reference student, all lessons (beside stock ``nbgrader autograde``'s).
* sandbox_overhead_ratio: sealed off against unsealed, alternated.
* distributed_speedup: part of the demo class graded on a local Dask cluster
  with one worker against two, alternated with the local batch with one
  worker process; distribution_overhead_s: per submission, Dask with one
  worker against the local batch with one (``distributed``).
* learner_run_all_s: each lesson, solved, run top to bottom in JupyterLab in
  headless Chromium (``learner``): the learner's side, which stricter grading
  must not slow down.

The measuring is in ``measure``, the grading figures in ``grading``, the leak
checks' in ``latency``; this module runs them and prints the table.

These machines are noisy: compare ratios measured in the same run, not
absolute times. Thresholds are goals for the README, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, UTC
from importlib import metadata
from pathlib import Path

from course_tools.nbgrader_cli import tool_env
from course_tools.scratch_course import ROOT, Course

from .distributed import bench_distributed
from .grading import bench_batch, bench_overhead, bench_sandbox, bench_worst_case
from .latency import bench_leak_latency
from .learner import bench_learner
from .sizes import Sizes

RESULTS = ROOT / "benchmarks" / "results.json"
# The stricter of the first benchmark's goals and those of the issue "Grading a
# whole course in little more than stock nbgrader's time".
GOALS = {  # metric -> (comparison, goal); for the table and the README, never asserted
    "grading_overhead_ratio": ("<=", 1.25),
    "leak_pass_latency_ms": ("<=", 1.0),
    "batch_speedup": (">=", 1.9),
    "worst_case_ratio": ("<=", 1.5),
    "sandbox_overhead_ratio": ("<=", 1.10),
    "protection_overhead_vs_stock": ("<=", 1.15),
    "distributed_speedup": (">=", 1.7),
    "distribution_overhead_s": ("<=", 0.5),
}


# --------------------------------------------------------------------------
# the run


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cores": usable, "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "nbgrader": metadata.version("nbgrader"),
            "jupyterlab": metadata.version("jupyterlab"),
            "platform": platform.platform(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


SECTIONS = ("latency", "overhead", "worst", "batch", "sandbox", "distributed", "learner")


def run(quick: bool, only: list[str] | None = None, scratch: Path | None = None) -> dict:
    sizes = Sizes(quick)
    only = only or list(SECTIONS)
    results: dict = {"mode": "quick" if quick else "full",
                     "measured": datetime.now(UTC).isoformat(timespec="seconds")}
    facts = machine()
    results.update({k: facts[k] for k in ("cores", "python", "nbgrader", "jupyterlab")})
    results["machine"] = facts
    started = time.perf_counter()
    owned = scratch is None
    scratch = Path(tempfile.mkdtemp(prefix="bench-")) if owned else scratch
    results["section_seconds"] = took = {}
    results["failed_sections"] = failed = {}

    def section(name: str, measure: Callable[[], dict]) -> None:
        """One section's figures; if it fails, its error instead, and the rest go on
        (a failure in the last section must not cost the forty minutes before it)."""
        if name not in only:
            return
        mark = time.perf_counter()
        try:
            results.update(measure())
        except Exception as error:  # noqa: BLE001 - reported, in the file and at the end
            failed[name] = f"{type(error).__name__}: {error}"[:4000]
            print(f"the {name} section failed:\n{failed[name]}", file=sys.stderr, flush=True)
        took[name] = round(time.perf_counter() - mark, 1)

    try:
        section("latency", lambda: bench_leak_latency(sizes))
        # One scratch course with the lessons' source serves both.
        lessons = sorted(set(sizes.overhead_lessons * bool({"overhead", "sandbox"} & set(only)))
                         | ({sizes.worst_lesson} if "worst" in only else set()))
        course = Course.create(scratch / "with-tests", *lessons) if lessons else None
        section("overhead", lambda: bench_overhead(sizes, scratch / "overhead", course))
        section("worst", lambda: bench_worst_case(sizes, course))
        section("sandbox", lambda: bench_sandbox(sizes, course))
        section("batch", lambda: bench_batch(sizes, scratch / "batch"))
        section("distributed", lambda: bench_distributed(sizes, scratch / "distributed"))
        section("learner", lambda: bench_learner(sizes, scratch / "learner"))
    finally:
        if owned:
            shutil.rmtree(scratch, ignore_errors=True)
    results["goals"] = {k: f"{op} {goal:g}" for k, (op, goal) in GOALS.items()}
    results["goals_met"] = {k: met(results[k], op, goal)
                            for k, (op, goal) in GOALS.items() if k in results}
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


def met(value: float, op: str, goal: float) -> bool:
    return value <= goal if op == "<=" else value >= goal


def table(results: dict) -> str:
    def spread(key: str) -> str:
        if key == "grading_overhead_ratio":
            low, high = results["grading_overhead"]["pair_ratio_spread"]
            return f"pairs {low:.2f}-{high:.2f}"
        if key == "leak_pass_latency_ms":
            c = results["leak_pass"]["course_ms"]
            return f"p10 {c['p10']:.2f}, p90 {c['p90']:.2f} (n={c['n']})"
        if key == "leak_pass_latency_goleak_style_ms":
            c = results["leak_pass"]["goleak_style_ms"]
            return f"p10 {c['p10']:.2f}, p90 {c['p90']:.2f} (n={c['n']})"
        if key == "leak_fail_latency_s":
            f = results["leak_fail"]
            return f"deadline {f['deadline_s']:g} s, max {f['seconds']['max']:.3f}"
        if key == "batch_speedup":
            b = results["batch"]
            return (f"{b['submissions']} subm., {b['sequential_s']:.0f} s vs "
                    f"{b['parallel_s']:.0f} s, grades identical: {b['grades_identical']}")
        if key == "protection_overhead_vs_stock":
            p = results["protection_overhead"]
            lessons = len(p["per_lesson_ratio"])
            return (f"{p['course_total_s']:.0f} s vs {p['stock_total_s']:.0f} s, "
                    f"{lessons} lesson(s)")
        if key == "seconds_per_student":
            stock = results.get("protection_overhead", {}).get("stock_total_s")
            lessons = len(results["per_student"]["per_lesson_s"])
            return (f"{lessons} lesson(s)" + (f"; stock autograde {stock:.0f} s"
                                              if stock is not None else ""))
        if key == "learner_run_all_s":
            per = results["learner"]["per_lesson_s"]
            return ", ".join(f"{lesson[:2]} {seconds:.0f} s" for lesson, seconds in
                             sorted(per.items()))
        if key in ("distributed_speedup", "distribution_overhead_s"):
            d = results["distributed"]
            return (f"{d['submissions']} subm.: local 1 worker "
                    f"{d['local_1_worker_s']['median']:.0f} s, Dask 1 "
                    f"{d['dask_1_worker_s']['median']:.0f} s, Dask 2 "
                    f"{d['dask_2_workers_s']['median']:.0f} s; grades identical: "
                    f"{d['grades_identical']}")
        if key == "worst_case_ratio":
            w = results["worst_case"]
            return (f"{w['worst_s']['median']:.1f} s vs {w['reference_s']['median']:.1f} s, "
                    f"pairs {min(w['pair_ratios']):.2f}-{max(w['pair_ratios']):.2f}")
        return ""

    rows = [("metric", "measured", "goal", "met", "spread / detail")]
    for key in ("grading_overhead_ratio", "leak_pass_latency_ms",
                "leak_pass_latency_goleak_style_ms", "leak_fail_latency_s", "batch_speedup",
                "worst_case_ratio", "sandbox_overhead_ratio", "protection_overhead_vs_stock",
                "seconds_per_student", "distributed_speedup", "distribution_overhead_s",
                "learner_run_all_s"):
        if key not in results:
            continue
        op, goal = GOALS.get(key, ("", None))
        rows.append((key, f"{results[key]:g}", f"{op} {goal:g}" if goal is not None else "-",
                     ("yes" if met(results[key], op, goal) else "NO") if goal is not None
                     else "-", spread(key)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{results['mode']} run: {results['cores']} cores, Python {results['python']}, "
                 f"nbgrader {results['nbgrader']}, JupyterLab {results['jupyterlab']}, "
                 f"{results['elapsed_s']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description="What grading costs, and how it scales.")
    parser.add_argument("--quick", action="store_true",
                        help="one lesson, few submissions, few repeats (make test runs this)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"the JSON file (default: {RESULTS.relative_to(ROOT)}; "
                             "--quick: a scratch file)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=None,
                        help="measure only these (their figures replace those in the "
                             "results file; the rest are kept)")
    args = parser.parse_args(argv)
    os.environ["PATH"] = tool_env()["PATH"]
    results = run(args.quick, args.only)
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench-quick-")) / "results.json"
                       if args.quick else RESULTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.only and out.exists():
        # Measured again: these figures replace theirs; the others stay as they were.
        kept = json.loads(out.read_text())
        run_facts = ("measured", "elapsed_s", "machine", "section_seconds", "goals_met")
        merged = dict(kept, **{k: v for k, v in results.items() if k not in run_facts})
        merged["section_seconds"] = dict(kept.get("section_seconds", {}),
                                         **results["section_seconds"])
        merged["failed_sections"] = dict(
            {k: v for k, v in kept.get("failed_sections", {}).items() if k not in args.only},
            **results["failed_sections"])
        merged["remeasured"] = dict(kept.get("remeasured", {}),
                                    **{section: results["measured"] for section in args.only})
        merged["goals_met"] = {k: met(merged[k], op, goal)
                               for k, (op, goal) in GOALS.items() if k in merged}
        results = merged
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(table(results))
    print(f"results: {out}")
    if results["failed_sections"]:
        print(f"FAILED: {', '.join(results['failed_sections'])} (the errors are in the file; "
              f"--only {' '.join(results['failed_sections'])} measures them again)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
