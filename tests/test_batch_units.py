"""The class batch's parts, without running nbgrader: db_url, ledger, report, demo class."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from sqlalchemy import create_engine, text

from course_tools import demo_class, demo_students
from course_tools.gradebook_api import with_busy_timeout
from course_tools.ledger import Job, Ledger, find_submissions, fingerprint
from course_tools.nbgrader_log import failure_cause
from course_tools.report_html import render_html
from course_tools.report_text import terminal_tables
from course_tools.summary import (Exercise, Incident, Report, Submission, ledger_incident,
                                  read_notebook)
from course_tools.supervisor import (ERROR, KILLED, STOPPED, TIMEOUT, Done, Lost,
                                           Supervisor)
from supervised_jobs import fake_grading


def test_sqlite_urls_get_a_busy_timeout_others_are_left_alone():
    assert with_busy_timeout("sqlite:////c/gradebook.db", 30) == "sqlite:////c/gradebook.db?timeout=30"
    assert with_busy_timeout("sqlite:///g.db?mode=rw", 30) == "sqlite:///g.db?mode=rw&timeout=30"
    assert with_busy_timeout("sqlite:///g.db?timeout=5", 30) == "sqlite:///g.db?timeout=5"
    url = "postgresql://grader@127.0.0.1:5432/gradebook"
    assert with_busy_timeout(url) == url


def test_sqlalchemy_hands_the_timeout_to_sqlite_which_then_waits_for_a_lock(tmp_path):
    path = tmp_path / "g.db"
    engine = create_engine(with_busy_timeout(f"sqlite:///{path}", 10))
    _, kwargs = engine.dialect.create_connect_args(engine.url)
    assert kwargs["timeout"] == 10.0
    with engine.begin() as db:
        db.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    releaser = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    releaser.start()
    started = time.monotonic()
    with engine.begin() as db:  # would fail at once with "database is locked" at timeout=0
        db.execute(text("INSERT INTO t VALUES (1)"))
    assert time.monotonic() - started >= 0.4
    releaser.join()


def test_the_ledger_survives_a_restart_and_notices_a_changed_submission(tmp_path):
    folder = tmp_path / "submitted" / "ada" / "01_x"
    folder.mkdir(parents=True)
    (folder / "01_x.ipynb").write_text("{}")
    job = Job("ada", "01_x")
    ledger = Ledger(tmp_path / "exports" / "ledger.json")
    ledger.record(job, {"fingerprint": fingerprint(tmp_path, job), "success": True})
    again = Ledger(tmp_path / "exports" / "ledger.json")
    assert again.done(job, fingerprint(tmp_path, job))
    (folder / "01_x.ipynb").write_text('{"changed": 1}')
    assert not again.done(job, fingerprint(tmp_path, job))
    assert list((tmp_path / "exports").iterdir()) == [tmp_path / "exports" / "ledger.json"]


def test_a_broken_ledger_means_grade_everything(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text('{"finished": {"ada/01_x": {"finger')
    assert Ledger(path).entries == {}


def test_submissions_are_found_per_student_and_assignment(tmp_path):
    for student, lesson in [("b", "02_y"), ("a", "01_x"), ("a", "02_y")]:
        folder = tmp_path / "submitted" / student / lesson
        folder.mkdir(parents=True)
        (folder / f"{lesson}.ipynb").write_text("{}")
    (tmp_path / "submitted" / "c" / "01_x").mkdir(parents=True)  # nothing handed in
    assert find_submissions(tmp_path) == [Job("a", "01_x"), Job("a", "02_y"), Job("b", "02_y")]
    assert find_submissions(tmp_path, ["02_y"]) == [Job("a", "02_y"), Job("b", "02_y")]


def _test_cell(grade_id: str, outputs: list) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(f'check("{grade_id}")')
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id,
                                 "points": 2}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _autograded(tmp_path: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell("while True: pass")
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "consumer_exit"}
    answer.outputs = [nbformat.from_dict({
        "output_type": "error", "ename": "CellTimeoutError", "evalue": "",
        "traceback": ["\x1b[0;31mCellTimeoutError\x1b[0m: No reply from kernel before timeout"]})]
    notebook.cells = [answer, _test_cell("test_consumer_exit", [
        {"output_type": "stream", "name": "stdout",
         "text": "\N{CROSS MARK} consumer_exit: not yet.\n"
                 "consumer did not return after it received 0.\n"},
        {"output_type": "error", "ename": "CheckFailed",
         "evalue": "consumer_exit: consumer did not return after it received 0.",
         "traceback": []}]), _test_cell("test_run_session", [
             {"output_type": "stream", "name": "stdout", "text": "\N{WHITE HEAVY CHECK MARK} ok"}])]
    notebook.metadata["autograder"] = {"incidents": [
        {"kind": "tampered", "cell": None, "detail": "threading.active_count was replaced"}]}
    path = tmp_path / "01_x.ipynb"
    nbformat.write(notebook, path)
    return path


def test_failures_and_incidents_are_read_from_the_autograded_notebook(tmp_path):
    sub = Submission("ada", "01_x")
    read_notebook(_autograded(tmp_path), sub)
    assert sub.failures == {"test_consumer_exit": "consumer did not return after it received 0."}
    kinds = {(i.kind, i.cell) for i in sub.incidents}
    assert kinds == {("tampered", None), ("timeout", "consumer_exit")}
    timeout = next(i for i in sub.incidents if i.kind == "timeout")
    assert "No reply from kernel" in timeout.detail


def _report(tmp_path: Path) -> Report:
    exercises = [Exercise("01_x", "test_consumer_exit", 2), Exercise("01_x", "test_run_session", 3)]
    subs = {}
    for number, student in enumerate(["ada", "ben", "cy"]):
        sub = Submission(student, "01_x", {"test_consumer_exit": 2.0 if number == 0 else 0.0,
                                           "test_run_session": 3.0})
        if number:
            sub.failures["test_consumer_exit"] = (f"Thread-{number} (consumer) did not "
                                                  f"return after it received 0.")
        subs[(student, "01_x")] = sub
    subs[("cy", "01_x")].incidents.append(Incident("crash", "consumer_exit", "kernel died"))
    return Report(tmp_path, exercises, {"01_x": 5.0}, subs)


def test_the_report_groups_failures_charts_scores_and_lists_what_needs_a_look(tmp_path):
    report = _report(tmp_path)
    [(message, count, who)] = report.common_failures(report.exercises[0])
    assert count == 2 and who == ["ben", "cy"]  # thread numbers differ, same failure
    page = render_html(report)
    assert page.count("data:image/png;base64,") == 2
    assert "score distribution of 01_x/test_consumer_exit" in page
    look = page.split("id='needs-a-look'")[1].split("<h2>")[0]
    assert "cy" in look and "crash" in look and "kernel died" in look and "ada" not in look
    tables = terminal_tables(report)
    assert "ada      5/5" in tables and "2x Thread-1 (consumer)" in tables
    assert "cy/01_x: crash in consumer_exit: kernel died" in tables


def test_the_committed_demo_class_is_what_its_generator_writes():
    assert demo_class.stale() == [], "run: python -m course_tools.demo_class build"


def test_the_demo_class_has_the_kinds_of_submission_an_instructor_meets():
    students = demo_students.students()
    assert len(students) >= 6
    lessons = {lesson for handed_in in students.values() for lesson in handed_in}
    assert lessons == set(demo_students.LESSONS)
    names = " ".join(students)
    for word in ("partial", "leaky", "hangs", "tampers", "crashes", "untouched"):
        assert word in names


# --------------------------------------------------------------------------
# The supervisor: jobs that kill, stop or outlast their worker cost only themselves.
# The stand-in jobs live in a small module of their own: each worker imports it.


def _marked(marker: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if marker in " ".join(process.info["cmdline"] or []) and \
                process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


@pytest.mark.slow  # outlasts a worker's deadlines: about 10 s
def test_each_job_that_kills_stops_or_outlasts_its_worker_is_lost_alone(tmp_path):
    marker = f"supervised-sleeper-{os.getpid()}-{time.time_ns()}"
    jobs = ["a", "kills its parent", "b", "stops its parent", "c", "never ends",
            "leaves an orphan, then kills its parent", "raises", "d"]
    events = {}
    with Supervisor(3, fake_grading, (marker,), job_timeout=4, stopped_grace=0.5,
                    tick=0.1) as pool:
        for event in pool.run(jobs):
            assert event.job not in events, f"{event.job} ended twice"
            events[event.job] = event
        assert pool.replaced >= 5
    assert set(events) == set(jobs)
    for job in ("a", "b", "c", "d"):
        assert events[job] == Done(job, f"graded {job}")
    killed = events["kills its parent"]
    assert isinstance(killed, Lost) and killed.kind == KILLED
    assert killed.detail == ("its grading process was killed by SIGKILL while running it, "
                             "2 times, each time on a fresh worker")
    assert events["stops its parent"].kind == STOPPED
    assert "stopped (SIGSTOP)" in events["stops its parent"].detail
    assert events["never ends"].kind == TIMEOUT and events["never ends"].seconds >= 4
    assert "after 4 s" in events["never ends"].detail
    assert events["leaves an orphan, then kills its parent"].kind == KILLED
    assert events["raises"].kind == ERROR and "ValueError: the grading broke" in \
        events["raises"].detail
    assert not _marked(marker), "an orphan of a killed worker was left running"
    left = [" ".join(c.cmdline()) for c in psutil.Process().children(recursive=True)
            if c.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in c.cmdline()[-1]]
    assert not left, f"left running: {left}"


def test_a_job_whose_worker_died_once_is_graded_again_not_charged(tmp_path):
    flag = str(tmp_path / "died")
    with Supervisor(2, fake_grading, (flag,), tick=0.1) as pool:
        events = list(pool.run(["dies once", "a"]))
    assert sorted(events, key=lambda e: e.job) == [Done("a", "graded a"),
                                                   Done("dies once", "graded dies once")]
    assert Path(flag).exists()


def test_the_end_of_the_traceback_nbgrader_logged_is_the_cause():
    log = ("[INFO] Converting notebook submitted/ada/01_x/01_x.ipynb\n"
           "[ERROR] There was an error processing assignment: submitted/ada/01_x\n"
           "[ERROR] Traceback (most recent call last):\n"  # later lines indented, as logged
           "      File \"nbgrader/converters/base.py\", line 388, in convert_notebooks\n"
           "        self.convert_single_notebook(notebook_filename)\n"
           "    nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'oops'\n"
           "[ERROR] There was an error processing assignment '01_x' for student 'ada'\n"
           "[ERROR] Please see the the above traceback for details on the specific errors "
           "on the above failures.\n")
    error = ("Traceback (most recent call last):\n  File \"nbgrader/utils.py\", line 542\n"
             "nbgrader.converters.base.NbGraderException: Please see the the above traceback")
    cause = failure_cause(log, error, lines=2)
    assert cause == ("    self.convert_single_notebook(notebook_filename)\n"
                     "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: 'oops'")
    assert failure_cause(None, "Traceback (most recent call last):\n  x\nOSError: disk full") \
        == "  x\nOSError: disk full"
    assert failure_cause("[ERROR] the gradebook is gone\n[ERROR] Please see the above "
                         "traceback", error) == "the gradebook is gone"


def test_the_report_and_terminal_show_lost_and_failed_submissions_with_their_cause(tmp_path):
    lost = ledger_incident({"success": False, "lost": KILLED,
                            "cause": "its grading process was killed by SIGKILL"})
    assert (lost.kind, lost.detail) == (KILLED, "graded zero: its grading process was "
                                                "killed by SIGKILL")
    failed = ledger_incident({"success": False, "error": "NbGraderException: see above",
                              "cause": "  File x\nNotJSONError: not JSON"})
    assert failed.detail == "nbgrader failed: NotJSONError: not JSON"
    report = _report(tmp_path)
    report.submissions[("ada", "01_x")].incidents.append(failed)
    page = render_html(report)
    assert "<pre>File x\nNotJSONError: not JSON</pre>" in page
    assert "ada/01_x: crash: nbgrader failed: NotJSONError: not JSON" in terminal_tables(report)


def test_a_second_batch_on_the_same_course_is_refused_while_the_first_runs(tmp_path):
    """SQLite gradebooks: flock on exports/batch.lock, released however the holder ends."""
    import subprocess
    import sys

    import pytest

    from course_tools.class_lock import ClassBusy, only_batch

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from pathlib import Path\n"
         "from course_tools.class_lock import only_batch\n"
         "with only_batch('sqlite:///gradebook.db', 'c', Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(60)\n", str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ClassBusy, match=f"process {holder.pid}.*nothing was graded"):
            with only_batch("sqlite:///gradebook.db", "c", tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with only_batch("sqlite:///gradebook.db", "c", tmp_path):  # killed: the lock went with it
        pass


def test_results_from_a_worker_replace_the_folder_whole(tmp_path):
    from course_tools.dask_pool import replace_folder
    from course_tools.dask_task import write_tree

    folder = tmp_path / "autograded" / "ada" / "01"
    write_tree(folder, {"old.ipynb": b"old", "stale/x.txt": b"x"})
    replace_folder(folder, {"01.ipynb": b"new", "data/y.txt": b"y"})
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "01.ipynb", "data/y.txt"]
    assert [p.name for p in folder.parent.iterdir()] == ["01"]  # nothing staged is left
    replace_folder(folder, {})
    assert not folder.exists()


def test_a_worker_writes_no_file_outside_its_folder(tmp_path):
    import pytest

    from course_tools.dask_task import write_tree

    with pytest.raises(ValueError, match="outside"):
        write_tree(tmp_path / "in", {"../out.txt": b"x"})
    assert not (tmp_path / "out.txt").exists()


def test_workers_on_other_machines_are_told_apart_from_this_ones():
    """An SQLite gradebook is refused when a Dask worker is elsewhere."""
    import psutil

    from course_tools.dask_pool import on_this_machine

    mine = [e.address for es in psutil.net_if_addrs().values() for e in es if e.family == 2]
    assert all(on_this_machine(f"tcp://{address}:8786") for address in mine)
    assert on_this_machine("tcp://localhost:1") and on_this_machine("tls://[::1]:1")
    assert not on_this_machine("tcp://203.0.113.9:8786")  # TEST-NET-3: nobody's
    assert not on_this_machine("tcp://grader-7.example:8786")


def _grading_pool_in_a_daemon(conn):
    from course_tools.dask_task import Kit, grading_pool
    try:
        grading_pool(Kit("0" * 64, "", {}), Path("/nonexistent"), True, 10)
        conn.send("started")
    except RuntimeError as error:
        conn.send(str(error))


def test_a_dask_worker_under_a_nanny_is_told_how_to_start_instead():
    """A nanny's worker is daemonic and may not start the grading process: the
    task says how to start the workers instead of failing obscurely."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe()
    daemon = context.Process(target=_grading_pool_in_a_daemon, args=(theirs,), daemon=True)
    daemon.start()
    said = mine.recv()
    daemon.join(10)
    assert "--no-nanny" in said and "DASK_DISTRIBUTED__WORKER__DAEMON=False" in said
