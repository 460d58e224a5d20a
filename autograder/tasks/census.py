"""The tasks of a loop, each with where it waits and where it was created.

A task's own ``get_stack()`` shows only its outermost coroutine; a learner's
consumer waits two or three awaits deeper (``await queue.get()`` inside a
helper). So the stack here follows the chain of awaits down from the task's
coroutine (``cr_await``) and shows the innermost line of the learner's own.
Where a task was created is recorded when it is made, by the task factory of
the check's loop (``record_origin``).
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from dataclasses import dataclass
from types import FrameType

from ..threads.locations import Location, innermost_library_call, learners_line, stack_of

_ORIGIN = "_autograder_created_at"  # an attribute of each task of the check's loop


def record_origin(loop: asyncio.AbstractEventLoop, coro, context=None) -> asyncio.Task:
    """A task factory: the task, told where it was created (the caller's stack)."""
    task = asyncio.Task(coro, loop=loop, context=context)
    setattr(task, _ORIGIN, stack_of(sys._getframe(2)))  # the factory's caller's caller
    return task


def suspended_stack(coro) -> tuple[Location, ...]:
    """Outermost first: the coroutine's frame, then each frame it awaits in."""
    frames: list[FrameType] = []
    while coro is not None and len(frames) < 40:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None) \
            or getattr(coro, "ag_frame", None)
        if frame is None:
            break
        frames.append(frame)
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None) \
            or getattr(coro, "ag_await", None)
    return tuple(Location(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in frames)


@dataclass(frozen=True)
class LiveTask:
    """One task not done, as it was when counted."""

    name: str
    coroutine: str
    stack: tuple[Location, ...]
    created_at: tuple[Location, ...]
    started: bool
    cancelling: bool
    task_id: int = 0  # id() of the task: which one it is, whatever its name says

    @classmethod
    def of(cls, task: asyncio.Task) -> LiveTask:
        coro = task.get_coro()
        return cls(name=task.get_name(),
                   coroutine=getattr(coro, "__qualname__", type(coro).__name__),
                   stack=suspended_stack(coro),
                   created_at=getattr(task, _ORIGIN, ()),
                   started=not (inspect.iscoroutine(coro)
                                and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED),
                   cancelling=bool(task.cancelling()), task_id=id(task))


def unfinished(loop: asyncio.AbstractEventLoop, own: set[asyncio.Task]) -> list[asyncio.Task]:
    """The loop's tasks that are not done, but for the check's own."""
    return [task for task in asyncio.all_tasks(loop) if task not in own]


def describe_task(live: LiveTask, indent: str = "  ") -> str:
    """A few lines about one task, for a learner reading a failed check."""
    lines = [f"{indent}- task {live.name!r} running {live.coroutine}()"]
    if live.cancelling:
        lines.append(f"{indent}    (asked to cancel, not finished: nobody waited for it to end)")
    own = learners_line(live.stack)
    if not live.started:
        lines.append(f"{indent}    never started: it was still waiting for its first turn")
    elif own is not None:
        call = innermost_library_call(live.stack)
        inside = f" (inside {call.function}() of {call.filename.rsplit('/', 1)[-1]})" \
            if call else ""
        lines.append(f"{indent}    suspended at {own.describe()}{inside}")
    elif live.stack:
        lines.append(f"{indent}    suspended at {live.stack[-1].describe()}")
    made = learners_line(live.created_at)
    if made is not None:
        lines.append(f"{indent}    created at {made.describe()}")
    return "\n".join(lines)
