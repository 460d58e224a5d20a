"""The checks' time limits live in one place and grading can set them."""

import os
import subprocess
import sys

import judge_helpers
from autograder.exercises import limits
from autograder.grading.execute import ResilientExecute
from autograder.grading.sandbox import KEPT_VARIABLES


def limits_seen(env: dict) -> str:
    return subprocess.run(
        [sys.executable, "-c", "from autograder.exercises import harness, leaky_consumer as l;"
         "print(harness.CALL_DEADLINE, l.EXIT_DEADLINE)"],
        env={**os.environ, **env}, capture_output=True, text=True, check=True).stdout.strip()


def test_the_checks_read_their_limits_from_the_environment():
    assert limits_seen({}) == "3.0 1.0"
    assert limits_seen({limits.CALL_VARIABLE: "7", limits.EXIT_VARIABLE: "2.5"}) == "7.0 2.5"
    assert limits_seen({limits.CALL_VARIABLE: "nonsense", limits.EXIT_VARIABLE: "-1"}) == "3.0 1.0"


def test_grading_hands_its_configured_limits_to_the_kernel_and_the_recheck(monkeypatch):
    from nbformat.v4 import new_notebook
    from nbgrader.preprocessors import Execute

    monkeypatch.delenv(limits.CALL_VARIABLE, raising=False)
    monkeypatch.delenv(limits.EXIT_VARIABLE, raising=False)
    # No kernel is needed: nbgrader's own execution is left out.
    monkeypatch.setattr(Execute, "preprocess", lambda self, nb, resources, km=None: (nb, resources))
    ResilientExecute(call_deadline=6.0, exit_deadline=2.0).preprocess(new_notebook(), {})
    assert os.environ[limits.CALL_VARIABLE] == "6.0"
    assert os.environ[limits.EXIT_VARIABLE] == "2.0"
    assert {limits.CALL_VARIABLE, limits.EXIT_VARIABLE} <= set(KEPT_VARIABLES)


def test_the_recheck_started_before_the_kernel_gets_the_configured_limits(monkeypatch):
    """StartVerification starts the re-check first: it hands the limits over itself."""
    from nbconvert.exporters import NotebookExporter
    from traitlets.config import Config

    from autograder.grading import verify
    from autograder.learner import HIDDEN_ELSEWHERE_VARIABLE

    monkeypatch.delenv(limits.CALL_VARIABLE, raising=False)
    monkeypatch.delenv(limits.EXIT_VARIABLE, raising=False)
    monkeypatch.setenv(HIDDEN_ELSEWHERE_VARIABLE, "")  # put back as it was, after
    seen_at_start = {}  # the environment the re-check's process would be given
    monkeypatch.setattr(verify.VerifyOutsideKernel, "start",
                        lambda self, nb, resources: seen_at_start.update(os.environ))
    config = Config()
    config.ResilientExecute.call_deadline, config.ResilientExecute.exit_deadline = 6.0, 2.0
    exporter = NotebookExporter(config=config)
    verify.StartVerification(parent=exporter).preprocess(judge_helpers.notebook("", ""), {})
    assert seen_at_start[limits.CALL_VARIABLE] == "6.0"
    assert seen_at_start[limits.EXIT_VARIABLE] == "2.0"


def test_a_process_with_a_name_of_any_bytes_still_counts_against_the_limits():
    """A name that is not UTF-8 must not hide a process (or its memory) from the watchdog."""
    from autograder.grading.watchdog import process_tree, usage
    renamed = subprocess.Popen([sys.executable, "-c", (
        "import time\nopen('/proc/self/comm', 'wb').write(b'\\xff\\xfehidden')\n"
        "print('renamed', flush=True)\ntime.sleep(30)")], stdout=subprocess.PIPE)
    try:
        assert renamed.stdout.readline() == b"renamed\n"
        assert renamed.pid in process_tree(os.getpid())
        resident, tasks = usage([renamed.pid])
        assert resident > 0 and tasks == 1
    finally:
        renamed.kill()
        renamed.wait()


def test_an_error_output_is_kept_at_a_bounded_size():
    from autograder.grading.execute import ERROR_LINES, ERROR_TEXT, _shortened_error
    huge = {"ename": "ValueError", "evalue": "x" * (10 * ERROR_TEXT),
            "traceback": ["line " + "y" * (10 * ERROR_TEXT)] * (3 * ERROR_LINES)}
    kept = _shortened_error(huge)
    assert kept["ename"] == "ValueError" and kept["evalue"].endswith("[...cut]")
    assert len(kept["evalue"]) < ERROR_TEXT + 20 and len(kept["traceback"]) == ERROR_LINES
    assert all(len(line) < ERROR_TEXT + 20 for line in kept["traceback"])
    small = {"ename": "KeyError", "evalue": "'a'", "traceback": ["one", "two"]}
    assert _shortened_error(small) == small
