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
    "cancelled, not awaited": ("task_session", SESSION_CANCELS_WITHOUT_WAITING,
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
