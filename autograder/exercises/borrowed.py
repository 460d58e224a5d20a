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

An answer of the learner's own that hands its work to one of the known-good
pieces (``autograder/known_good``, which the checks grade other answers
beside) by name, a module or a global, earns nothing either: the pieces are
right answers, and a wrapper around one is that answer. (Reached some
roundabout way, it is code written against the grader: for a person to see.)
"""

from __future__ import annotations

import os
import types
from typing import Any

from .methods import methods, nested_codes

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_KNOWN_GOOD = "known_good"


def _functions(value: Any) -> list[types.FunctionType]:
    if isinstance(value, types.FunctionType):
        return [value]
    return methods(value, inherited=True) if isinstance(value, type) else []


def _written_in(value: Any, folder: str) -> str | None:
    """The file under ``folder`` that ``value`` (or a method of it) was written in."""
    for func in _functions(value):
        filename = os.path.abspath(func.__code__.co_filename)
        if filename.startswith(folder):
            return filename
    return None


def borrowed_from(value: Any) -> str | None:
    """The file of the course's package that ``value`` (or a method of it) was
    written in; None if it is not the course's."""
    filename = _written_in(value, _PACKAGE)
    return None if filename is None else os.path.relpath(filename,
                                                         os.path.dirname(_PACKAGE[:-1]))


def _is_known_good(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        return value.__name__.split(".")[1:2] == [_KNOWN_GOOD]
    if not isinstance(value, (types.FunctionType, type)):
        value = type(value)  # an instance of a known-good class is one too
    return _written_in(value, os.path.join(_PACKAGE, _KNOWN_GOOD) + os.sep) is not None


def _closed_over(func: types.FunctionType) -> list[Any]:
    found = []
    for cell in func.__closure__ or ():
        try:
            found.append(cell.cell_contents)
        except ValueError:  # a name not yet bound
            pass
    return found


def _spells_known_good(code: types.CodeType, scope: dict) -> bool:
    """The code names the folder through the package (``autograder.known_good``,
    by import or attribute, the package under any name) or spells its path in a
    string. A name of the learner's own that is merely called known_good is not it."""
    parts = {part for name in code.co_names for part in name.split(".")}
    through_the_package = "autograder" in parts or any(
        isinstance(scope.get(name), types.ModuleType)
        and scope[name].__name__.split(".")[0] == "autograder" for name in code.co_names)
    if _KNOWN_GOOD in parts and through_the_package:
        return True
    return any(isinstance(const, str) and any(path in const for path in (
        "autograder.known_good", "autograder/known_good")) for const in code.co_consts)


def leans_on_known_good(value: Any) -> bool:
    """Whether ``value`` (or a method of it) reaches a known-good piece by name:
    a global, a class attribute or a closure that is one, or code that names
    the folder."""
    members = list(vars(value).values()) if isinstance(value, type) else []
    if any(_is_known_good(member) for member in members):
        return True
    for func in _functions(value):
        cells = _closed_over(func)
        for code in nested_codes(func.__code__):
            if _spells_known_good(code, func.__globals__):
                return True
            if any(_is_known_good(func.__globals__.get(name)) for name in code.co_names):
                return True
        if any(_is_known_good(content) for content in cells):
            return True
    return False


def borrowed(answers: dict[str, Any]) -> str | None:
    """The learner's message if one of ``answers`` is the course's own code."""
    for name, value in answers.items():
        source = borrowed_from(value)
        if source is not None:
            return (f"{name} is the course's own code ({source}), not yours: the course "
                    f"uses it to run the lessons and the checks. Write your own {name} in "
                    "the answer cell.")
        if leans_on_known_good(value):
            return (f"{name} hands its work to the course's known-good code "
                    "(autograder/known_good), which the checks grade other answers "
                    f"beside: a wrapper around a right answer is that answer, not yours. "
                    f"Write your own {name} in the answer cell.")
    return None
