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

These machines are noisy: compare ratios measured in the same run, not
absolute times. Thresholds are goals for the README, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, UTC
from importlib import metadata
from pathlib import Path

import nbformat

from autograder.exercises.leaky_consumer import EXIT_DEADLINE
from autograder.grading.sandbox import UNSAFE_VARIABLE as UNSAFE
from autograder.threads import Baseline, LeakError
from course_tools import demo_class
from course_tools.gradebook_api import EXPORTS, LEDGER_NAME
from course_tools.nbgrader_cli import nbgrader, tool_env
from course_tools.scratch_course import REFERENCE, ROOT, Course, reference_answers

RESULTS = ROOT / "benchmarks" / "results.json"
GOALS = {  # metric -> (comparison, goal); for the table and the README, never asserted
    "grading_overhead_ratio": ("<=", 1.25),
    "leak_pass_latency_ms": ("<=", 5.0),
    "batch_speedup": (">=", 1.7),
    "worst_case_ratio": ("<=", 2.5),
    "sandbox_overhead_ratio": ("<=", 1.10),
    "protection_overhead_vs_stock": ("<=", 1.15),
}
GRADED_LESSONS = ["01_leaky_consumer", "02_socket_reader", "03_waitgroup",
                  "04_channels_vs_locks", "05_stopping_for_good"]
WORST_LESSON = "01_leaky_consumer"
REFERENCE_STUDENT = "ada_lovelace"  # the demo class's student with the reference answers
# Go goleak's retry: sleep 1 us << attempt, at most 100 ms (goleak's maxSleep).
GOLEAK_FIRST_SLEEP = 1e-6
GOLEAK_MAX_SLEEP = 0.1


class Sizes:
    def __init__(self, quick: bool):
        self.quick = quick
        self.overhead_lessons = ["04_channels_vs_locks"] if quick else GRADED_LESSONS
        self.overhead_repeats = 1 if quick else 3
        self.worst_repeats = 1 if quick else 3
        self.latency_repeats = 30 if quick else 400
        self.latency_threads = 2 if quick else 4
        self.fail_repeats = 1 if quick else 5
        self.batch_lessons = ["04_channels_vs_locks"] if quick else None  # None: all
        self.batch_students = [REFERENCE_STUDENT] if quick else None
        # The issue's worst case is lesson 01; quick mode uses lesson 04's leak
        # (a quarter of the time) and only checks lesson 01's answers exist.
        self.worst_lesson = "04_channels_vs_locks" if quick else WORST_LESSON
        self.workers = 2


# --------------------------------------------------------------------------
# small statistics


def summary(values: list[float], digits: int = 4) -> dict:
    ordered = sorted(values)

    def quantile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"median": round(statistics.median(ordered), digits), "min": round(ordered[0], digits),
            "p10": round(quantile(0.1), digits), "p90": round(quantile(0.9), digits),
            "max": round(ordered[-1], digits), "n": len(ordered)}


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else float("nan")


# --------------------------------------------------------------------------
# nbgrader runs


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


def emptied_tests(notebook) -> None:
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = ""


