"""Attacks a reviewer wrote independently against lesson 01's grading (the
judge, the re-check, the sandbox), kept as a regression corpus: each once got
points or reached past the sandbox. KERNEL_FAKE_CHECK fools the learner's
kernel; FAKE_PROBES answer the judge's probes without any answer, each
computing its outputs from the judge's own inputs.
"""

import nbformat

from answers.adversarial import FULL, Hostile, _cell

NO_CONSUMER = dict(FULL, test_consumer_exit=0)
NOTHING = {"test_consumer_exit": 0, "test_run_session": 0, "test_robust_stop": 0}

KERNEL_FAKE_CHECK = '''
def check(*args, **kwargs):
    print("\\u2705 passed")
'''

FAKE_PROBES = '''
import threading as _th, time as _t
def _spawn(n):
    ev = _th.Event()
    ts = [_th.Thread(target=ev.wait, args=(5,), daemon=True) for _ in range(n)]
    for t in ts:
        t.start()
    return ev, ts
def _fp_consumer(namespace, items, workers):
    ev, ts = _spawn(workers)
    yield {"started": [t.native_id for t in ts]}
    ev.set()
    for t in ts: t.join()
    stop = [i for i, x in enumerate(items) if x == 0][workers - 1]
    return {"out": [x for x in items[:stop] if x != 0], "left": items[stop + 1:], "errors": []}
def _fp_session(namespace, words):
    base, counts, running = 7, [], []
    for w in words:
        if w == "exit":
            for ev, t in running: ev.set()
            for ev, t in running: t.join()
            running = []
        else:
            ev, ts = _spawn(1)
            running.append((ev, ts[0]))
            yield {"started": [ts[0].native_id]}
            counts.append(base + len(running))
    for ev, t in running:
        ev.set(); t.join()
    return {"counts": counts, "base": base, "left": 0}
def _fp_robust(namespace, items):
    ev, ts = _spawn(1)
    yield {"started": [ts[0].native_id], "stop_type": "object"}
    ev.set(); ts[0].join()
    return {"out": list(items), "errors": []}
def _fp_stop(namespace, workers, items):
    ev, ts = _spawn(workers)
    bev, bts = _spawn(1)
    yield {"started": [t.native_id for t in ts], "bystander": bts[0].native_id}
    ev.set()
    for t in ts: t.join()
    yield {"raised": None, "processed": list(range(items)), "left": 0}
    bev.set()
    return {}
def _fp_stubborn(namespace, timeout):
    ev, ts = _spawn(2)
    yield {"started": [t.native_id for t in ts]}
    _t.sleep(timeout)
    yield {"raised": "TimeoutError", "message": "still running: ignores-STOP"}
    ev.set()
    return {}
def _fp_noworkers(namespace):
    return {"raised": None, "left": ["data"]}
_FAKES = {"consumer": _fp_consumer, "session": _fp_session, "robust_consumer": _fp_robust,
          "stop_consumers": _fp_stop, "stop_stubborn": _fp_stubborn,
          "stop_no_workers": _fp_noworkers}
'''

H1_SERVE = KERNEL_FAKE_CHECK + FAKE_PROBES + '''
import sys, inspect
_M = sys.modules.get("__main__")
if _M is not None and hasattr(_M, "serve") and hasattr(_M, "Channel"):
    def _adv(channel, g):
        try:
            channel.send(step=next(g))
            return g
        except StopIteration as e:
            channel.send(result=e.value or {})
        return None
    def _serve(channel, namespace):
        active = None
        while True:
            msg = channel.receive()
            if msg.get("resume") and active is not None:
                active = _adv(channel, active)
                continue
            if active is not None:
                active.close(); active = None
            if "call" in msg:
                out = _FAKES[msg["call"]](namespace, **msg.get("args", {}))
                if inspect.isgenerator(out):
                    active = _adv(channel, out)
                else:
                    channel.send(result=out)
            elif msg.get("next"):
                return "next"
            elif msg.get("run"):
                return "run"
    _M.serve = _serve
'''

H2_PROBES = KERNEL_FAKE_CHECK + FAKE_PROBES + '''
import autograder.probes as _P
_P.PROBES.update(_FAKES)
'''

H2B_REAL_PROBES = KERNEL_FAKE_CHECK + FAKE_PROBES + '''
import sys
import autograder.probes as _P
_M = sys.modules.get("__main__")
if _M is not None and hasattr(_M, "_REAL_PROBES"):
    _P.PROBES.update(_FAKES)
    _M._REAL_PROBES = dict(_P.PROBES)
'''

