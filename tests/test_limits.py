"""The checks' time limits live in one place and grading can set them."""

import os
import subprocess
import sys

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
