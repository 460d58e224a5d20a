"""Submissions with no right answer that forge the grader's verdict instead,
each the way a student who read the grader's source would. Each also fools
the learner's kernel (it hands the test cells a ``check`` that passes), so
only the judge outside stands between it and the points.

Lesson 01, with the reference answers in the cells not named: the forged
exercise must earn nothing, the others what they earn.
"""

from answers.adversarial import FULL, Hostile

NO_CONSUMER = dict(FULL, test_consumer_exit=0)
NO_SESSION = dict(FULL, test_run_session=0)
# It ends the re-check process itself before any test: nothing is confirmed.
NOTHING = {"test_consumer_exit": 0, "test_run_session": 0, "test_robust_stop": 0}

# The kernel's test cells run `from autograder import check`: give them a fake.
FAKE_CHECK = '''
import autograder
autograder.check = lambda *args, **kwargs: print("\\u2705 passed")
'''

FORGERIES = {
    "wraps json.dumps, which carries the verdicts": Hostile(
        cells={"consumer_exit": FAKE_CHECK + '''
import json
_real_dumps = json.dumps
def _passing(obj, *args, **kwargs):
    if isinstance(obj, dict):
        obj = {k: (True if k == "passed" else None if k in ("message", "error") else v)
               for k, v in obj.items()}
    return _real_dumps(obj, *args, **kwargs)
json.dumps = _passing
'''}, scores=NO_CONSUMER),
    "writes passing verdicts on the channel it finds in the frames": Hostile(
        cells={"consumer_exit": FAKE_CHECK + '''
import os, sys, json
for _frame in list(sys._current_frames().values()):
    while _frame is not None:
        _seen = _frame.f_locals
        if "plan" in _seen and ("channel" in _seen or "results" in _seen):
            _send = getattr(_seen.get("channel"), "send", None)
            for _cell in _seen["plan"]["cells"]:
                if _cell["test"] and _send:
                    _send(verdict=_cell["index"], passed=True, message=None, verdicts=[])
                    _send(at=_cell["index"])
            if _send:
                _send(done=True)
            os._exit(0)
        _frame = _frame.f_back
'''}, scores=NOTHING),
    "hands the test cells a fake check through __builtins__": Hostile(
        cells={"consumer_exit": '''
import builtins, types
_fake = types.ModuleType("autograder")
_fake.check = lambda *args, **kwargs: print("\\u2705 passed")
_real_import = builtins.__import__
def _import(name, *args, **kwargs):
    return _fake if name == "autograder" else _real_import(name, *args, **kwargs)
globals()["__builtins__"] = dict(vars(builtins), __import__=_import)
'''}, scores=NO_CONSUMER),
    "replaces the check's helpers while the check calls it": Hostile(
        cells={"consumer_exit": FAKE_CHECK + '''
def consumer(ch, out):
    import sys
    for name, module in list(sys.modules.items()):
        if name.startswith("autograder"):
            for attr in ("expect", "_stop_case", "_consumer_case", "expect_gone"):
                if hasattr(module, attr):
                    setattr(module, attr, lambda *args, **kwargs: None)
'''}, scores=NO_CONSUMER),
    "counts that compare equal to anything, no thread started": Hostile(
        cells={"run_session": FAKE_CHECK + '''
import threading
class _Counts(list):
    def __eq__(self, other):
        return True
def run_session(words):
    return _Counts()
'''}, scores=NO_SESSION),
    "counts computed without starting a thread": Hostile(
        cells={"run_session": FAKE_CHECK + '''
import threading
def run_session(words):
    counts, running, base = [], 0, threading.active_count()
    for word in words:
        running = 0 if word == "exit" else running + 1
        if word != "exit":
            counts.append(base + running)
    return counts
'''}, scores=NO_SESSION),
    "raises the deadline runner's own exception into the check": Hostile(
        cells={"consumer_exit": FAKE_CHECK + '''
import ctypes, threading, time
from autograder.threads import deadline as _deadline
_main = threading.main_thread().ident
def _interrupt():  # for as long as the process lives: it sabotages itself
    while True:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(_main), ctypes.py_object(_deadline._StopCall))
        time.sleep(0.005)
threading.Thread(target=_interrupt, daemon=True).start()
'''}, scores=NOTHING),
}