H3_JSON = KERNEL_FAKE_CHECK + '''
import sys, json
_M = sys.modules.get("__main__")
if _M is not None and hasattr(_M, "serve"):
    _last = {}
    class _Dec(json.JSONDecoder):
        def decode(self, s, *a, **k):
            obj = super().decode(s, *a, **k)
            if isinstance(obj, dict) and "call" in obj:
                _last.clear(); _last.update(obj)
            return obj
    json._default_decoder = _Dec()
    class _Enc(json.JSONEncoder):
        def encode(self, o):
            if isinstance(o, dict) and isinstance(o.get("result"), dict) \\
                    and _last.get("call") == "consumer":
                a = _last["args"]; items, w = a["items"], a["workers"]
                s = [i for i, x in enumerate(items) if x == 0][w - 1]
                o = dict(o, result={"out": [x for x in items[:s] if x != 0],
                                    "left": items[s + 1:], "errors": []})
            return super().encode(o)
    json.JSONEncoder = _Enc
'''

H4_CRASH = KERNEL_FAKE_CHECK + '''
import os, socket, stat, sys
_M = sys.modules.get("__main__")
if _M is not None and hasattr(_M, "serve"):
    for _fd in map(int, os.listdir("/proc/self/fd")):
        try:
            if not stat.S_ISSOCK(os.fstat(_fd).st_mode):
                continue
            _s = socket.socket(fileno=_fd)
            try:
                if _s.family == socket.AF_UNIX and _s.type == socket.SOCK_STREAM:
                    _s.sendall(b'{"verdict": [1]}\\n')
            finally:
                _s.detach()
        except OSError:
            pass
'''

H6_PRIVATE = '''
import os, sys, glob
_conn = [a for a in sys.argv if a.endswith("kernel.json")]
_report = {"argv": sys.argv[-3:]}
if _conn:
    _dir = os.path.dirname(_conn[0])
    _report["dir"] = _dir
    _written = 0
    for _n in range(3):
        try:
            with open(os.path.join(_dir, f"big-{_n}"), "wb") as _f:
                for _ in range(200):
                    _f.write(b"x" * 2**20)
                    _written += 2**20
        except OSError as e:
            _report["err"] = repr(e)
            break
    _report["written_mib"] = _written // 2**20
    try:
        os.makedirs(os.path.join(_dir, "locked", "inner"), exist_ok=True)
        open(os.path.join(_dir, "locked", "inner", "f"), "w").write("left behind?")
        os.chmod(os.path.join(_dir, "locked", "inner"), 0)
        os.chmod(os.path.join(_dir, "locked"), 0)
        _report["locked"] = True
    except OSError as e:
        _report["locked"] = repr(e)
    try:
        os.mkfifo(os.path.join(_dir, "fifo"))
        os.symlink("/", os.path.join(_dir, "root-link"))
        with open(os.path.join(_dir, "suid"), "w") as _f:
            _f.write("#!/bin/sh\\n")
        os.chmod(os.path.join(_dir, "suid"), 0o4755)
        _report["suid_mode"] = oct(os.stat(os.path.join(_dir, "suid")).st_mode)
    except OSError as e:
        _report["misc"] = repr(e)
    import time
    time.sleep(3)  # let the host see it
print("H6", _report)
'''

H8_SOLUTIONS = '''
import json as _json, pathlib as _pl, autograder as _ag
_src = _pl.Path(_ag.__file__).resolve().parents[1] / "source" / "01_leaky_consumer" / "01_leaky_consumer.ipynb"
for _c in _json.loads(_src.read_text())["cells"]:
    if _c["metadata"].get("nbgrader", {}).get("solution"):
        exec("".join(_c["source"]), globals())
'''

STUB_CONSUMER = "\ndef consumer(ch, out):\n    raise NotImplementedError()\n"


def _solutions_cells(notebook):
    at = notebook.cells.index(_cell(notebook, "test_consumer_exit"))
    for number in range(3):
        notebook.cells.insert(at, nbformat.v4.new_code_cell(H8_SOLUTIONS, id=f"sol{number}"))


RED_TEAM = {
    "replaces the re-check's serving loop": Hostile(
        cells={"consumer_exit": H1_SERVE}, scores=NO_CONSUMER),
    "fills the probes' register with fakes": Hostile(
        cells={"consumer_exit": H2_PROBES}, scores=NO_CONSUMER),
    "fills the register and the re-check's copy of it": Hostile(
        cells={"consumer_exit": H2B_REAL_PROBES}, scores=NO_CONSUMER),
    "rewrites the probe's answer in json": Hostile(
        cells={"consumer_exit": STUB_CONSUMER + H3_JSON}, scores=NO_CONSUMER),
    "sends the judge a verdict it cannot use": Hostile(
        cells={"consumer_exit": H4_CRASH}, scores=NO_CONSUMER),
    "fills the kernel's socket folder": Hostile(
        cells={"consumer_exit": "REFERENCE+" + H6_PRIVATE}, scores=NOTHING, incident="limit"),
    "runs the solutions beside the grader's package": Hostile(
        cells={"consumer_exit": "", "run_session": "", "robust_stop": ""},
        edit=_solutions_cells, scores=NOTHING),
}
