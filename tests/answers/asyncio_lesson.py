"""Answers to lesson 06 (asyncio tasks), right and wrong, as the source of an
answer cell. WRONG maps a mistake to (grade_id, source, words its failure
message must contain); RIGHT maps a right answer written differently to
(grade_id, source)."""

SESSION_REFERENCE = '''
import asyncio


async def consumer(queue):
    while await queue.get() is not None:
        pass


async def run_session(words):
    queue = asyncio.Queue()
    consumers, counts = [], []

    async def stop_all():
        for _ in consumers:
            await queue.put(None)
        await asyncio.gather(*consumers)
        consumers.clear()

    for word in words:
        if word == "exit":
            await stop_all()
        else:
            consumers.append(asyncio.create_task(consumer(queue)))
        counts.append(sum(not task.done() for task in consumers))
    await stop_all()
    return counts
'''

# --- right, written differently -----------------------------------------------------

SESSION_CANCELLED = '''
import asyncio


async def consumer(queue):
    while True:
        await queue.get()


async def run_session(words):
    queue, tasks, counts = asyncio.Queue(), set(), []
    for word in words:
        if word == "exit":
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            tasks = set()
        else:
            tasks.add(asyncio.create_task(consumer(queue)))
        counts.append(len([t for t in tasks if not t.done()]))
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks) if tasks else None
    return counts
'''

SESSION_TASK_GROUPS = '''
import asyncio


async def consumer(queue):
    while await queue.get() != "stop":
        pass


async def run_session(words):
    queue, counts = asyncio.Queue(), []
    rest = list(words)
    while rest:
        running = 0
        async with asyncio.TaskGroup() as group:
            while rest and rest[0] != "exit":
                rest.pop(0)
                group.create_task(consumer(queue))
                running += 1
                counts.append(running)
            for _ in range(running):
                await queue.put("stop")
        if rest:  # an "exit"
            rest.pop(0)
            counts.append(0)
    return counts
'''

# --- wrong ----------------------------------------------------------------------------

SESSION_NEVER_STOPS = '''
import asyncio


async def consumer(queue):
    while True:
        await queue.get()


async def run_session(words):
    queue, consumers, counts = asyncio.Queue(), [], []
    for word in words:
        if word == "exit":
            consumers = []  # forgotten, not stopped
        else:
            consumers.append(asyncio.create_task(consumer(queue)))
        counts.append(len(consumers))
    return counts
'''

SESSION_CANCELS_WITHOUT_WAITING = '''
import asyncio


async def consumer(queue):
    while True:
        await queue.get()


async def run_session(words):
    queue, tasks, counts = asyncio.Queue(), [], []
    for word in words + ["exit"]:
        if word == "exit":
            for task in tasks:
                task.cancel()
            tasks = []
        else:
            tasks.append(asyncio.create_task(consumer(queue)))
        counts.append(len(tasks))
    return counts[:-1]
'''

SESSION_FAKES_THE_COUNTS = '''
async def run_session(words):
    counts, alive = [], 0
    for word in words:
        alive = 0 if word == "exit" else alive + 1
        counts.append(alive)
    return counts
'''

SESSION_COUNTS_EVERY_TASK = SESSION_REFERENCE.replace(
    "counts.append(sum(not task.done() for task in consumers))",
    "counts.append(len(asyncio.all_tasks()) - 1)")

SESSION_SLEEPS_THE_LOOP = SESSION_REFERENCE.replace(
    "        await asyncio.gather(*consumers)",
    "        import time\n        time.sleep(0.3)  # let them finish")

SESSION_KEEPS_NO_TASK = '''
import asyncio


async def consumer(queue):
    while await queue.get() is not None:
        pass


async def run_session(words):
    queue, counts, alive = asyncio.Queue(), [], 0
    for word in words + ["exit"]:
        if word == "exit":
            for _ in range(alive):
                queue.put_nowait(None)
            alive = 0
        else:
            asyncio.create_task(consumer(queue))
            alive += 1
        counts.append(alive)
    return counts[:-1]
'''

WRONG = {
    "consumers never stopped": ("task_session", SESSION_NEVER_STOPS,
                                ["not done when it returned", "never started",
                                 "created at cell_1.py, line 16", "outlive the call"]),
    "consumers cancelled, not awaited": ("task_session", SESSION_CANCELS_WITHOUT_WAITING,
                               ["asked to cancel, not finished", "wait until each has ended"]),
    "counts without tasks": ("task_session", SESSION_FAKES_THE_COUNTS,
                             ["it started 0 tasks", "asyncio.create_task"]),
    "every task of the loop counted": ("task_session", SESSION_COUNTS_EVERY_TASK,
                                       ["not every task of the loop"]),
    "time.sleep in a coroutine": ("task_session", SESSION_SLEEPS_THE_LOOP,
                                  ["held", "time.sleep(0.3)"]),
    "tasks kept in no variable": ("task_session", SESSION_KEEPS_NO_TASK,
                                  ["not done when it returned", "created at"]),
}

