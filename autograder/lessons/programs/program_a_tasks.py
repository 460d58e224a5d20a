"""Program A with asyncio tasks: one consumer task per word read; none is ever
told to stop."""
import asyncio
import sys


async def consumer(ch):  # a long-running job
    while True:
        data = await ch.get()
        print(data)


async def main():
    ch = asyncio.Queue()
    consumers = []  # the loop holds its tasks weakly: keep them (lesson 06, section 3)
    # stdin is read on a worker thread, so that waiting for input holds no task
    while line := await asyncio.to_thread(sys.stdin.readline):
        for dummy in line.split():  # noqa: B007 - the seed's name; fmt.Scan reads a word
            consumers.append(asyncio.create_task(consumer(ch)))
            print(len(asyncio.all_tasks()), flush=True)  # main's task counts, as main does


asyncio.run(main())  # at the end of input, run() cancels the tasks still waiting
