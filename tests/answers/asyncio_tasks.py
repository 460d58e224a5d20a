"""Coroutines that leave tasks behind in each of the ways lesson 06 teaches,
and ones that do not, for the task census's tests (tests/test_task_census.py)."""

import asyncio
import gc
import time


async def consumers_never_stopped(words):
    queue = asyncio.Queue()

    async def consume():
        while True:
            await queue.get()  # waits here for ever

    tasks = [asyncio.create_task(consume()) for _ in words]
    await asyncio.sleep(0.01)
    return len(tasks)


async def consumers_stopped_by_a_task_group(words):
    queue = asyncio.Queue()

    async def consume():
        while await queue.get() is not None:
            pass

    async with asyncio.TaskGroup() as group:
        for _ in words:
            group.create_task(consume())
        for _ in words:
            await queue.put(None)
    return len(words)


async def consumers_cancelled_and_awaited(words):
    queue = asyncio.Queue()

    async def consume():
        while True:
            await queue.get()

    tasks = [asyncio.create_task(consume()) for _ in words]
    await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(tasks)


async def cancelled_but_not_awaited():
    task = asyncio.create_task(asyncio.sleep(10))
    await asyncio.sleep(0.01)
    task.cancel()  # asked, but the answer returns before the task has ended
    return 0


async def sleeps_the_loop():
    time.sleep(0.3)  # holds the loop: no other task runs meanwhile
    return 1


async def sleeps_politely():
    await asyncio.sleep(0.3)
    return 1


async def keeps_no_reference():
    asyncio.create_task(asyncio.Event().wait())  # kept in no variable
    await asyncio.sleep(0)
    gc.collect()  # as Python may at any moment
    await asyncio.sleep(0)


async def forgets_to_await():
    async def work():
        return 1

    work()  # a coroutine object, never run
    await asyncio.sleep(0)


async def refuses_to_be_cancelled():
    async def stubborn():
        while True:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass  # swallowed: the task goes on

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.01)
    task.cancel()
    return 0


async def never_returns():
    await asyncio.Event().wait()
