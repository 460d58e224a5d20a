"""An answer imported from the course's own package earns nothing: the
known-good WaitGroup for lesson 03, the known-good consumers for lesson
01. Refused by the check in the kernel, and by the judge when the kernel's
check is faked. Code of the standard library (a subclass of queue.Queue) is
not the course's, and is judged as the learner's."""

import queue

import pytest

from answers import load
from autograder import CheckFailed, check
from autograder.exercises.borrowed import borrowed_from
from judge_helpers import FAKE_CHECK, judged, rejected

BORROWED = {
    "waitgroup": "from autograder.known_good.waitgroup import WaitGroup\n",
    "consumer_exit": "from autograder.known_good.consumers import consumer\n",
    "robust_stop": "from autograder.known_good.consumers import robust_consumer as good\n"
                   "STOP = object()\nrobust_consumer = good(STOP)\n"
                   "def stop_consumers(ch, workers, timeout=1.0):\n    pass\n",
}
SUBCLASSED = "from autograder.known_good.waitgroup import WaitGroup as Theirs\n\n\n" \
             "class WaitGroup(Theirs):\n    def done(self):\n        self.add(-1)\n"


@pytest.mark.parametrize("exercise", sorted(BORROWED))
def test_an_answer_imported_from_the_course_fails_its_check(exercise, capsys):
    with pytest.raises(CheckFailed):
        check(exercise, answers=load(BORROWED[exercise]))
    assert "is the course's own code" in capsys.readouterr().out


def test_a_subclass_of_the_courses_class_is_still_the_courses(capsys):
    with pytest.raises(CheckFailed):
        check("waitgroup", answers=load(SUBCLASSED))
    assert "WaitGroup is the course's own code (autograder/known_good/waitgroup.py)" in \
        capsys.readouterr().out


def test_the_standard_librarys_code_is_not_the_courses():
    class ClosableQueue(queue.Queue):
        pass
    assert borrowed_from(ClosableQueue) is None
    assert borrowed_from(queue.Queue) is None
    assert borrowed_from(lambda: None) is None


@pytest.mark.parametrize("exercise", ["waitgroup", "consumer_exit"])
def test_the_judge_refuses_an_imported_answer_when_the_kernels_check_is_faked(
        exercise, tmp_path):
    errors, _ = judged(FAKE_CHECK + BORROWED[exercise], f'check("{exercise}")', tmp_path)
    rejected(errors, f"{exercise}: ", "is the course's own code")
