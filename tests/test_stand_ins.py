"""Reports name the checks' own stand-ins in words, never by their file and line."""

import linecache
import os
import threading

import autograder
from autograder.threads.census import LiveThread
from autograder.threads.locations import Location
from autograder.threads.report import describe_thread
from autograder.threads.stand_ins import stand_in

PACKAGE = os.path.dirname(os.path.abspath(autograder.__file__))
CHECK_FILE = os.path.join(PACKAGE, "exercises", "a_lesson.py")  # the grader's own code
LEARNER_FILE = "<ipython-input-7-recheck>"  # a notebook cell: "In [7]"


def _marked(name: str, label: str):
    """A function of the grader's, as a check would define one, marked ``label``."""
    scope: dict = {}
    exec(compile(f"def {name}():\n    pass\n", CHECK_FILE, "exec"), scope)
    return stand_in(label)(scope[name])


consumer = _marked("consumer", "the check's consumer")
_marked("clean_up", "cleaning up for 20 ms")
THREAD_RUN = Location(threading.__file__, 1010, "run")
IN_CONSUMER = Location(CHECK_FILE, 31, "consumer")
CLEANING_UP = Location(CHECK_FILE, 12, "clean_up")
QUEUE_GET = Location(os.path.join(os.path.dirname(threading.__file__), "queue.py"), 171, "get")


def where(*stack: Location, thread=None) -> str:
    # A test in the same worker that compiled a cell under this name left its
    # source in linecache, which the report would quote: these reports quote none.
    linecache.cache.pop(LEARNER_FILE, None)
    return describe_thread(LiveThread(1, thread, tuple(stack)))


def test_inside_a_stand_in_the_report_names_it_and_what_it_does():
    text = where(THREAD_RUN, IN_CONSUMER, CLEANING_UP)
    assert "in the check's consumer, cleaning up for 20 ms" in text
    assert "a_lesson.py" not in text and "line 31" not in text


def test_a_library_call_below_a_stand_in_is_named_by_its_function():
    assert "in the check's consumer (inside get() of queue.py)" in where(
        THREAD_RUN, IN_CONSUMER, QUEUE_GET)


def test_the_learners_line_comes_first_when_it_called_the_stand_in():
    text = where(THREAD_RUN, Location(LEARNER_FILE, 3, "worker"), IN_CONSUMER, QUEUE_GET)
    assert "stuck at In [7], line 3 in worker() (inside the check's consumer)" in text


def test_learner_code_a_stand_in_calls_is_described_as_usual():
    text = where(THREAD_RUN, IN_CONSUMER, Location(LEARNER_FILE, 3, "consumer"), QUEUE_GET)
    assert "stuck at In [7], line 3 in consumer() (inside get() of queue.py)" in text


def test_a_stand_in_as_a_threads_target_is_named_so():
    thread = threading.Thread(target=consumer)
    assert 'target consumer() (the check\'s consumer)' in where(IN_CONSUMER, thread=thread)
