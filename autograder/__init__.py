"""Leak checks and learner feedback for the goroutine-leak course.

    from autograder import check
    check("consumer_exit")      # prints a verdict; raises if the answer is wrong

Importing this package first records where every thread is started, so
reports can name the line that started a leaked thread.
"""

from .threads import Baseline, DeadlineExceeded, LeakError, call_with_deadline  # noqa: I001
from .exercises import CheckFailed
from .learner import check

__all__ = ["Baseline", "CheckFailed", "DeadlineExceeded", "LeakError",
           "call_with_deadline", "check"]
