"""The learner's side: ``check("consumer_exit")`` prints a verdict in plain
words and raises on failure, so nbgrader scores the test cell."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from .exercises import EXERCISES, CheckFailed
from .exercises.borrowed import borrowed
from .threads import DeadlineExceeded, LeakError

PASS = "\N{WHITE HEAVY CHECK MARK}"
FAIL = "\N{CROSS MARK}"
ELSEWHERE = "\N{BLACK RIGHT-POINTING TRIANGLE}"

# Set by grading in the kernel's environment only, when the judge outside the
# kernel runs every hidden case anyway (``StartVerification``): run there, the
# verdict of record, they need not run here too. Read once, at import: learner
# code that sets it later, in the re-check say, changes nothing.
HIDDEN_ELSEWHERE_VARIABLE = "AUTOGRADER_HIDDEN_CASES_ELSEWHERE"
_HIDDEN_ELSEWHERE = os.environ.get(HIDDEN_ELSEWHERE_VARIABLE) == "1"


def check(name: str, *, hidden: bool = False, answers: dict[str, Any] | None = None) -> None:
    """Check the answer to exercise ``name`` and print the verdict.

    The answer's functions are looked up in the caller's namespace (the
    notebook), or in ``answers`` when given.
    Prints the verdict; raises ``CheckFailed`` (an AssertionError) on failure.
    ``hidden=True`` runs only the cases kept for grading (a graded test cell runs
    the visible ones first, then these: each case runs once). In grading's
    kernel it runs none: the judge outside the kernel runs them (see
    ``HIDDEN_ELSEWHERE_VARIABLE``).
    """
    __tracebackhide__ = True
    if name not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"There is no exercise called {name!r}. Known: {known}.")
    exercise = EXERCISES[name]
    if hidden and _HIDDEN_ELSEWHERE:
        print(f"{ELSEWHERE} {name}: the cases kept for grading run outside this kernel, "
              "where the grader checks them.", flush=True)
        return
    scope = answers if answers is not None else sys._getframe(1).f_globals
    missing = [needed for needed in exercise.needs if needed not in scope]
    started = time.perf_counter()
    try:
        if missing:
            raise CheckFailed(
                f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not defined. "
                "Write the answer in the cell above and run that cell first.")
        answers = {n: scope[n] for n in exercise.needs}
        not_yours = borrowed(answers)
        if not_yours:
            raise CheckFailed(not_yours)
        summary = exercise.run(answers, hidden)
    except (CheckFailed, LeakError, DeadlineExceeded) as failure:
        print(f"{FAIL} {name}: not yet.\n{failure}", flush=True)
        raise CheckFailed(f"{name}: {_first_line(failure)}") from None
    took = (time.perf_counter() - started) * 1000
    print(f"{PASS} {name}: passed ({took:.0f} ms). {summary}", flush=True)


def _short_traceback(shell, etype, value, tb, tb_offset=None):
    """In IPython, a failed check shows one line: the verdict above says the rest.

    The cell still ends in an error, which is what nbgrader and the Validate
    button count as a failed test.
    """
    structured = [f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, structured)
    return structured


def _install_short_tracebacks() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((CheckFailed,), _short_traceback)


def _first_line(failure: BaseException) -> str:
    return str(failure).splitlines()[0] if str(failure) else type(failure).__name__


_install_short_tracebacks()
