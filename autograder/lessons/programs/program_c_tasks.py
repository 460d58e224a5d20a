"""Program C with an asyncio task: a reader task, stopped by closing the writer.

Usage: program_c_tasks.py HOST PORT
The book dials www.163.com:80; the lesson passes a local server's address.
"""
import asyncio
import sys


async def socket_recv(reader, exit_chan):
    while True:  # receive until the connection fails or ends
        try:
            data = await reader.read(1024)
        except OSError:
            break
        if not data:
            break
    await exit_chan.put("exit")


async def main(host, port):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError as err:
        print(err)
        return

    exit_q = asyncio.Queue()
    receiving = asyncio.create_task(socket_recv(reader, exit_q))  # noqa: F841 - kept: see A
    await asyncio.sleep(1)
    writer.close()  # close the socket: the reader's read ends, as in Go
    print(await exit_q.get(), flush=True)


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
