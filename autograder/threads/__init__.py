"""Thread census, leak checks and deadlines: the grading core.

Importing this package installs a small hook on ``threading.Thread.start``
that records where each thread was started; import it before learner code.
"""

from . import origins  # noqa: F401  (installs the start hook first)
from .census import Census, LiveThread, mark_own, os_thread_cpu_seconds, os_thread_ids
from .deadline import DeadlineExceeded, ask_to_stop, call_with_deadline
from .leaks import Baseline, LeakError
from .report import describe_thread, describe_threads

__all__ = [
    "Baseline", "Census", "DeadlineExceeded", "ask_to_stop", "LeakError", "LiveThread",
    "call_with_deadline", "describe_thread", "describe_threads", "mark_own",
    "os_thread_cpu_seconds", "os_thread_ids",
]
