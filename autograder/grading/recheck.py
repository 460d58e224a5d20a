"""Establish a notebook's verdicts again, in a fresh Python process.

    python -I -m autograder.grading.recheck   < plan.json

Started by ``VerifyOutsideKernel``. It imports the grader and snapshots it
before any learner code runs, then runs the notebook's code cells in order.
Before each test cell it undoes whatever the learner's code changed in the
grader (and reports it), hands the cell the real ``check``, and runs the
instructor's test code. Verdicts go, one JSON line each, with the plan's
token, to the file descriptor the plan names; everything learner code prints
goes nowhere.

The plan: ``{"token", "result_fd", "cell_timeout", "cells": [{"index",
"label", "source", "test"}]}``.
"""

from __future__ import annotations

import builtins
import io
import json
import linecache
import os
import sys

from autograder.grading import integrity

integrity.import_whole_grader()  # before any learner code: the snapshot is of the real grader
_SNAPSHOT = integrity.Snapshot.take()

from autograder.learner import check as _real_check  # noqa: E402
from autograder.threads import DeadlineExceeded, call_with_deadline  # noqa: E402


class _NoIPython:
    """Stands in for get_ipython(): magics such as %matplotlib do nothing here."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def _compile(source: str, label: str):
    from IPython.core.inputtransformer2 import TransformerManager

    from autograder.grading.magics import unwrap  # %%time and the like: as in the kernel

    python = TransformerManager().transform_cell(unwrap(source))
    filename = f"<ipython-input-{label}-recheck>"  # shown as "In [N]" in reports
    linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
    return compile(python, filename, "exec")


def main() -> None:
    plan = json.loads(sys.stdin.read())
    token, timeout = plan["token"], plan["cell_timeout"]
    results = os.fdopen(plan["result_fd"], "w", buffering=1)

    def send(**message) -> None:
        results.write(json.dumps({"token": token, **message}) + "\n")

    namespace = {"__name__": "__main__", "__builtins__": builtins,
                 "get_ipython": _NoIPython}
    sys.stdout = sys.stderr = io.StringIO()  # learner output is not the verdict
    for cell in plan["cells"]:
        try:
            code = _compile(cell["source"], cell["label"])
        except SyntaxError as error:
            if cell["test"]:
                send(index=cell["index"], passed=False, message=f"SyntaxError: {error}")
            continue
        if cell["test"]:
            changed = _SNAPSHOT.restore()
            if changed:
                send(tampered=changed, before=cell["index"])
            namespace["check"] = _real_check
            printed = sys.stdout = sys.stderr = io.StringIO()
        try:
            call_with_deadline(exec, code, namespace, timeout=timeout,
                               what=f"cell {cell['label']}")
            failure = None
        except DeadlineExceeded as error:
            failure = str(error).splitlines()[0]
            if not cell["test"]:
                send(stopped=f"cell {cell['label']} did not finish in {timeout:g} s")
                break
        except BaseException as error:  # noqa: BLE001 - learner code may raise anything
            failure = f"{type(error).__name__}: {error}"
        if cell["test"]:
            verdicts = [line for line in printed.getvalue().splitlines()
                        if line.startswith(("\N{CROSS MARK}", "\N{WHITE HEAVY CHECK MARK}"))]
            send(index=cell["index"], passed=failure is None, message=failure,
                 verdicts=verdicts)
    send(done=True)
    results.flush()
    os._exit(0)  # learner threads may still run; they must not hold the process


if __name__ == "__main__":
    main()
