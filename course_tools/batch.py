"""Grade a whole class: nbgrader's autograde in parallel, resumable, with a report.

    python -m course_tools.batch [ASSIGNMENT ...] [--workers N] [--course DIR]
                                 [--scheduler ADDRESS] [--job-timeout SECONDS]
                                 [--unsafe-no-sandbox]

Every submission in the course's ``submitted/<student>/<assignment>/`` is
autograded by nbgrader itself (the course's ``nbgrader_config.py`` and all the
preprocessors it configures apply), in N worker processes that each import
nbgrader once and then grade one (student, assignment) at a time through
nbgrader's Python API (``grading_worker``). With ``--scheduler`` the workers
are a Dask cluster's instead (``dask_pool``); the rest is the same.
Feedback is generated for each graded submission, the grades are exported to
``exports/grades.csv`` and a report is written to ``exports/report.html``.

No submission can stop the batch: the workers are watched from outside
(``supervisor``). A submission whose code kills its worker (twice, each time
on a fresh one), stops it, or is still not graded after ``--job-timeout``
seconds costs only itself: its worker is killed and replaced, and it is
recorded in the gradebook as graded with zero for every test, with the
reason in the ledger and the report. When nbgrader itself fails on a
submission, the end of the traceback nbgrader logged is kept as the cause.

Resuming: after each finished submission the ledger (``ledger``:
``exports/batch-ledger.json``) is rewritten atomically. A batch that was
interrupted (Ctrl-C, or killed) is simply run again: submissions in the ledger
whose files have not changed since are not graded again; every other one is
graded with ``--force``, so nothing is lost or duplicated. ``--fresh``
ignores the ledger. One batch at a time per class: a second is refused
(``class_lock``).

SQLite gradebooks get a busy timeout (``?timeout=`` on the db_url, which
SQLAlchemy hands to ``sqlite3.connect``), the gradebook, course, assignments
and students are created before any worker starts, and a write that still
meets a locked database is retried. A PostgreSQL gradebook (``db_url`` in
``nbgrader_config.py``) is used as configured.

Exit status: 0 when the batch ran, even if some submissions failed, crashed
or timed out (they are listed); 1 when the tool itself could not run; 130
when interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import supervisor
from .class_lock import only_batch
from .grading_worker import grade_one, init_worker
from .gradebook_api import (EXPORTS, LEDGER_NAME, export_grades, grade_zero, in_gradebook,
                           load_api, prepare_gradebook)
from .ledger import Job, Ledger, find_submissions, fingerprint, ledger_entry

WORKER_LOG = "batch-workers.log"  # what the workers and their kernels wrote to stderr
NO_SANDBOX = "AUTOGRADER_UNSAFE_NO_SANDBOX"  # set: kernels run without the sandbox


# --------------------------------------------------------------------------
# The batch


@dataclass
class BatchResult:
    course: Path
    jobs: list[Job]
    graded: list[dict] = field(default_factory=list)  # outcomes of this run
    skipped: list[Job] = field(default_factory=list)  # finished in an earlier run
    unfinished: list[Job] = field(default_factory=list)
    wall_seconds: float = 0.0
    workers: int = 1
    interrupted: bool = False

    @property
    def failed(self) -> list[dict]:
        """Submissions nbgrader could not grade."""
        return [o for o in self.graded if not o["success"] and not o.get("lost")]

    @property
    def lost(self) -> list[dict]:
        """Submissions that killed, stopped or outlasted their worker: graded zero."""
        return [o for o in self.graded if o.get("lost")]

    def speedup(self) -> float | None:
        work = sum(o["seconds"] for o in self.graded)
        return work / self.wall_seconds if self.graded and self.wall_seconds else None


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def run_batch(course: Path, assignments: list[str] | None = None, workers: int | None = None,
              fresh: bool = False, feedback: bool = True, progress: bool = True,
              stop_after: int | None = None,
              job_timeout: float = supervisor.DEFAULT_JOB_TIMEOUT,
              scheduler: str | None = None) -> BatchResult:
    """Grade every submission not already finished. See the module's doc.

    ``scheduler``: a Dask scheduler's address; its workers grade instead of
    local processes (``dask_pool``). ``stop_after`` (for tests) stops after
    that many submissions, like Ctrl-C. ``ClassBusy`` if another batch is
    grading the same class.
    """
    course = course.resolve()
    api = load_api(course)
    with only_batch(api.coursedir.db_url, api.coursedir.course_id, course / EXPORTS):
        return _run_batch(course, api, assignments, workers, fresh, feedback, progress,
                          stop_after, job_timeout, scheduler)


def _run_batch(course, api, assignments, workers, fresh, feedback, progress, stop_after,
               job_timeout, scheduler) -> BatchResult:
    workers = workers or default_workers()
    jobs = find_submissions(course, assignments)
    ledger = Ledger(course / EXPORTS / LEDGER_NAME)
    result = BatchResult(course, jobs, workers=workers)
    problems = prepare_gradebook(api, jobs)
    if problems:
        raise SystemExit("cannot grade:\n" + "\n".join(problems))

    prints = {job: fingerprint(course, job) for job in jobs}
    todo = []
    for job in jobs:
        if not fresh and ledger.done(job, prints[job]) and in_gradebook(api, job):
            result.skipped.append(job)
        else:
            ledger.forget(job)
            todo.append(job)
    if result.skipped:
        print(f"{len(result.skipped)} submission(s) already graded (in {ledger.path.name}); "
              f"{len(todo)} to grade.", flush=True)

    started = time.perf_counter()
    pending = list(todo)
    result.workers = workers = max(1, min(workers, len(pending) or 1))
    worker_log = course / EXPORTS / WORKER_LOG
    worker_log.parent.mkdir(parents=True, exist_ok=True)
    bar = _progress(len(pending), progress)
    previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
    if scheduler:
        from .dask_pool import DaskPool
        pool = DaskPool(scheduler, course, api, feedback=feedback, job_timeout=job_timeout)
    else:
        pool = supervisor.Supervisor(workers, grade_one, (feedback,), initializer=init_worker,
                                     initargs=(str(course), os.getpid(), str(worker_log)),
                                     job_timeout=job_timeout)
    try:
        with pool:
            if scheduler:
                result.workers = pool.size
            for event in pool.run(todo):
                outcome = settle(api, event)
                job = event.job
                pending.remove(job)
                result.graded.append(outcome)
                if not outcome["tool_error"]:
                    ledger.record(job, ledger_entry(outcome, prints[job]))
                bar.set_postfix_str(f"{job.key} {_verdict(outcome)}", refresh=False)
                bar.update(1)
                if stop_after is not None and len(result.graded) >= stop_after:
                    raise KeyboardInterrupt
    except KeyboardInterrupt:
        result.interrupted = True
        result.unfinished = list(pending)
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
        bar.close()
        result.wall_seconds = time.perf_counter() - started
    if pool.replaced:
        print(f"{pool.replaced} worker process(es) were lost and replaced during the batch",
              file=sys.stderr, flush=True)
    return result


def settle(api, event) -> dict:
    """A job's outcome; a lost one is first recorded in the gradebook as zero."""
    if isinstance(event, supervisor.Done):
        return event.outcome
    grade_zero(api, event.job)
    return {"student": event.job.student, "assignment": event.job.assignment,
            "success": False, "lost": event.kind, "cause": event.detail,
            "error": None, "log": None, "attempts": 1, "feedback": None,
            "seconds": round(event.seconds, 3), "tool_error": False}


