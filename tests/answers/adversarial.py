"""Hostile submissions to lesson 01, each with the scores it must get.

Every entry starts from the reference answers and changes one thing: an
answer cell's source (``cells``) and/or the notebook itself (``edit``).
``scores`` gives the expected points per test cell; ``incident`` the kind of
incident the grading must record (or None).
"""

import inspect
from dataclasses import dataclass, field
from collections.abc import Callable

import nbformat

from course_tools.answers import REFERENCE, reference_answers

LESSON = "01_leaky_consumer"
FULL = {"test_consumer_exit": 2, "test_run_session": 3, "test_robust_stop": 5}

LEAKY_SESSION = '''
def run_session(words):
    ch = queue.Queue()
    counts = []
    for word in words:
        if word != "exit":
            threading.Thread(target=consumer, args=(ch, []), daemon=True).start()
            counts.append(threading.active_count())
    return counts
'''


@dataclass
class Hostile:
    cells: dict = field(default_factory=dict)
    edit: Callable | None = None
    scores: dict = field(default_factory=lambda: dict(FULL))
    incident: str | None = None


def _cell(notebook, grade_id):
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _delete_test(notebook):
    notebook.cells.remove(_cell(notebook, "test_run_session"))


def _empty_test(notebook):
    _cell(notebook, "test_consumer_exit").source = ""


def _edit_test(notebook):
    _cell(notebook, "test_robust_stop").source = "print('✅ robust_stop: passed')"


def _strip_test_metadata(notebook):
    del _cell(notebook, "test_robust_stop").metadata["nbgrader"]


def _duplicate_answer(notebook):
    cell = _cell(notebook, "robust_stop")
    notebook.cells.insert(notebook.cells.index(cell) + 1, nbformat.from_dict(
        dict(cell, id="duplicate-answer")))


def _split_answer(notebook, reference):
    cell = _cell(notebook, "robust_stop")
    head, tail = reference.split("\ndef stop_consumers", 1)
    cell.source = head
    notebook.cells.insert(notebook.cells.index(cell) + 1,
                          nbformat.v4.new_code_cell("def stop_consumers" + tail))


SWALLOWS_INTERRUPT = '''
while True:
    try:
        time.sleep(1)
    except KeyboardInterrupt:
        pass
'''

