"""How long the checks give learner code, in one place.

Grading can change them without touching the checks: ``ResilientExecute``
(``nbgrader_config.py``: ``c.ResilientExecute.call_deadline`` and
``exit_deadline``) hands them to the kernel and the re-check as environment
variables, read here once at import.
"""

from __future__ import annotations

import os


def _seconds(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable, default))
    except ValueError:
        return default
    return value if value > 0 else default


CALL_VARIABLE, EXIT_VARIABLE = "AUTOGRADER_CALL_DEADLINE", "AUTOGRADER_EXIT_DEADLINE"
# A learner's call still running after this is stuck.
CALL_DEADLINE = _seconds(CALL_VARIABLE, 3.0)
# Threads told to stop (or whose work is over) must be gone by then.
EXIT_DEADLINE = _seconds(EXIT_VARIABLE, 1.0)
# A call that should return at once (wg.add, wg.wait at zero) is stuck after this.
AT_ONCE = 1.0
