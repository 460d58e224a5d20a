"""Remember where every thread was started, so a report can say so.

``threading.Thread`` keeps no record of who started it. Importing this module
wraps ``Thread.start`` once so that each thread carries the stack of the
``start()`` call and the thread that made it. Threads started before the
import simply have no origin, and reports say so.
"""

from __future__ import annotations

import sys
import threading
import weakref
from dataclasses import dataclass

from .locations import Location, learners_line, stack_of

_ORIGIN_ATTR = "_autograder_origin"
# Every thread started since import, held weakly: the census finds them even
# when learner code removes them from threading._active.
_started: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


@dataclass(frozen=True)
class Origin:
    parent_ident: int
    stack: tuple[Location, ...]

    def describe(self) -> str:
        where = learners_line(self.stack) or (self.stack[-1] if self.stack else None)
        return where.describe() if where else "unknown"


def started_threads() -> list[threading.Thread]:
    return live_members(_started)


def live_members(weak_set: weakref.WeakSet) -> list:
    """What a WeakSet holds now, safe while other threads add to it.

    ``list(weak_set)`` runs Python code for each member, so a thread started
    meanwhile (which adds itself to ``_started``) can make it raise "Set
    changed size during iteration": the live monitor died of that once, its
    counts frozen. Copying the set of references is one C call under the GIL.
    """
    return [item for item in (ref() for ref in list(weak_set.data)) if item is not None]


def origin_of(thread: threading.Thread) -> Origin | None:
    return getattr(thread, _ORIGIN_ATTR, None)


def _install() -> None:
    original = threading.Thread.start
    if getattr(original, "_autograder_records_origin", False):
        return  # already installed (the module was reloaded)

    def start(self: threading.Thread) -> None:
        # sys._getframe(1) is the caller of start(); cheap enough for every start.
        origin = Origin(threading.get_ident(), stack_of(sys._getframe(1), limit=12))
        try:
            setattr(self, _ORIGIN_ATTR, origin)
        except AttributeError:  # a subclass with __slots__: no origin, still start
            pass
        _started.add(self)
        return original(self)

    start._autograder_records_origin = True  # type: ignore[attr-defined]
    start.__wrapped__ = original  # type: ignore[attr-defined]
    start.__doc__ = original.__doc__
    threading.Thread.start = start  # type: ignore[method-assign]


_install()
