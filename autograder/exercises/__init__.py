"""Every graded exercise, by name. Each lesson's checks live in a module here
and register themselves in ``registry``; importing this package loads them all."""

from . import (call_with_timeout, channels_vs_locks, closable_queue,  # noqa: F401
               leaky_consumer, local_close, peer_close, robust_stop, run_session,
               run_with_waitgroup, socket_reader, task_session, waitgroup, warm_up)
from . import cancel_on_timeout, stream_reader  # noqa: F401
from .harness import CheckFailed
from .registry import EXERCISES, Exercise, exercise

__all__ = ["EXERCISES", "CheckFailed", "Exercise", "exercise"]
