"""The register of probes, by name, and the plain data they answer with."""

from __future__ import annotations

import threading
from typing import Any
from collections.abc import Callable

Probe = Callable[..., Any]
PROBES: dict[str, Probe] = {}
PLAIN = (type(None), bool, int, float, str)
native_id = threading.get_native_id  # bound before any learner code runs


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(func: Probe) -> Probe:
        PROBES[name] = func
        return func
    return register


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data of exact types; anything else as a tagged repr,
    which never equals what the judge expects."""
    if type(value) in PLAIN:
        return value
    if type(value) in (list, tuple) and depth < 4:
        return [plain(item, depth + 1) for item in value]
    return {"not_plain": type(value).__name__}


def error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]
