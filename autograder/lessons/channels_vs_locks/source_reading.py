"""Reading the standard library's source: what Python's "channels" are built from
(the Python side of the book's claim that Go's channels are built on mutexes)."""

from __future__ import annotations

import inspect
import io
import queue
import textwrap
import threading
import tokenize
from dataclasses import dataclass
from typing import Any

from ..waitgroup import WaitGroup

# Calls that create a building block, by the name called.
BUILDING_BLOCKS = {"Lock": "Lock", "RLock": "Lock", "allocate_lock": "Lock",
                   "_allocate_lock": "Lock", "Condition": "Condition", "deque": "deque"}


@dataclass(frozen=True)
class SourceLine:
    lineno: int  # within the object's source, from 1
    text: str
    block: str  # "Lock", "Condition" or "deque"


def building_blocks(obj: Any) -> list[SourceLine]:
    """The lines of ``obj``'s Python source that create a Lock, Condition or deque.

    Read as tokens, so names in comments, strings and docstrings do not count.
    """
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    return [SourceLine(token.start[0], lines[token.start[0] - 1].strip(),
                       BUILDING_BLOCKS[token.string])
            for token, after in zip(tokens, tokens[1:])
            if token.type == tokenize.NAME and token.string in BUILDING_BLOCKS
            and after.string == "("]


def show_building_blocks(obj: Any) -> None:
    name = getattr(obj, "__qualname__", repr(obj))
    print(f"{name}: {len(inspect.getsource(obj).splitlines())} lines of Python")
    for line in building_blocks(obj):
        print(f"  line {line.lineno:3}  {line.block:9}  {line.text}")


def written_in_c(obj: Any) -> bool:
    """True when ``obj`` has no Python source: the interpreter implements it in C."""
    try:
        inspect.getsource(obj)
    except (TypeError, OSError):
        return True
    return False


def join_waits_on() -> Any:
    """The function ``Thread.join`` waits in, on this Python version."""
    return getattr(threading.Thread, "_wait_for_tstate_lock", threading.Thread.join)


def mechanisms_and_blocks() -> dict[str, str]:
    """Each "done" mechanism of the lesson, and what it is built from here."""
    objects = {"queue.Queue": queue.Queue, "queue.SimpleQueue": queue.SimpleQueue,
               "threading.Event": threading.Event, "threading.Condition": threading.Condition,
               "WaitGroup": WaitGroup}
    table = {}
    for name, obj in objects.items():
        if written_in_c(obj):
            table[name] = "written in C"
            continue
        found = [line.block for line in building_blocks(obj)]
        table[name] = ", ".join(f"{found.count(b)} {b}" for b in ("Lock", "Condition", "deque")
                                if b in found)
    # Up to 3.12 join acquires a lock the interpreter releases as the thread
    # ends; 3.13 moved that wait into C.
    table["Thread.join"] = ("waits on the thread's _tstate_lock, a Lock released as the "
                            "thread ends" if hasattr(threading.Thread, "_wait_for_tstate_lock")
                            else "written in C")
    return table
