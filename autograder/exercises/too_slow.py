"""A case that failed only by being too slow is tried again.

Checks and the judge time calls on a machine that may grade other
submissions at the same time: a right answer can miss a time bound because
the scheduler looked away. An answer slow by design (polling, say) misses it
every time and still fails; a right one delayed by a loaded machine passes.

How often to try: three times; but a try during which the machine had more
runnable threads than cores much of the time (Linux's CPU pressure,
``/proc/pressure/cpu``) says nothing about the answer, so it is not counted,
up to ``EXCUSED`` such tries, each after a pause that lets the load pass. An
answer slow by design is still slow when the machine is quiet, and on a
machine that stays overloaded it gets ``TRIES + EXCUSED`` chances, not
endless ones.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar
from collections.abc import Callable

TRIES = 3
EXCUSED = 5
# A try is the machine's fault when some thread waited for a CPU this share of
# it (on 2 cores: more than two threads wanted to run, a third of the time).
OVERLOADED = 0.3
PRESSURE = "/proc/pressure/cpu"

Slow = TypeVar("Slow", bound=BaseException)


def cpu_stalled_us() -> int | None:
    """Microseconds, since boot, in which some runnable thread waited for a
    CPU; None where the kernel does not say (no PSI, or a sandbox without /proc)."""
    try:
        with open(PRESSURE) as pressure:
            for line in pressure:
                if line.startswith("some "):
                    return int(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def overloaded_since(stalled: int | None, began: float) -> bool:
    """Whether some thread waited for a CPU for most of the time since
    ``began`` (a ``time.monotonic()``), when ``cpu_stalled_us()`` was ``stalled``."""
    after, took = cpu_stalled_us(), time.monotonic() - began
    return (stalled is not None and after is not None and took > 0
            and (after - stalled) / 1e6 >= OVERLOADED * took)


def retry_when_too_slow(case: Callable[..., Any], *args: Any, slow: type[Slow],
                        give_up: Callable[[Slow, int], BaseException]) -> Any:
    """``case(*args)``, tried again while it raises ``slow``: up to ``TRIES``
    counted tries, and up to ``EXCUSED`` more on an overloaded machine. The
    last ``slow`` goes to ``give_up(error, tries)`` for the error to raise."""
    __tracebackhide__ = True
    counted = excused = 0
    while True:
        stalled, began = cpu_stalled_us(), time.monotonic()
        try:
            return case(*args)
        except slow as error:
            if excused < EXCUSED and overloaded_since(stalled, began):
                excused += 1
                time.sleep(0.1 * excused)  # let the load pass
                continue
            counted += 1
            if counted == TRIES:
                raise give_up(error, counted + excused) from None