def bench_overhead(sizes: Sizes, scratch: Path, full: Course) -> dict:
    """Each lesson's reference submission, with its tests and with them emptied,
    and with its tests under stock nbgrader (no sandbox, watchdogs or judge)."""
    bare = Course.create(scratch / "tests-emptied")
    stock = Course.create(scratch / "stock", *sizes.overhead_lessons, stock=True)
    for lesson in sizes.overhead_lessons:
        source = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
        emptied_tests(source)
        target = bare.root / "source" / lesson / f"{lesson}.ipynb"
        target.parent.mkdir(parents=True)
        for extra in (ROOT / "source" / lesson).iterdir():  # files the lesson may need
            if extra.name != target.name and extra.is_file():
                shutil.copy(extra, target.parent)
        nbformat.write(source, target)
        nbgrader("generate_assignment", lesson, "--force", cwd=bare.root)
        full.submit_reference("ref", lesson)
        stock.submit_reference("ref", lesson)
        answers = {k: REFERENCE for k in reference_answers(lesson)}
        bare.submit("ref", lesson, answers, edit=emptied_tests)

    lessons = {}
    for lesson in sizes.overhead_lessons:
        with_tests, without, as_stock = alternate(
            lambda: autograde(full.root, lesson, "ref"),
            lambda: autograde(bare.root, lesson, "ref"),
            lambda: autograde(stock.root, lesson, "ref"), repeats=sizes.overhead_repeats)
        scores = full.scores("ref", lesson)
        lessons[lesson] = {
            "with_tests_s": summary(with_tests, 2), "tests_emptied_s": summary(without, 2),
            "stock_s": summary(as_stock, 2),
            "stock_full_marks": stock.scores("ref", lesson) == scores,
            "ratio": ratio(statistics.median(with_tests), statistics.median(without)),
            "pair_ratios": [ratio(a, b) for a, b in zip(with_tests, without)],
            "reference_scores": scores,
            "reference_full_marks": all(
                score == full.max_scores(lesson)[cell] for cell, score in scores.items()),
        }
    total_with = sum(v["with_tests_s"]["median"] for v in lessons.values())
    total_without = sum(v["tests_emptied_s"]["median"] for v in lessons.values())
    total_stock = sum(v["stock_s"]["median"] for v in lessons.values())
    pairs = [r for v in lessons.values() for r in v["pair_ratios"]]
    return {
        "grading_overhead_ratio": ratio(total_with, total_without),
        "protection_overhead_vs_stock": ratio(total_with, total_stock),
        "protection_overhead": {
            "how": "nbgrader autograde of one notebook, reference answers, with the course's "
                   "configuration (sandbox, watchdogs, judge) against stock nbgrader's default "
                   "preprocessors on the same notebooks; alternated; ratio of the sums of "
                   "per-lesson medians",
            "course_total_s": round(total_with, 2), "stock_total_s": round(total_stock, 2),
            "per_lesson_ratio": {lesson: ratio(v["with_tests_s"]["median"],
                                               v["stock_s"]["median"])
                                 for lesson, v in lessons.items()},
        },
        "grading_overhead": {
            "how": "nbgrader autograde of one notebook (a subprocess, as an instructor runs "
                   "it), reference answers, with the lesson's test cells against with them "
                   "emptied; alternated; ratio of the sum of per-lesson medians",
            "lessons_left_out": {"00_start_here": "no test cells"} if not sizes.quick else {},
            "with_tests_total_s": round(total_with, 2),
            "tests_emptied_total_s": round(total_without, 2),
            "pair_ratio_spread": [min(pairs), max(pairs)],
            "per_lesson": lessons,
        },
    }


def worst_answers(lesson: str = WORST_LESSON) -> tuple[dict[str, str], str]:
    """Answers that all hang or leak, and what they do.

    All are the demo class's mistakes (course_tools.demo_class): lesson 01's
    three, or, in quick mode, lesson 04's queue drained without joining the
    workers.
    """
    if lesson == "04_channels_vs_locks":
        return ({"signal_done": demo_class.queue_without_join()},
                "signal_done returns while its workers still run")
    answers = {"consumer_exit": demo_class.CONSUMER_NEVER_EXITS,
               "run_session": demo_class.SESSION_DAEMON,
               "robust_stop": demo_class.joins_without_deadline()}
    if set(answers) != set(reference_answers(WORST_LESSON)):
        raise RuntimeError(f"{WORST_LESSON}'s answer cells changed: update worst_answers()")
    return answers, ("consumer never exits, run_session leaks daemon threads, "
                     "stop_consumers joins without a deadline")


