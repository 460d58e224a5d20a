"""Task census, leaks and a blocked event loop: the grading core for asyncio.

    outcome = run_on_fresh_loop(session, ["a", "exit"], deadline=3.0)
    outcome.expect_clean("run_session()")   # raises TaskLeakError, in a learner's words
    outcome.value                           # what the coroutine returned

The learner's coroutine runs on an event loop of the check's own, in a thread
of its own (a kernel already runs a loop in its main thread), with a deadline.
Like ``autograder.threads`` for threads: each task left behind is named with
its coroutine, the learner's line it is suspended at and the line that
created it; tasks destroyed while pending, coroutines never awaited and a
loop held by a blocking call are reported in plain words.

Why not pyleak (which finds leaked tasks and a blocked loop in tests): its
checks run inside the loop under test and name tasks by their names and raw
stacks; a grader needs the loop to be its own, every finding turned into the
learner's cell and line, and two findings pyleak does not make (a task
destroyed while pending, a coroutine never awaited). The blocked-loop watch
works as pyleak's does: a thread outside the loop asks it to run a callback
and, when that takes too long, reads the loop thread's stack.
"""

from .census import LiveTask, describe_task, suspended_stack
from .fresh_loop import DidNotReturn, Outcome, TaskLeakError, run_on_fresh_loop
from .watch import Block, BlockWatch

__all__ = ["Block", "BlockWatch", "DidNotReturn", "LiveTask", "Outcome", "TaskLeakError",
           "describe_task", "run_on_fresh_loop", "suspended_stack"]
