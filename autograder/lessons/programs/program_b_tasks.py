"""Program B with asyncio tasks: each consumer stops on 0; "exit" sends a 0 per
task but main's, counting the tasks again before each send, as Go's loop does."""
import asyncio
import sys


async def consumer(ch):  # a long-running job
    while True:
        data = await ch.get()
        if data == 0:
            break
        print(data)


async def main():
    # Go's channel holds nothing: a send waits for a receiver. The nearest
    # asyncio.Queue holds one value, so a second send waits for the consumers.
    ch = asyncio.Queue(maxsize=1)
    consumers = []  # the loop holds its tasks weakly: keep them (lesson 06, section 3)
    while line := await asyncio.to_thread(sys.stdin.readline):
        for dummy in line.split():  # fmt.Scan reads one word at a time
            if dummy == "exit":
                i = 0
                while i < len(asyncio.all_tasks()) - 1:  # Go re-reads the bound every time
                    await ch.put(0)
                    i += 1
                continue
            consumers.append(asyncio.create_task(consumer(ch)))
            print(len(asyncio.all_tasks()), flush=True)


asyncio.run(main())
