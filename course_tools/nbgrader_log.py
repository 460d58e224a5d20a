"""What nbgrader logged when it failed on a submission.

nbgrader's API returns the traceback of the NbGraderException it raises at
the end, which only says "Please see the above traceback"; the traceback
that matters went to its log just before. The batch keeps that one.
"""

from __future__ import annotations

import textwrap

_TRACEBACK = "Traceback (most recent call last):"
_NBGRADER_GAVE_UP = "NbGraderException"


def failure_cause(log: str | None, error: str | None, lines: int = 6) -> str | None:
    """The last lines of the traceback that made nbgrader fail.

    nbgrader logs the real traceback, then raises an NbGraderException that
    only says "Please see the above traceback": so the log is read first,
    and a traceback ending in that exception is passed over.
    """
    for text in (log, error):
        for trace in reversed(_tracebacks(text or "")):
            if _NBGRADER_GAVE_UP not in trace[-1].partition(":")[0]:
                return "\n".join(trace[-lines:])
    errors = [line for line in (log or "").splitlines()
              if line.startswith("[ERROR]") and "above traceback" not in line]
    if errors:
        return errors[-1].removeprefix("[ERROR]").strip()
    last = [line for line in (error or "").splitlines() if line.strip()]
    return last[-1] if last else None


def _tracebacks(text: str) -> list[list[str]]:
    """Each traceback in a log, as its non-blank lines; one ends where the
    next log record (a line starting with "[") begins. nbgrader's log
    formatter indents a record's later lines: that indent is taken off."""
    found = []
    for chunk in text.split(_TRACEBACK)[1:]:
        trace = []
        for line in chunk.splitlines()[1:]:
            if line.startswith("["):
                break
            if line.strip():
                trace.append(line.rstrip())
        if trace:
            found.append(textwrap.dedent("\n".join(trace)).splitlines())
    return found
