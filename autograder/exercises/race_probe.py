"""A race test of a learner's class, run in a child Python process.

Finding a lost update takes unkind measures: a trace function that runs
between any two bytecodes of the class's methods, and a switch interval of a
microsecond, so the GIL changes hands at every chance. Inside the learner's
kernel those measures can starve every other thread (threads left spinning
keep the GIL for minutes), and a trace function or a switch interval left
behind would slow down whatever runs next. So the class is taken to a child
process, as source: the child (the folder ``race_child``) runs the test and answers with
one line of JSON on stdout; the parent kills it if it overruns. Nothing of the
test stays in the grading process: no thread, no trace function, no changed
setting.

This is the parent's side: the class as source with what it uses
(``race_request``), and the child run for a learner's check (``run_probe``)
or, step by step, for the judge (``run_held_probe``).
"""

from __future__ import annotations

import ast
import base64
import dis
import importlib
import json
import linecache
import os
import pickle
import select
import subprocess
import sys
import tempfile
import textwrap
import time
import types
from types import CodeType
from typing import Any
from collections.abc import Generator

from . import race_child
from .methods import methods, nested_codes

CHILD = os.path.dirname(os.path.abspath(race_child.__file__))  # run as a folder


class Unavailable(Exception):
    """The class cannot be taken to a child process; the message says why."""

    def __init__(self, message: str, names: list[str] | None = None) -> None:
        super().__init__(message)
        self.names = names or []


# --- the parent's side: the class, as source, with what it uses ---------------------------

def _by_reference(value: Any) -> tuple[str, str] | None:
    """``(module, qualname)`` when importing them gives ``value`` back."""
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or module == "__main__" \
            or "<locals>" in qualname:
        return None
    try:
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return (module, qualname) if found is value else None


def class_source(cls: type) -> tuple[str, str, int]:
    """The class statement that made ``cls``: ``(source, filename, first line)``.

    Found from the file its methods were compiled from (a notebook cell is in
    ``linecache``), since ``inspect.getsource`` cannot find a class defined
    in a notebook cell.
    """
    functions = methods(cls)
    if not functions:
        raise Unavailable(f"{cls.__name__} defines no methods of its own")
    filename = functions[0].__code__.co_filename
    lines = linecache.getlines(filename)
    try:
        tree = ast.parse("".join(lines))
    except (SyntaxError, ValueError):
        tree = None
    first = functions[0].__code__.co_firstlineno
    spans = [] if tree is None else [
        (min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno or 0)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__
        and node.lineno <= first <= (node.end_lineno or 0)]
    if not spans:
        raise Unavailable(f"the source of class {cls.__name__} cannot be found")
    start, end = max(spans)  # the innermost, should classes of that name be nested
    for function in functions:
        code = function.__code__
        if code.co_filename != filename or not start <= code.co_firstlineno <= end:
            raise Unavailable(f"{cls.__name__}.{function.__name__} was defined outside "
                              f"the class statement")
    return textwrap.dedent("".join(lines[start - 1:end])), filename, start


_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS"}


def names_used(code: CodeType) -> set[str]:
    """The global names ``code`` and the code inside it read."""
    used = set()
    for each in nested_codes(code):  # a name a body stores itself is its own
        stored = {i.argval for i in dis.get_instructions(each) if i.opname == "STORE_NAME"}
        used |= {i.argval for i in dis.get_instructions(each) if i.opname in _LOADS
                 and not (i.opname != "LOAD_GLOBAL" and i.argval in stored)}
    return {name for name in used if isinstance(name, str)}


def race_request(cls: type) -> dict[str, Any]:
    """What the child needs to rebuild ``cls``; ``Unavailable`` if it cannot."""
    where = _by_reference(cls)
    if where is not None:  # a class from an importable module: the child imports it
        return {"import": where}
    source, filename, first = class_source(cls)
    code = compile("\n" * (first - 1) + source, filename, "exec")
    scope = methods(cls)[0].__globals__
    carried: dict[str, dict[str, str]] = {}
    left_behind = []
    for name in sorted(names_used(code) - {cls.__name__}):
        if name.startswith("__") and name.endswith("__"):
            continue
        if name not in scope:
            continue  # a builtin, or a name the notebook lacks too
        value = scope[name]
        if isinstance(value, types.ModuleType):
            carried[name] = {"module": value.__name__}
        elif isinstance(value, (type, types.FunctionType)) and _by_reference(value) is None:
            left_behind.append(name)  # defined in the notebook
        else:
            try:
                carried[name] = {"pickle": base64.b64encode(pickle.dumps(value)).decode()}
            except Exception:  # noqa: BLE001 - anything pickle refuses stays behind
                left_behind.append(name)
    if left_behind:
        raise Unavailable(f"{cls.__name__} uses {', '.join(left_behind)}, defined elsewhere "
                          "in the notebook", left_behind)
    return {"source": source, "filename": filename, "first": first,
            "class_name": cls.__name__, "globals": carried}


def run_probe(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run the child with ``request``; its report, or ``{"outcome": "killed"}``
    after ``timeout`` s, or ``{"outcome": "crashed"}``."""
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", CHILD], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as error:
        return {"outcome": "crashed", "returncode": None, "stderr": [str(error)]}
    try:
        out, err = process.communicate(json.dumps(request), timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"outcome": "killed"}
    except BaseException:  # interrupted (the learner pressed stop): no child left behind
        process.kill()
        process.communicate()
        raise
    lines = out.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return {"outcome": "crashed", "returncode": process.returncode,
                "stderr": err.strip().splitlines()[-5:]}


def run_held_probe(request: dict[str, Any], timeout: float) -> Generator[dict, None, dict]:
    """``run_probe`` for the judge: yields each step the child holds for
    (``{"holding": ...}``, ``{"released": ...}``), tells the child to go on
    when resumed, and returns the report (``{"outcome": "killed"}`` after
    ``timeout`` s)."""
    with tempfile.TemporaryFile() as errors:  # a file: a full pipe would stop the child
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", CHILD], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=errors)
        except OSError as error:
            return {"outcome": "crashed", "returncode": None, "stderr": [str(error)]}
        assert process.stdin is not None and process.stdout is not None
        end, pending = time.monotonic() + timeout, b""
        try:
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            while True:
                while b"\n" not in pending:
                    left = end - time.monotonic()
                    if left <= 0 or not select.select([process.stdout], [], [], left)[0]:
                        return {"outcome": "killed"}
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if not chunk:
                        process.wait()
                        errors.seek(0)
                        tail = errors.read().decode(errors="replace").strip().splitlines()
                        return {"outcome": "crashed", "returncode": process.returncode,
                                "stderr": tail[-5:]}
                    pending += chunk
                    if len(pending) > 1 << 20:
                        return {"outcome": "crashed", "returncode": None,
                                "stderr": ["the report was too long"]}
                line, pending = pending.split(b"\n", 1)
                message = json.loads(line)
                if not (isinstance(message, dict) and isinstance(message.get("step"), dict)):
                    return message
                yield message["step"]
                process.stdin.write(b"go\n")
                process.stdin.flush()
        except (ValueError, OSError) as error:  # not JSON, or the child closed its stdin
            return {"outcome": "crashed", "returncode": process.poll(), "stderr": [str(error)]}
        finally:  # also when the judge stops asking: no child left behind
            process.kill()
            process.wait()
