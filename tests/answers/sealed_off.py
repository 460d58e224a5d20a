"""Submissions that reach out of their notebook: at the gradebook, the grader
on disk, the solutions, the machine. The sandbox must leave each with what
its answers earn, and everyone else (graded before or after it) untouched.

Each is lesson 01 with the reference answers (``REFERENCE+`` appends to one)
unless its cells say otherwise.
"""

from answers.adversarial import FULL, LEAKY_SESSION, Hostile, _cell

import nbformat

MARKER = "sealed-off-corpus"  # names the processes and files an attack leaves, to look for them

FIND_UPWARDS = '''
import os
def _find_upwards(name):
    here = os.getcwd()
    while True:
        if os.path.exists(os.path.join(here, name)):
            return os.path.join(here, name)
        if os.path.dirname(here) == here:
            return None
        here = os.path.dirname(here)
'''


def _insert_before_test(count: int, source: str, test: str = "test_robust_stop"):
    def edit(notebook):
        at = notebook.cells.index(_cell(notebook, test))
        for number in range(count):
            notebook.cells.insert(at, nbformat.v4.new_code_cell(source, id=f"extra-{number}"))
    return edit


SEALED_OFF = {
    # A classmate graded earlier would get zero, if the gradebook could be reached.
    "writes the gradebook": Hostile(
        cells={"consumer_exit": "REFERENCE+" + FIND_UPWARDS + '''
import sqlite3
_db = _find_upwards("gradebook.db")
if _db:
    with sqlite3.connect(_db) as _connection:
        _connection.execute("UPDATE grade SET manual_score = 0")
''', "robust_stop": ""},
        scores=dict(FULL, test_robust_stop=0)),
    # Every later submission would pass, if the grader on disk could be changed.
    "rewrites the grader on disk": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
import autograder.learner as _learner
try:
    with open(_learner.__file__, "a") as _source:
        _source.write("\\ndef check(*args, **kwargs):\\n    print('\\u2705 passed')\\n")
except OSError:
    pass
'''}, scores=dict(FULL, test_run_session=0)),
    "runs the solutions from source/": Hostile(
        cells={"consumer_exit": FIND_UPWARDS + '''
import glob, json
_source = _find_upwards("source")
for _path in glob.glob(os.path.join(_source or "/nonexistent", "*", "*.ipynb")):
    for _c in json.load(open(_path))["cells"]:
        if _c["metadata"].get("nbgrader", {}).get("solution"):
            try:
                exec("".join(_c["source"]), globals())
            except Exception:
                pass
''', "run_session": "", "robust_stop": ""},
        scores={"test_consumer_exit": 0, "test_run_session": 0, "test_robust_stop": 0}),
    "leaves processes and files behind": Hostile(
        cells={"consumer_exit": "REFERENCE+" + f'''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"],
                 start_new_session=True)
for _n in range(5):
    try:
        with open(f"/tmp/{MARKER}-{{_n}}", "wb") as _f:
            _f.write(b"x" * 200 * 2**20)
    except OSError:
        break
'''}),
    "keeps the machine busy": Hostile(
        cells={"consumer_exit": "REFERENCE+" + f'''
import subprocess, sys
for _ in range(12):
    subprocess.Popen([sys.executable, "-c", "while True: pass", "{MARKER}"],
                     start_new_session=True)
'''}),
    "kills its grader": Hostile(
        cells={"run_session": "REFERENCE+\nimport os, signal\n"
                              "os.kill(os.getppid(), signal.SIGKILL)\n"}),
    "stops its grader": Hostile(
        cells={"run_session": "REFERENCE+\nimport os, signal\n"
                              "os.kill(os.getppid(), signal.SIGSTOP)\n"}),
    # Cells that only sleep, each stopped at the cell timeout: the notebook's
    # own time limit ends it before the last test.
    "sleeps past the notebook's time": Hostile(
        edit=_insert_before_test(4, "import time\ntime.sleep(28)\n"),
        scores=dict(FULL, test_robust_stop=0), incident="timeout"),
}
