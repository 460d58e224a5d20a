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
    # Every later kernel would start with the check forged, and every later
    # Python with the attack's code, if these places outlived the sandbox.
    "leaves start-up files for later kernels": Hostile(
        cells={"consumer_exit": "REFERENCE+" + f'''
import os, site, sys
def _leave(folder, name, text):
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w") as _f:
            _f.write(text)
    except OSError:
        pass
_leave(get_ipython().profile_dir.startup_dir, "00-{MARKER}.py",
       "import autograder\\nautograder.check = lambda *a, **k: print('\\u2705 passed')\\n")
_leave(site.getusersitepackages(), "usercustomize.py", "# {MARKER}\\n")
for _folder in sys.path:
    if _folder.endswith("site-packages"):
        _leave(_folder, "{MARKER}.pth", "import os\\n")
'''}),
    # A reference to a function keeps the function object, whose code can be
    # swapped in place: here while the check runs.
    "swaps the check's code while it runs": Hostile(
        cells={"run_session": LEAKY_SESSION + '''
import types
import autograder.exercises.run_session as _lesson
def _swap():
    _nothing = (lambda *args, **kwargs: None).__code__
    for _ in range(20_000):
        for _name, _f in list(vars(_lesson).items()):
            if (isinstance(_f, types.FunctionType) and _f.__module__ == _lesson.__name__
                    and not _f.__code__.co_freevars):
                _f.__code__ = _nothing.replace(co_name=_f.__code__.co_name)
        time.sleep(0.0005)
threading.Thread(target=_swap, daemon=True).start()
'''}, scores=dict(FULL, test_run_session=0), incident="tampered"),
    # Detached, it would zero every grade written after its kernel ended.
    "zeroes the gradebook after it has ended": Hostile(
        cells={"consumer_exit": "REFERENCE+" + FIND_UPWARDS + f'''
import subprocess, sys
subprocess.Popen([sys.executable, "-c", """
import sqlite3, sys, time
for _ in range(600):
    if sys.argv[1] != "None":
        try:
            with sqlite3.connect(sys.argv[1]) as db:
                db.execute("UPDATE grade SET auto_score = 0")
        except sqlite3.Error:
            pass
    time.sleep(0.5)
""", str(_find_upwards("gradebook.db")), "{MARKER}"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''}),
    # Cells that only sleep, each stopped at the cell timeout: the notebook's
    # own time limit ends it before the last test.
    "sleeps past the notebook's time": Hostile(
        edit=_insert_before_test(4, "import time\ntime.sleep(28)\n"),
        scores=dict(FULL, test_robust_stop=0), incident="timeout"),
}