RIGHT = {
    "cancelled and gathered": ("task_session", SESSION_CANCELLED),
    "a task group per run of words": ("task_session", SESSION_TASK_GROUPS),
}


def _add(answers: dict, more: dict) -> None:
    """``answers.update(more)``, refusing a name already used (it would replace a case)."""
    assert not answers.keys() & more.keys(), answers.keys() & more.keys()
    answers.update(more)


FIRST_REFERENCE = '''
import asyncio


async def first_within(timeout, *work):
    tasks = [asyncio.create_task(w(), name=w.__name__) for w in work]
    try:
        done, _ = await asyncio.wait(tasks, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        _, refused = await asyncio.wait(tasks, timeout=timeout)
        for task in refused:
            print(f"{task.get_name()} refused to be cancelled")
    if not done:
        raise TimeoutError(f"no result within {timeout} s")
    return done.pop().result()
'''

FIRST_AS_COMPLETED = '''
import asyncio
import warnings


async def first_within(timeout, *work):
    tasks = [asyncio.create_task(w()) for w in work]
    try:
        for arrived in asyncio.as_completed(tasks, timeout=timeout):
            return await arrived
        raise TimeoutError()
    finally:
        for task in tasks:
            task.cancel()
        _, still = await asyncio.wait(tasks, timeout=timeout)
        for task in still:
            warnings.warn(f"{task.get_coro().__qualname__} ignored cancel()")
'''

FIRST_CALLBACKS = '''
import asyncio
import logging


async def first_within(timeout, *work):
    loop = asyncio.get_running_loop()
    first = loop.create_future()

    def arrived(task):
        if not first.done() and not task.cancelled():
            if task.exception() is None:
                first.set_result(task.result())

    tasks = {asyncio.create_task(w()): w.__name__ for w in work}
    for task in tasks:
        task.add_done_callback(arrived)
    try:
        async with asyncio.timeout(timeout):
            return await first
    finally:
        for task in tasks:
            task.cancel()
        if tasks:
            _, still = await asyncio.wait(tasks, timeout=timeout)
            for task in still:
                logging.warning("%s refused to stop", tasks[task])
'''

FIRST_NEVER_CANCELS = '''
import asyncio


async def first_within(timeout, *work):
    tasks = [asyncio.create_task(w()) for w in work]
    done, _ = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if not done:
        raise TimeoutError()
    return done.pop().result()
'''

# One name for every task: the check must not take them for the refusing work's.
FIRST_NEVER_CANCELS_ONE_NAME = FIRST_NEVER_CANCELS.replace(
    "asyncio.create_task(w())", 'asyncio.create_task(w(), name="work")')

FIRST_CANCELS_WITHOUT_WAITING = FIRST_NEVER_CANCELS.replace(
    "    if not done:", "    for task in tasks:\n        task.cancel()\n    if not done:")

FIRST_WAITS_WITHOUT_LIMIT = FIRST_REFERENCE.replace(
    "_, refused = await asyncio.wait(tasks, timeout=timeout)",
    "await asyncio.gather(*tasks, return_exceptions=True)\n        refused = []")

FIRST_SWALLOWS_CANCELLATION = FIRST_REFERENCE.replace(
    "    finally:\n", "    except asyncio.CancelledError:\n        done = set()\n    finally:\n")

# wait_for cancels what it wraps (here asyncio.wait), not the tasks that wait watches.
FIRST_WAIT_FOR_ALONE = '''
import asyncio


async def first_within(timeout, *work):
    tasks = [asyncio.create_task(w()) for w in work]
    done, _ = await asyncio.wait_for(
        asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED), timeout)
    return done.pop().result()
'''

FIRST_ONE_AFTER_ANOTHER = '''
import asyncio


async def first_within(timeout, *work):
    for w in work:
        try:
            return await asyncio.wait_for(w(), timeout)
        except TimeoutError:
            continue
    raise TimeoutError()
'''

FIRST_SLEEPS_THE_TIMEOUT = FIRST_REFERENCE.replace(
    "        done, _ = await asyncio.wait(tasks, timeout=timeout,\n"
    "                                     return_when=asyncio.FIRST_COMPLETED)",
    "        await asyncio.sleep(timeout)\n"
    "        done = {task for task in tasks if task.done() and not task.cancelled()}")

