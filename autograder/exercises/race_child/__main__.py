"""The race test's child, run as ``python -P race_child``: read the request,
rebuild the learner's class, run the trials, write the report (see
``__init__.py``)."""

from __future__ import annotations

import base64
import builtins
import importlib
import json
import os
import pickle
import sys
from typing import Any

from agreed import seeded_rounds
from hammering import hammer
from step_tracing import keep_learner_off_the_switches
from stepping import stepped
from trial_report import error_report


def _rebuild(request: dict[str, Any]) -> type | dict[str, Any]:
    if "import" in request:
        module, qualname = request["import"]
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
        return found
    scope: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    left_behind = []
    for name, how in request["globals"].items():
        try:
            scope[name] = (importlib.import_module(how["module"]) if "module" in how
                           else pickle.loads(base64.b64decode(how["pickle"])))
        except Exception:  # noqa: BLE001 - say which name could not be carried
            left_behind.append(name)
    if left_behind:
        return {"outcome": "left_behind", "names": left_behind}
    code = compile("\n" * (request["first"] - 1) + request["source"], request["filename"],
                   "exec")
    try:
        exec(code, scope)
    except Exception as error:  # noqa: BLE001
        return {"outcome": "error", **error_report(error, call=f"class {request['class_name']}")}
    return scope[request["class_name"]]


def main() -> None:
    request = json.loads(sys.stdin.readline())
    report_to = os.fdopen(os.dup(1), "w")
    sys.stdout = sys.stderr  # the learner's prints must not get in the report's way

    def hold(step: dict[str, Any]) -> None:
        """Tell the judge ``step``; go on once it says so."""
        report_to.write(json.dumps({"step": step}) + "\n")
        report_to.flush()
        sys.stdin.readline()

    report: dict[str, Any] = {"outcome": "passed"}
    keep_learner_off_the_switches()
    run_stepped = stepped  # bound before the learner's class body runs
    WaitGroup = _rebuild(request)
    if isinstance(WaitGroup, dict):
        report = WaitGroup
    else:
        seed, tallies = request.get("seed"), []
        found = run_stepped(WaitGroup, request["deadline"]) if request.get("stepped") else None
        if found is not None:
            report = found
        for trial in range(request["trials"] if found is None else 0):
            tally: list[list[int]] = []
            per_thread = (None if seed is None else
                          seeded_rounds(seed + trial, request["threads"], request["rounds"]))
            found = hammer(WaitGroup, request["threads"], request["rounds"],
                           request["deadline"], request["at_once"], per_thread, tally,
                           hold=None if seed is None else hold)
            if found is not None:
                report = {**found, "trial": trial + 1}
                break
            tallies.append(tally)
        if seed is not None and report["outcome"] == "passed":
            report["tallies"] = tallies  # for the judge: what each thread's calls did
    report_to.write(json.dumps(report) + "\n")
    report_to.flush()
    os._exit(0)  # threads stuck in the learner's code must not delay the exit


if __name__ == "__main__":
    main()
