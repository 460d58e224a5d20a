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


# Answers of the learner's own that hand the work to a known-good piece.
WRAPPED = {
    "a global module": ("waitgroup", "import autograder.known_good.waitgroup as good\n\n\n"
                        "class WaitGroup:\n    def __init__(self):\n"
                        "        self._wg = good.WaitGroup()\n\n"
                        "    def add(self, delta=1):\n        self._wg.add(delta)\n\n"
                        "    def done(self):\n        self._wg.done()\n\n"
                        "    def wait(self, timeout=None):\n"
                        "        return self._wg.wait(timeout)\n"),
    "a global class": ("consumer_exit", "from autograder.known_good.consumers import "
                       "consumer as good\n\n\ndef consumer(ch, out):\n"
                       "    return good(ch, out)\n"),
    "an import inside": ("consumer_exit", "def consumer(ch, out):\n"
                         "    from autograder.known_good import consumers\n"
                         "    return consumers.consumer(ch, out)\n"),
    "a class attribute": ("waitgroup", "from autograder.known_good.waitgroup import "
                          "WaitGroup as Good\n\n\nclass WaitGroup:\n    inner = Good\n\n"
                          "    def __init__(self):\n        self._wg = self.inner()\n\n"
                          "    def add(self, delta=1):\n        self._wg.add(delta)\n\n"
                          "    def done(self):\n        self._wg.done()\n\n"
                          "    def wait(self, timeout=None):\n"
                          "        return self._wg.wait(timeout)\n"),
    "a closure": ("consumer_exit", "def make():\n"
                  "    from autograder.known_good.consumers import consumer as good\n\n"
                  "    def consumer(ch, out):\n        return good(ch, out)\n"
                  "    return consumer\n\n\nconsumer = make()\n"),
    "an instance": ("waitgroup", "from autograder.known_good.waitgroup import WaitGroup as G\n"
                    "shared = G()\ndel G\n\n\nclass WaitGroup:\n"
                    "    def add(self, delta=1):\n        shared.add(delta)\n\n"
                    "    def done(self):\n        shared.done()\n\n"
                    "    def wait(self, timeout=None):\n        return shared.wait(timeout)\n"),
}


@pytest.mark.parametrize("way", sorted(WRAPPED))
def test_an_answer_that_hands_its_work_to_a_known_good_piece_fails(way, capsys):
    exercise, source = WRAPPED[way]
    with pytest.raises(CheckFailed):
        check(exercise, answers=load("import threading", source))
    assert "hands its work to the course's known-good code" in capsys.readouterr().out


def test_the_judge_refuses_a_wrapper_when_the_kernels_check_is_faked(tmp_path):
    errors, _ = judged(FAKE_CHECK + WRAPPED["a global class"][1], 'check("consumer_exit")',
                       tmp_path)
    rejected(errors, "consumer_exit: ", "hands its work to the course's known-good code")


def test_an_answer_that_uses_the_lessons_go_waitgroup_is_its_own():
    """Lesson 04's answers use the WaitGroup the lesson lends: not a known-good piece."""
    from autograder.exercises.borrowed import leans_on_known_good
    from autograder.lessons.channels_vs_locks import WaitGroup

    def signal_done_waitgroup(n):
        wg = WaitGroup()
        wg.add(n)
        return wg

    assert not leans_on_known_good(signal_done_waitgroup)


def test_a_name_of_the_learners_own_called_known_good_is_not_the_courses():
    """Only the package's folder counts: a right consumer that keeps a global
    list called known_good, or prints the words, is the learner's own."""
    from autograder.exercises.borrowed import leans_on_known_good

    answers = load("import queue\nknown_good = []\n\n\ndef consumer(ch, out):\n"
                   "    while True:\n        item = ch.get()\n        if item == 0:\n"
                   "            print('known_good', len(known_good))\n            return\n"
                   "        known_good.append(item)\n        out.append(item)\n")
    assert not leans_on_known_good(answers["consumer"])

