"""Where and why a call of the learner's class failed, as plain data for the
report: stacks as ``[filename, line number, function]``, outermost first."""

from __future__ import annotations

from types import FrameType
from typing import Any


Stack = list[list[Any]]  # [filename, line number, function], outermost first


def stack_of_error(error: BaseException) -> Stack:
    import traceback
    return [[f.filename, f.lineno or 0, f.name] for f in traceback.extract_tb(error.__traceback__)]


def stack_of_frame(frame: FrameType | None) -> Stack:
    stack = []
    while frame is not None:
        stack.append([frame.f_code.co_filename, frame.f_lineno or 0, frame.f_code.co_name])
        frame = frame.f_back
    return stack[::-1]


def error_report(error: BaseException, **more: Any) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": str(error),
            "stack": stack_of_error(error), **more}


