"""Where code is: a frame or a stack turned into words a learner recognises.

A notebook cell's code lives in a file such as ``/tmp/ipykernel_42/1234.py``;
IPython remembers which execution count each such file belongs to, so a
location inside it is shown as the notebook shows it: ``In [7], line 4``.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import threading
from dataclasses import dataclass
from types import FrameType

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Code the learner did not write: the standard library, installed packages and
# this package. A learner's own line is the innermost frame outside these.
_NOT_LEARNER = tuple(
    os.path.normcase(os.path.abspath(p)) + os.sep
    for p in {
        _PACKAGE_DIR,
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
        os.path.dirname(threading.__file__),
    }
)


@dataclass(frozen=True)
class Location:
    """One line of code: the file, the line number, the function, the text."""

    filename: str
    lineno: int
    function: str

    @property
    def text(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    @property
    def is_learners(self) -> bool:
        return is_learner_file(self.filename)

    def label(self) -> str:
        """``In [7], line 4`` for a notebook cell, ``file.py, line 4`` otherwise."""
        cell = _cell_label(self.filename)
        if cell:
            return f"{cell}, line {self.lineno}"
        return f"{os.path.basename(self.filename)}, line {self.lineno}"

    def describe(self) -> str:
        text = self.text
        where = f"{self.label()} in {self.function}()"
        return f"{where}: {text}" if text else where


def is_learner_file(filename: str) -> bool:
    if filename.startswith("<") and not filename.startswith("<ipython-input"):
        return False  # <frozen ...>, <string> and the like
    path = os.path.normcase(os.path.abspath(filename))
    return not path.startswith(_NOT_LEARNER)


def _cell_label(filename: str) -> str | None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    compiler = getattr(shell, "compile", None)
    numbers = getattr(compiler, "_filename_map", {})
    if filename in numbers:
        return f"In [{numbers[filename]}]"
    if filename.startswith("<ipython-input-"):
        return f"In [{filename.split('-')[2]}]"
    return None


def stack_of(frame: FrameType | None, limit: int = 40) -> tuple[Location, ...]:
    """The stack from the outermost frame to ``frame``, at most ``limit`` deep."""
    locations = []
    while frame is not None and len(locations) < limit:
        code = frame.f_code
        locations.append(Location(code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return tuple(reversed(locations))


def learners_line(stack: tuple[Location, ...]) -> Location | None:
    """The innermost location in the learner's own code, if any."""
    for location in reversed(stack):
        if location.is_learners:
            return location
    return None


def innermost_library_call(stack: tuple[Location, ...]) -> Location | None:
    """The library call the learner's line is waiting in (``Queue.get`` say)."""
    for index in range(len(stack) - 1, -1, -1):
        if stack[index].is_learners:
            return stack[index + 1] if index + 1 < len(stack) else None
    return None
