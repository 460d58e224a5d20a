"""Undo what learner code did to the grader before the grader runs.

A snapshot is taken right after the grader is imported, before any learner
code: the module objects in ``sys.modules``, each module's attributes, each
function's code, each class's attributes, and the import machinery. Before a
check runs, ``restore()`` puts back whatever changed and says what it was:
replacing ``autograder`` in ``sys.modules``, an import hook, a monkeypatched
check, a replaced ``threading.active_count`` are all undone and reported.
"""

from __future__ import annotations

import builtins
import sys
import types
from dataclasses import dataclass, field

ALSO_PROTECTED = ("threading", "queue", "time", "socket", "selectors", "builtins",
                  "traceback", "linecache", "inspect", "ctypes", "gc", "os", "weakref",
                  "json", "json.encoder", "json.decoder",
                  # lesson 06's task census and fresh loops
                  "asyncio", "asyncio.base_events", "asyncio.events", "asyncio.futures",
                  "asyncio.tasks", "asyncio.queues", "asyncio.streams", "asyncio.locks",
                  "asyncio.selector_events", "asyncio.unix_events", "asyncio.timeouts",
                  "asyncio.taskgroups", "asyncio.runners", "_asyncio")
_IGNORED_NAMES = {"_"}  # rebound by interactive display, harmlessly


def import_whole_grader() -> None:
    """Import every module a check may use, so that the snapshot covers them all.

    The grading tools themselves (autograder.grading) never run beside
    learner code, and import nbgrader, which is slow. Nor do the race test's
    child's modules: the child runs them in a process of its own, from its
    folder, where they import one another as top-level modules.
    """
    import importlib
    import pkgutil

    import autograder
    for info in pkgutil.walk_packages(autograder.__path__, "autograder."):
        if not info.name.startswith(("autograder.grading", "autograder.exercises.race_child.")):
            importlib.import_module(info.name)
    # asyncio makes its event loop policy on first use: make it now, or the
    # first asyncio.run() of a right answer would read as a change to asyncio.
    import asyncio
    asyncio.get_event_loop_policy()


def protected_module_names(also: tuple[str, ...] = ()) -> list[str]:
    return sorted(name for name in sys.modules
                  if name == "autograder" or name.startswith("autograder.")
                  or name in ALSO_PROTECTED or name in also)


@dataclass
class Snapshot:
    modules: dict[str, types.ModuleType] = field(default_factory=dict)
    attributes: dict[str, dict[str, object]] = field(default_factory=dict)
    functions: dict[int, tuple] = field(default_factory=dict)
    classes: dict[int, tuple[type, dict[str, object]]] = field(default_factory=dict)
    meta_path: list = field(default_factory=list)
    path_hooks: list = field(default_factory=list)

    @classmethod
    def take(cls, also: tuple[str, ...] = ()) -> Snapshot:
        """``also``: more modules to cover (the re-check covers itself, ``__main__``)."""
        snap = cls(meta_path=list(sys.meta_path), path_hooks=list(sys.path_hooks))
        for name in protected_module_names(also):
            module = sys.modules[name]
            snap.modules[name] = module
            snap.attributes[name] = dict(vars(module))
            for value in vars(module).values():
                snap._remember(value, name)
        return snap

    def _remember(self, value: object, module_name: str) -> None:
        if isinstance(value, types.FunctionType):
            self.functions[id(value)] = (value, value.__code__, value.__defaults__,
                                         value.__kwdefaults__)
        elif isinstance(value, type) and getattr(value, "__module__", "") == module_name:
            self.classes[id(value)] = (value, dict(vars(value)))
            for member in vars(value).values():
                if isinstance(member, types.FunctionType):
                    self._remember(member, module_name)

    def restore(self) -> list[str]:
        """Put everything back; return what had been changed, in words."""
        changed = []
        if sys.meta_path != self.meta_path or sys.path_hooks != self.path_hooks:
            sys.meta_path[:] = self.meta_path
            sys.path_hooks[:] = self.path_hooks
            sys.path_importer_cache.clear()
            changed.append("the import machinery (sys.meta_path / sys.path_hooks)")
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
            changed += _restore_dict(module, self.attributes[name], f"{name}.")
        for func, code, defaults, kwdefaults in self.functions.values():
            if func.__code__ is not code or func.__defaults__ is not defaults \
                    or func.__kwdefaults__ is not kwdefaults:
                func.__code__, func.__defaults__ = code, defaults
                func.__kwdefaults__ = kwdefaults
                changed.append(f"the code of {func.__module__}.{func.__qualname__}")
        for klass, attributes in self.classes.values():
            changed += _restore_dict(klass, attributes, f"{klass.__module__}.{klass.__qualname__}.")
        return changed


def _restore_dict(owner: object, saved: dict[str, object], prefix: str) -> list[str]:
    changed = []
    current = vars(owner)
    for key, value in saved.items():
        if key not in _IGNORED_NAMES and current.get(key, _MISSING) is not value:
            if key in ("__dict__", "__weakref__"):
                continue
            setattr(owner, key, value)
            changed.append(prefix + key)
    if owner is builtins:  # a new builtin could stand in for a name the checks use
        for key in [k for k in current if k not in saved and k not in _IGNORED_NAMES]:
            delattr(owner, key)
            changed.append(prefix + key + " (added)")
    return changed


_MISSING = object()