def bench_worst_case(sizes: Sizes, course: Course) -> dict:
    lesson = sizes.worst_lesson
    answers, what = worst_answers(lesson)
    worst_answers(WORST_LESSON)  # quick mode too: lesson 01's answers still fit
    course.submit_reference("ref", lesson)
    course.submit("worst", lesson, answers)
    worst, reference = alternate(lambda: autograde(course.root, lesson, "worst"),
                                 lambda: autograde(course.root, lesson, "ref"),
                                 repeats=sizes.worst_repeats)
    return {
        "worst_case_ratio": ratio(statistics.median(worst), statistics.median(reference)),
        "worst_case": {
            "lesson": lesson, "answers": what,
            "worst_s": summary(worst, 2), "reference_s": summary(reference, 2),
            "pair_ratios": [ratio(a, b) for a, b in zip(worst, reference)],
            "worst_scores": course.scores("worst", lesson),
            "reference_scores": course.scores("ref", lesson),
        },
    }


def gradebook_grades(course: Path) -> dict[str, dict]:
    """student/assignment -> cell -> (auto, manual, needs manual grade)."""
    from course_tools.batch import all_grades
    return {f"{student}/{assignment}": {cell: list(scores) for cell, scores in cells.items()}
            for (student, assignment), cells in all_grades(course).items()}


def demo_copy(where: Path, lessons: list[str] | None, students: list[str] | None) -> Path:
    course = demo_class.scratch_course(where)
    if lessons or students:
        for folder in list((course / "submitted").glob("*/*")):
            if (lessons and folder.name not in lessons
                    or students and folder.parent.name not in students):
                shutil.rmtree(folder)
        for student in list((course / "submitted").iterdir()):
            if not any(student.iterdir()):
                student.rmdir()
    return course


def bench_batch(sizes: Sizes, scratch: Path) -> dict:
    """The demo class: sequential nbgrader autograde against the parallel batch."""
    sequential = demo_copy(scratch / "sequential", sizes.batch_lessons, sizes.batch_students)
    parallel = demo_copy(scratch / "parallel", sizes.batch_lessons, sizes.batch_students)
    submissions = sorted(str(p.relative_to(sequential / "submitted"))
                         for p in (sequential / "submitted").glob("*/*"))
    lessons = sorted({s.split("/")[1] for s in submissions})

    started = time.perf_counter()
    for lesson in lessons:  # what an instructor does without the batch
        nbgrader("generate_assignment", lesson, "--force", cwd=sequential)
        nbgrader("autograde", lesson, "--force", "--create", cwd=sequential, check=False,
                 timeout=3600)
    sequential_s = time.perf_counter() - started

    started = time.perf_counter()
    done = subprocess.run(  # what make grade runs
        [sys.executable, "-m", "course_tools.batch", "--course", str(parallel),
         "--workers", str(sizes.workers), "--no-progress"],
        env=tool_env(), capture_output=True, text=True, timeout=3600)
    parallel_s = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the batch failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")

    ledger = json.loads((parallel / EXPORTS / LEDGER_NAME).read_text())["finished"]
    reference = {key.split("/")[1]: entry["seconds"] for key, entry in ledger.items()
                 if key.split("/")[0] == REFERENCE_STUDENT}
    expected, got = gradebook_grades(sequential), gradebook_grades(parallel)
    differences = sorted(
        f"{key}/{cell}: sequential {expected.get(key, {}).get(cell)} "
        f"parallel {got.get(key, {}).get(cell)}"
        for key in set(expected) | set(got)
        for cell in set(expected.get(key, {})) | set(got.get(key, {}))
        if expected.get(key, {}).get(cell) != got.get(key, {}).get(cell))
    return {
        "seconds_per_student": round(sum(reference.values()), 1),
        "per_student": {
            "how": f"worker-seconds the batch (make grade) spent on {REFERENCE_STUDENT}, "
                   "who submitted the reference answers, per lesson and in all (each "
                   "submission's autograde and feedback, in its worker)",
            "student": REFERENCE_STUDENT, "per_lesson_s": reference,
        },
        "batch_speedup": ratio(sequential_s, parallel_s),
        "batch": {
            "class": "demo_class/submitted" + (" (part)" if sizes.quick else ""),
            "submissions": len(submissions), "lessons": lessons, "workers": sizes.workers,
            "sequential_s": round(sequential_s, 2), "parallel_s": round(parallel_s, 2),
            "sequential": "nbgrader generate_assignment + nbgrader autograde, per assignment",
            "parallel": "python -m course_tools.batch --workers N (make grade: "
                        "autograde, feedback, grades.csv, report)",
            "graded": len(got), "grades_identical": not differences and len(got) == len(
                submissions), "differences": differences,
        },
    }


