"""What grading costs: the course's configuration against the same notebooks
with their tests emptied and against stock nbgrader, the worst case, the
sandbox, and the parallel batch against sequential nbgrader."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from autograder.grading.sandbox import UNSAFE_VARIABLE as UNSAFE
from course_tools import demo_class, demo_students
from course_tools.gradebook_api import EXPORTS, LEDGER_NAME
from course_tools.nbgrader_cli import nbgrader, tool_env
from course_tools.scratch_course import REFERENCE, ROOT, Course, reference_answers

from .measure import alternate, autograde, ratio, summary
from .sizes import REFERENCE_STUDENT, WORST_LESSON, Sizes


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

    All are the demo class's mistakes (course_tools.demo_students): lesson 01's
    three, or, in quick mode, lesson 04's queue drained without joining the
    workers.
    """
    if lesson == "04_channels_vs_locks":
        return ({"signal_done": demo_students.queue_without_join()},
                "signal_done returns while its workers still run")
    answers = {"consumer_exit": demo_students.CONSUMER_NEVER_EXITS,
               "run_session": demo_students.SESSION_DAEMON,
               "robust_stop": demo_students.joins_without_deadline()}
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
    from course_tools.gradebook_api import all_grades
    return {f"{student}/{assignment}": {cell: list(scores) for cell, scores in cells.items()}
            for (student, assignment), cells in all_grades(course).items()}


def bench_batch(sizes: Sizes, scratch: Path) -> dict:
    """The demo class: sequential nbgrader autograde against the parallel batch."""
    sequential = demo_class.scratch_course(scratch / "sequential", lessons=sizes.batch_lessons,
                                           students=sizes.batch_students)
    parallel = demo_class.scratch_course(scratch / "parallel", lessons=sizes.batch_lessons,
                                         students=sizes.batch_students)
    submissions = sorted(str(p.relative_to(sequential / "submitted"))
                         for p in (sequential / "submitted").glob("*/*"))
    lessons = sorted({s.split("/")[1] for s in submissions})

    started = time.perf_counter()
    for lesson in lessons:  # what an instructor does without the batch, for the same files
        nbgrader("generate_assignment", lesson, "--force", cwd=sequential)
        nbgrader("autograde", lesson, "--force", "--create", cwd=sequential, check=False,
                 timeout=3600)
        nbgrader("generate_feedback", lesson, "--force", cwd=sequential, check=False,
                 timeout=3600)
    nbgrader("export", cwd=sequential, check=False)  # grades.csv
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
            "sequential": "nbgrader generate_assignment, autograde and generate_feedback, "
                          "per assignment, then nbgrader export: the batch's outputs",
            "parallel": "python -m course_tools.batch --workers N (make grade: "
                        "autograde, feedback, grades.csv, report)",
            "graded": len(got), "grades_identical": not differences and len(got) == len(
                submissions), "differences": differences,
        },
    }


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

