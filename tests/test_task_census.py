"""The task census (autograder/tasks): each way of leaving tasks behind is
found and named with the learner's lines; right answers written differently
are clean; the kernel's own event loop is never touched."""

from __future__ import annotations

import asyncio
import re

import pytest

from answers import asyncio_tasks as answers
from autograder.tasks import TaskLeakError, run_on_fresh_loop

LINE = re.compile(r"asyncio_tasks\.py, line \d+")


def problems(coroutine_function, *args, deadline: float = 2.0) -> str:
    return "\n".join(run_on_fresh_loop(coroutine_function, *args, deadline=deadline)
                     .problems(f"{coroutine_function.__name__}()"))


def line_of(text: str) -> int:
    """The line of tests/answers/asyncio_tasks.py whose code contains ``text``."""
    source = answers.__file__
    with open(source) as lines:
        return next(n for n, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("right", [answers.consumers_stopped_by_a_task_group,
                                   answers.consumers_cancelled_and_awaited])
def test_right_answers_leave_nothing_and_return_their_value(right):
    outcome = run_on_fresh_loop(right, ["a", "b", "c"], deadline=2.0)
    outcome.expect_clean("run_session()")
    assert outcome.result() == 3


def test_consumers_never_stopped_are_named_with_the_line_they_wait_at_and_where_made():
    found = problems(answers.consumers_never_stopped, ["a", "b"])
    assert found.startswith("2 tasks started by consumers_never_stopped() were not done")
    waits = line_of("await queue.get()  # waits here for ever")
    made = line_of("tasks = [asyncio.create_task(consume()) for _ in words]")
    assert found.count(f"suspended at asyncio_tasks.py, line {waits} in consume()") == 2
    assert "(inside get() of queues.py)" in found
    assert found.count(f"created at asyncio_tasks.py, line {made} in ") == 2


def test_a_task_cancelled_but_not_awaited_is_still_a_leak_and_says_so():
    found = problems(answers.cancelled_but_not_awaited)
    assert "1 task started by" in found and "asked to cancel, not finished" in found


def test_a_blocking_call_in_a_coroutine_is_named_by_its_line():
    found = problems(answers.sleeps_the_loop)
    line = line_of("time.sleep(0.3)  # holds the loop")
    assert re.search(rf"the event loop was held 0\.[23]\d s \(no other task ran meanwhile\) "
                     rf"by asyncio_tasks\.py, line {line} "
                     r"in sleeps_the_loop\(\): time\.sleep\(0\.3\)", found), found


def test_awaiting_a_sleep_holds_nothing():
    assert problems(answers.sleeps_politely) == ""


def test_a_task_kept_in_no_variable_and_collected_is_reported_destroyed_while_pending():
    outcome = run_on_fresh_loop(answers.keeps_no_reference, deadline=2.0)
    found = "\n".join(outcome.problems("keeps_no_reference()"))
    made = line_of("asyncio.create_task(asyncio.Event().wait())  # kept in no variable")
    assert "destroyed while still pending" in found
    assert f"created at asyncio_tasks.py, line {made}" in found


def test_a_coroutine_never_awaited_is_named_with_where_it_was_made():
    found = problems(answers.forgets_to_await)
    made = line_of("work()  # a coroutine object, never run")
    assert "coroutine 'forgets_to_await.<locals>.work' was never awaited" in found
    assert f"made at asyncio_tasks.py, line {made} in forgets_to_await(): work()" in found


def test_a_task_that_swallows_cancellation_is_named_as_refusing_to_end():
    outcome = run_on_fresh_loop(answers.refuses_to_be_cancelled, deadline=2.0)
    found = "\n".join(outcome.problems("refuses_to_be_cancelled()"))
    assert "still did not end within 0.3 s (CancelledError caught and ignored?)" in found
    assert "stubborn()" in found


def test_a_coroutine_that_never_returns_fails_on_its_deadline_with_its_line():
    outcome = run_on_fresh_loop(answers.never_returns, deadline=0.3)
    line = line_of("await asyncio.Event().wait()\n")
    with pytest.raises(TimeoutError, match=rf"never_returns\(\) did not return within 0\.3 s: "
                       rf"suspended at asyncio_tasks\.py, line {line}"):
        outcome.result()


def test_expect_clean_raises_with_every_finding():
    outcome = run_on_fresh_loop(answers.consumers_never_stopped, ["a"], deadline=2.0)
    with pytest.raises(TaskLeakError, match="1 task started by run_session"):
        outcome.expect_clean("run_session()")


def test_the_callers_own_running_loop_is_left_alone():
    """Checks run inside a kernel whose loop is running: the check's loop is another."""
    async def inside_a_running_loop():
        mine = asyncio.get_running_loop()
        outcome = run_on_fresh_loop(answers.consumers_stopped_by_a_task_group, ["a"],
                                    deadline=2.0)
        assert asyncio.get_running_loop() is mine and not mine.is_closed()
        return outcome.result()

    assert asyncio.run(inside_a_running_loop()) == 1