# --------------------------------------------------------------------------
# leak verdicts, in this process


def goleak_style_wait(baseline: Baseline, deadline: float) -> None:
    """Go goleak's strategy on the same census: sleep, retry with backoff."""
    end = time.monotonic() + deadline
    attempt = 0
    while True:
        fresh, _ = baseline.new_threads()
        if not fresh:
            return
        if time.monotonic() >= end:
            raise LeakError("leaked", fresh, [])
        time.sleep(min(GOLEAK_FIRST_SLEEP * (1 << min(attempt, 30)), GOLEAK_MAX_SLEEP))
        attempt += 1


def course_wait(baseline: Baseline, deadline: float) -> None:
    baseline.expect_gone(deadline)


def one_pass(wait, threads: int, last_delay: float) -> float:
    """Seconds from the last thread's return to a passing verdict."""
    go = threading.Event()
    ends = [0.0] * threads

    def work(index: int, delay: float) -> None:
        go.wait()
        if delay:
            time.sleep(delay)
        ends[index] = time.perf_counter()

    baseline = Baseline()
    workers = [threading.Thread(target=work, args=(i, last_delay * (i + 1) / threads),
                                name=f"bench-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    go.set()
    wait(baseline, EXIT_DEADLINE)
    verdict = time.perf_counter()
    for worker in workers:
        worker.join()
    return verdict - max(ends)


def bench_leak_latency(sizes: Sizes) -> dict:
    # The threads end 0-20 ms after the wait starts (as a learner's threads
    # do when they were just told to stop); each pair shares the delay.
    delays = [0.02 * ((7 * i) % 20) / 19 for i in range(sizes.latency_repeats)]
    ours, goleak = [], []
    for i, delay in enumerate(delays):
        pair = [(course_wait, ours), (goleak_style_wait, goleak)]
        for wait, into in (pair if i % 2 == 0 else pair[::-1]):
            into.append(one_pass(wait, sizes.latency_threads, delay) * 1000)

    failures = []
    for _ in range(sizes.fail_repeats):
        release = threading.Event()
        baseline = Baseline()
        leaked = threading.Thread(target=release.wait, name="bench-leaked")
        leaked.start()
        started = time.perf_counter()
        try:
            baseline.expect_gone(EXIT_DEADLINE)
        except LeakError:
            failures.append(time.perf_counter() - started)
        else:
            raise RuntimeError("expect_gone passed with a leaked thread")
        finally:
            release.set()
            leaked.join()
    return {
        "leak_pass_latency_ms": round(statistics.median(ours), 3),
        "leak_pass_latency_goleak_style_ms": round(statistics.median(goleak), 3),
        "leak_pass": {
            "how": f"{sizes.latency_threads} threads end 0-20 ms after the wait starts; "
                   "latency = verdict time - the last thread's time just before it returns; "
                   "course (Baseline.expect_gone: joins, backoff from 1 ms) and goleak-style "
                   "(sleep 1 us << n, at most 100 ms) alternated on the same census",
            "course_ms": summary(ours, 3), "goleak_style_ms": summary(goleak, 3),
            "ratio_goleak_to_course": ratio(statistics.median(goleak), statistics.median(ours)),
        },
        "leak_fail_latency_s": round(statistics.median(failures), 3),
        "leak_fail": {"deadline_s": EXIT_DEADLINE,
                      "deadline_from": "autograder.exercises.leaky_consumer.EXIT_DEADLINE",
                      "seconds": summary(failures, 3),
                      "over_deadline_ms": round((statistics.median(failures) - EXIT_DEADLINE)
                                                * 1000, 1)},
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


def unsealed(run):
    """``run`` with grading's sandbox turned off, as an instructor can choose."""
    def without_sandbox():
        os.environ[UNSAFE] = "1"
        try:
            return run()
        finally:
            del os.environ[UNSAFE]
    return without_sandbox


def bench_sandbox(sizes: Sizes, course: Course) -> dict:
    """Each lesson's reference submission graded sealed off and not, alternated."""
    lessons = {}
    for lesson in sizes.overhead_lessons:
        course.submit_reference("sandboxed", lesson)
        grade = lambda lesson=lesson: autograde(course.root, lesson, "sandboxed")  # noqa: E731
        sealed, bare = alternate(grade, unsealed(grade), repeats=sizes.overhead_repeats)
        scores, best = course.scores("sandboxed", lesson), course.max_scores(lesson)
        lessons[lesson] = {"sandboxed_s": summary(sealed, 2), "unsandboxed_s": summary(bare, 2),
                           "full_marks": all(s == best[cell] for cell, s in scores.items())}
    total_sealed = sum(v["sandboxed_s"]["median"] for v in lessons.values())
    total_bare = sum(v["unsandboxed_s"]["median"] for v in lessons.values())
    return {"sandbox_overhead_ratio": ratio(total_sealed, total_bare),
            "sandbox_overhead": {
                "how": "nbgrader autograde of each lesson's reference submission with the "
                       f"bubblewrap sandbox and watchdogs, against {UNSAFE}=1; alternated; "
                       "ratio of the sums of per-lesson medians",
                "per_lesson": lessons}}


SECTIONS = ("latency", "overhead", "worst", "batch", "sandbox")


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
    try:
        took = results["section_seconds"] = {}
        mark = time.perf_counter()

        def done(section: str) -> None:
            nonlocal mark
            took[section] = round(time.perf_counter() - mark, 1)
            mark = time.perf_counter()

        if "latency" in only:
            results.update(bench_leak_latency(sizes))
            done("latency")
        # One scratch course with the lessons' source serves both.
        lessons = sorted(set(sizes.overhead_lessons * bool({"overhead", "sandbox"} & set(only)))
                         | ({sizes.worst_lesson} if "worst" in only else set()))
        course = Course.create(scratch / "with-tests", *lessons) if lessons else None
        if "overhead" in only:
            results.update(bench_overhead(sizes, scratch / "overhead", course))
            done("overhead")
        if "worst" in only:
            results.update(bench_worst_case(sizes, course))
            done("worst")
        if "sandbox" in only:
            results.update(bench_sandbox(sizes, course))
            done("sandbox")
        if "batch" in only:
            results.update(bench_batch(sizes, scratch / "batch"))
            done("batch")
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
        if key == "worst_case_ratio":
            w = results["worst_case"]
            return (f"{w['worst_s']['median']:.1f} s vs {w['reference_s']['median']:.1f} s, "
                    f"pairs {min(w['pair_ratios']):.2f}-{max(w['pair_ratios']):.2f}")
        return ""

    rows = [("metric", "measured", "goal", "met", "spread / detail")]
    for key in ("grading_overhead_ratio", "leak_pass_latency_ms",
                "leak_pass_latency_goleak_style_ms", "leak_fail_latency_s", "batch_speedup",
                "worst_case_ratio", "sandbox_overhead_ratio", "protection_overhead_vs_stock",
                "seconds_per_student"):
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
                        help="measure only these")
    args = parser.parse_args(argv)
    os.environ["PATH"] = tool_env()["PATH"]
    results = run(args.quick, args.only)
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench-quick-")) / "results.json"
                       if args.quick else RESULTS)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(table(results))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