def _verdict(outcome: dict) -> str:
    if outcome.get("lost"):
        return f"ZERO ({outcome['lost']})"
    return "ok" if outcome["success"] else "FAILED"


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


class _NoBar:
    def set_postfix_str(self, *args, **kwargs):
        pass

    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool):
    if not enabled or not total:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, unit="submission", desc="autograding", dynamic_ncols=True,
                mininterval=0.5, file=sys.stderr)


# --------------------------------------------------------------------------
# After the batch


def describe(result: BatchResult) -> str:
    lines = []
    ok = sum(o["success"] for o in result.graded)
    lines.append(f"graded {len(result.graded)} submission(s) in {result.wall_seconds:.1f} s "
                 f"with {result.workers} worker(s): {ok} completed, "
                 f"{len(result.failed)} failed in nbgrader"
                 + (f", {len(result.lost)} graded zero (killed, stopped or outlasted "
                    "their worker)" if result.lost else "")
                 + (f", {len(result.skipped)} already graded before" if result.skipped else ""))
    speedup = result.speedup()
    if speedup:
        work = sum(o["seconds"] for o in result.graded)
        lines.append(f"grading work {work:.1f} s in {result.wall_seconds:.1f} s of wall time: "
                     f"{speedup:.2f}x faster than one submission at a time")
    for outcome in result.lost:
        lines.append(f"  needs a look: {outcome['student']}/{outcome['assignment']}: "
                     f"graded zero, {outcome['lost']}: {outcome['cause']}")
    for outcome in result.failed:
        cause = (outcome.get("cause") or "nbgrader failed").strip().splitlines()
        lines.append(f"  needs a look: {outcome['student']}/{outcome['assignment']}: "
                     f"nbgrader failed: {cause[-1]}")
        lines.extend(f"      {line}" for line in cause[:-1])
    if result.interrupted:
        lines.append(f"interrupted: {len(result.unfinished)} submission(s) not graded yet; "
                     "finished ones are saved, run the same command again to go on.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_tools.batch",
        description="Autograde every submission of the class in parallel, "
                    "then feedback, grades.csv and a report.")
    parser.add_argument("assignments", nargs="*", help="assignments to grade (default: all)")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the course directory (default: the current one)")
    parser.add_argument("--workers", "-j", type=int, default=None,
                        help=f"parallel workers (default: the machine's cores, "
                             f"{default_workers()})")
    parser.add_argument("--fresh", action="store_true",
                        help="ignore the ledger: grade every submission again")
    parser.add_argument("--no-feedback", action="store_true", help="skip generate_feedback")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--job-timeout", type=float, default=supervisor.DEFAULT_JOB_TIMEOUT,
                        metavar="SECONDS",
                        help="a submission still not graded after this long is graded zero "
                             "and its worker replaced (default: %(default)g)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="grade on the workers of this Dask scheduler "
                             "(tcp://host:8786) instead of local processes")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help=f"run kernels without the sandbox (sets {NO_SANDBOX}=1): "
                             "only for submissions you trust")
    parser.add_argument("--report", type=Path, default=None,
                        help="where to write the report (default: exports/report.html)")
    parser.add_argument("--csv", type=Path, default=None,
                        help="where to write the grades (default: exports/grades.csv)")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if not (course / "nbgrader_config.py").exists():
        print(f"error: {course} has no nbgrader_config.py: not a course directory",
              file=sys.stderr)
        return 1
    if args.workers is not None and args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 1
    if not args.job_timeout > 0:
        print("error: --job-timeout must be more than 0 seconds", file=sys.stderr)
        return 1
    if args.unsafe_no_sandbox:
        os.environ[NO_SANDBOX] = "1"  # the workers, and so their kernels, inherit it
    if os.environ.get(NO_SANDBOX):
        print(f"WARNING: {NO_SANDBOX} is set: submissions run WITHOUT the sandbox; their "
              "code can signal the grader's processes and read your files. Grade only "
              "submissions you trust this way.", file=sys.stderr, flush=True)
    try:
        result = run_batch(course, args.assignments or None, args.workers, fresh=args.fresh,
                           feedback=not args.no_feedback, progress=not args.no_progress,
                           job_timeout=args.job_timeout, scheduler=args.scheduler)
    except SystemExit as stop:
        print(f"error: {stop}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - the tool itself cannot run: say why
        traceback.print_exc()
        print(f"error: the batch could not run: {error}", file=sys.stderr)
        return 1
    print(describe(result), flush=True)
    if result.interrupted:
        return 130
    if not result.jobs:
        print(f"nothing to grade: no submissions in {course / 'submitted'}"
              + (f" for {', '.join(args.assignments)}" if args.assignments else ""))
        return 0
    from . import report_html, report_text, summary

    csv_path = export_grades(course, args.csv)
    report = summary.collect(course, args.assignments or None)
    print(report_text.terminal_tables(report), flush=True)
    report_path = report_html.write_html(report, args.report or course / EXPORTS / "report.html")
    print(f"grades:  {csv_path}")
    print(f"report:  {report_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
