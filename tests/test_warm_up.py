"""Lesson 00's warm-up: the written count_to passes, and each way the text
suggests to break it makes the check say what went wrong."""

import re
import textwrap

import pytest

from autograder.lessons.programs import run_python
from lesson_cells import ROOT

TEXT = (ROOT / "text" / "00_start_here" / "00_start_here.md").read_text()
WRITTEN = re.search(r"(def count_to\(n\):.*?return sorted\(results\)\n)", TEXT, re.S).group(1)
SUGGESTED = re.findall(r"\(`(target=lambda i: [^`]+)`\)", TEXT)
NO_JOIN = re.sub(r"    for t in threads:\n        t.join\(\)\n", "", WRITTEN)


def graded(count_to: str) -> str:
    """The check's verdict on ``count_to``, in a child process: a thread that
    waits forever must not keep this one from ending."""
    program = ("import os, queue, threading, time\nfrom autograder import check\n"
               + count_to + "\ntry:\n    check('warm_up')\nexcept AssertionError:\n    pass\n"
               "os._exit(0)\n")
    return run_python(program, timeout=30).stdout


def test_the_text_suggests_two_breaks():
    assert len(SUGGESTED) == 2 and NO_JOIN != WRITTEN


def test_the_written_count_to_passes():
    assert "\N{WHITE HEAVY CHECK MARK} warm_up: passed" in graded(WRITTEN)


@pytest.mark.parametrize("count_to, said", [
    (NO_JOIN.replace("target=results.append", SUGGESTED[0]), "returned []"),
    (WRITTEN.replace("target=results.append", SUGGESTED[1]), "did not return within"),
], ids=["a moment of work, no join", "a thread that waits forever"])
def test_each_suggested_break_fails_with_a_reason(count_to, said):
    verdict = graded(textwrap.dedent(count_to))
    assert "\N{CROSS MARK} warm_up: not yet." in verdict and said in verdict, verdict
