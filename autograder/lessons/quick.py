"""Lessons that time things measure less when nobody is there to read it.

While nbgrader executes a notebook (``NBGRADER_EXECUTION`` is set) and in CI,
the figures are only run to see that they can be: smaller sizes keep
grading and the tests quick. A learner's kernel measures in full.
"""

from __future__ import annotations

import os


def quick_mode() -> bool:
    return bool(os.environ.get("NBGRADER_EXECUTION") or os.environ.get("CI"))