FIRST_SAYS_NOTHING = FIRST_REFERENCE.replace(
    '            print(f"{task.get_name()} refused to be cancelled")', "            pass")

_add(WRONG, {
    "the rest never cancelled": ("cancel_on_timeout", FIRST_NEVER_CANCELS,
                                 ["not done when it returned", "cancel each task"]),
    "the rest never cancelled, every task named alike": (
        "cancel_on_timeout", FIRST_NEVER_CANCELS_ONE_NAME,
        ["not done when it returned", "cancel each task"]),
    "wait_for without cancelling the rest": ("cancel_on_timeout", FIRST_WAIT_FOR_ALONE,
                                             ["not done when it returned", "cancel each task"]),
    "the rest cancelled, not awaited": ("cancel_on_timeout", FIRST_CANCELS_WITHOUT_WAITING,
                               ["cancel() only asks", "await the cancelled tasks"]),
    "waits for a refusing task without limit": ("cancel_on_timeout", FIRST_WAITS_WITHOUT_LIMIT,
                                                ["did not return within", "2 × timeout"]),
    "the caller's cancellation swallowed": ("cancel_on_timeout", FIRST_SWALLOWS_CANCELLATION,
                                            ["never swallow it"]),
    "one work after another": ("cancel_on_timeout", FIRST_ONE_AFTER_ANOTHER,
                               ["one after another"]),
    "sleeps the whole timeout": ("cancel_on_timeout", FIRST_SLEEPS_THE_TIMEOUT,
                                 ["as soon as the first result arrives"]),
    "the refusing task not named": ("cancel_on_timeout", FIRST_SAYS_NOTHING,
                                    ["stubborn_mirror refused to be cancelled and the call "
                                     "did not say so"]),
})

_add(RIGHT, {
    "as_completed, with a warning": ("cancel_on_timeout", FIRST_AS_COMPLETED),
    "done callbacks and asyncio.timeout, with logging": ("cancel_on_timeout",
                                                          FIRST_CALLBACKS),
})

READER_REFERENCE = '''
import asyncio


async def read_then_stop(host, port, linger=0.2):
    reader, writer = await asyncio.open_connection(host, port)

    async def read_all():
        try:
            while await reader.read(4096):
                pass
        except OSError:
            pass
        return "exit"

    reading = asyncio.create_task(read_all())
    await asyncio.sleep(linger)
    writer.close()
    await writer.wait_closed()
    return await asyncio.wait_for(reading, timeout=1)
'''

READER_LINES = '''
import asyncio


async def read_then_stop(host, port, linger=0.2):
    reader, writer = await asyncio.open_connection(host, port)

    async def lines():
        async for _ in reader:  # a line at a time, until the end of the stream
            pass
        return "exit"

    task = asyncio.create_task(lines())
    try:
        await asyncio.sleep(linger)
    finally:
        writer.close()
        await writer.wait_closed()
    async with asyncio.timeout(1):
        return await task
'''

READER_POLLS = READER_REFERENCE.replace(
    "            while await reader.read(4096):\n                pass",
    "            while True:\n"
    "                try:\n"
    "                    if not await asyncio.wait_for(reader.read(4096), 0.02):\n"
    "                        break\n"
    "                except TimeoutError:\n"
    "                    continue")

READER_NEVER_CLOSES = READER_REFERENCE.replace(
    "    writer.close()\n    await writer.wait_closed()\n    return await asyncio.wait_for(reading, timeout=1)",
    "    reading.cancel()\n    return \"exit\"")

READER_HALF_CLOSES = READER_REFERENCE.replace(
    "    writer.close()\n    await writer.wait_closed()", "    writer.write_eof()")

READER_NO_LINGER = READER_REFERENCE.replace("    await asyncio.sleep(linger)\n", "")

READER_RETURNS_ITS_OWN = READER_REFERENCE.replace(
    "    return await asyncio.wait_for(reading, timeout=1)",
    "    await asyncio.wait_for(reading, timeout=1)\n    return \"done\"")

_add(WRONG, {
    "a reader that polls with a timeout": ("stream_reader", READER_POLLS,
                                           ["woke up", "the reader polls"]),
    "the writer never closed": ("stream_reader", READER_NEVER_CLOSES,
                                ["still open when the call returned", "close the writer"]),
    "half closed with write_eof": ("stream_reader", READER_HALF_CLOSES,
                                   ["raised TimeoutError", "wait_for"]),
    "no linger": ("stream_reader", READER_NO_LINGER, ["sleep linger"]),
    "its own word returned": ("stream_reader", READER_RETURNS_ITS_OWN,
                              ["it returned 'done'"]),
})

_add(RIGHT, {
    "lines, closed in finally, asyncio.timeout": ("stream_reader", READER_LINES),
})