HOSTILE = {
    "endless loop swallowing KeyboardInterrupt": Hostile(
        cells={"run_session": "REFERENCE+" + SWALLOWS_INTERRUPT},
        scores=dict(FULL, test_run_session=0, test_robust_stop=0), incident="timeout"),
    "os._exit()": Hostile(
        cells={"robust_stop": "import os\nos._exit(3)\n"},
        scores=dict(FULL, test_robust_stop=0), incident="crash"),
    "sys.exit()": Hostile(cells={"run_session": "REFERENCE+\nimport sys\nsys.exit(0)\n"}),
    "segfault through ctypes": Hostile(
        cells={"robust_stop": "import ctypes\nctypes.string_at(0)\n"},
        scores=dict(FULL, test_robust_stop=0), incident="crash"),
    # One allocation past the sandbox's limit: MemoryError at once, not a
    # machine brought to its knees (a gradual hog is bounded the same way).
    "memory hog": Hostile(
        cells={"consumer_exit": "def consumer(ch, out):\n"
                                "    hog = bytearray(64 * 2**30)\n"},
        scores=dict(FULL, test_consumer_exit=0)),
    "flood of output": Hostile(cells={"consumer_exit": "REFERENCE+\nprint('x' * 50_000_000)\n"},
                               incident="output"),
    # The kernel can start no more threads, so later checks fail, saying why.
    "thousands of stray threads": Hostile(
        cells={"run_session": "REFERENCE+\n"
               "_gate = threading.Event()\n"
               "for _ in range(5000):\n"
               "    try:\n"
               "        threading.Thread(target=_gate.wait, daemon=True).start()\n"
               "    except RuntimeError:\n"
               "        break\n"},
        scores=dict(FULL, test_run_session=0, test_robust_stop=0)),
    "test cell deleted": Hostile(edit=_delete_test),
    "test cell emptied": Hostile(edit=_empty_test),
    "test cell edited": Hostile(edit=_edit_test),
    "test cell stripped of its metadata": Hostile(edit=_strip_test_metadata),
    "answer cell duplicated": Hostile(edit=_duplicate_answer),
    "answer cell split": Hostile(edit=_split_answer),
    # Cheats, each with a leaky run_session behind it: they must earn nothing.
    "fake threading.active_count": Hostile(
        cells={"run_session": LEAKY_SESSION + "threading.active_count = lambda: 9\n"},
        scores=dict(FULL, test_run_session=0)),
    "threads removed from threading._active": Hostile(
        cells={"run_session": LEAKY_SESSION.replace(
            "threading.Thread(target=consumer, args=(ch, []), daemon=True).start()",
            "worker = threading.Thread(target=consumer, args=(ch, []), daemon=True)\n"
            "            worker.start()\n"
            "            threading._active.pop(worker.ident)")},
        scores=dict(FULL, test_run_session=0)),
    # Clearing the whole registry breaks the kernel itself: it is killed at the
    # cell's timeout, and the tests after that point score zero.
    "threading._active cleared": Hostile(
        cells={"run_session": LEAKY_SESSION.replace(
            "counts.append(threading.active_count())",
            "counts.append(threading.active_count())\n"
            "            threading._active.clear()")},
        scores=dict(FULL, test_run_session=0, test_robust_stop=0), incident="timeout"),
    "autograder replaced in sys.modules": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
import sys
class _Yes:
    def __getattr__(self, name):
        return lambda *args, **kwargs: print("✅ passed")
sys.modules["autograder"] = _Yes()
check = sys.modules["autograder"].check
'''}, scores=dict(FULL, test_run_session=0), incident="tampered"),
    "import hook for autograder": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
import sys, types, importlib.abc, importlib.util
class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name == "autograder" else None
    def create_module(self, spec):
        module = types.ModuleType("autograder")
        module.check = lambda *args, **kwargs: print("✅ passed")
        return module
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, _Finder())
del sys.modules["autograder"]
from autograder import check
'''}, scores=dict(FULL, test_run_session=0), incident="tampered"),
    "the check monkeypatched": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
import autograder.exercises.run_session as _lesson
_lesson._session_case = lambda *args, **kwargs: None
'''}, scores=dict(FULL, test_run_session=0), incident="tampered"),
    "the check patched again and again from a thread": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
import autograder.exercises.run_session as _lesson
def _again():
    for _ in range(60_000):
        _lesson._session_case = lambda *args, **kwargs: None
        time.sleep(0.001)
threading.Thread(target=_again, daemon=True).start()
'''}, scores=dict(FULL, test_run_session=0), incident="tampered"),
    "an error of megabytes in every answer cell": Hostile(
        cells={grade_id: "REFERENCE+\nraise ValueError('x' * 5_000_000)\n"
               for grade_id in ("consumer_exit", "run_session", "robust_stop")}),
    "prints what a passing check prints": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
def check(name, **kwargs):
    print(f"✅ {name}: passed (1 ms).")
'''}, scores=dict(FULL, test_run_session=0)),
}


def hostile_answers(hostile) -> dict:
    reference = reference_answers(LESSON)
    answers = {cell: REFERENCE for cell in reference}
    for grade_id, source in hostile.cells.items():
        answers[grade_id] = (reference[grade_id] + source[len("REFERENCE+"):]
                             if source.startswith("REFERENCE+") else source)
    return answers


def hostile_edit(hostile):
    if hostile.edit is None or len(inspect.signature(hostile.edit).parameters) == 1:
        return hostile.edit
    reference = reference_answers(LESSON)["robust_stop"]
    return lambda notebook: hostile.edit(notebook, reference)
