"""An answer must be the learner's own code, not the course's.

The package a learner's kernel loads holds working code that an exercise
asks for: the course's own WaitGroup (lesson 04 lends it, and lesson 03's
check grades run_with_waitgroup with it), the checks' known-good consumers
(each answer is graded with known-good versions of the others). Imported
under the answer's name, such code would pass its check. So every check,
and the judge before it judges, first asks where each answer was written: a
function, or any method of a class, compiled from this package's files is
borrowed, and earns nothing. (Code copied out of the package into a cell is
the learner's, as code copied from anywhere is: that is for a person to see.)
"""

from __future__ import annotations

import os
import types
from typing import Any

from .methods import methods

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _functions(value: Any) -> list[types.FunctionType]:
    if isinstance(value, types.FunctionType):
        return [value]
    return methods(value, inherited=True) if isinstance(value, type) else []


def borrowed_from(value: Any) -> str | None:
    """The file of the course's package that ``value`` (or a method of it) was
    written in; None if it is not the course's."""
    for func in _functions(value):
        filename = os.path.abspath(func.__code__.co_filename)
        if filename.startswith(_PACKAGE):
            return os.path.relpath(filename, os.path.dirname(_PACKAGE[:-1]))
    return None


def borrowed(answers: dict[str, Any]) -> str | None:
    """The learner's message if one of ``answers`` is the course's own code."""
    for name, value in answers.items():
        source = borrowed_from(value)
        if source is not None:
            return (f"{name} is the course's own code ({source}), not yours: the course "
                    f"uses it to run the lessons and the checks. Write your own {name} in "
                    "the answer cell.")
    return None
