"""Answers to lesson 06 written by a colleague from the contract alone, without
the reference or the checks (held out until the checks were done; each wrong
one says what is wrong in a comment). HELDOUT = {name: (exercise, source,
"pass" or "fail", as the colleague graded it)}."""

HELDOUT = {
    'ct_as_completed': (
        'cancel_on_timeout',
        'import asyncio\nimport logging\n\nlogger = logging.getLogger("first_within")\n\n\nasync def first_within(timeout, *work):\n    tasks = {asyncio.create_task(fn()): fn.__name__ for fn in work}\n\n    async def stop_all():\n        alive = [t for t in tasks if not t.done()]\n        for t in alive:\n            t.cancel()\n        if alive:\n            done, refused = await asyncio.wait(alive, timeout=timeout)\n            for t in refused:\n                logger.warning("%s ignored cancellation and is still running", tasks[t])\n\n    try:\n        for next_done in asyncio.as_completed(list(tasks), timeout=timeout):\n            try:\n                result = await next_done\n            except TimeoutError:\n                raise\n            except Exception:\n                continue            # a failed task is not a result; keep waiting\n            await stop_all()\n            return result\n    except TimeoutError:\n        pass\n    except asyncio.CancelledError:\n        for t in tasks:\n            t.cancel()\n        raise\n    await stop_all()\n    raise TimeoutError("nothing arrived in time")\n',
        'pass',
    ),
    'ct_queue_timeout_ctx': (
        'cancel_on_timeout',
        'import asyncio\n\n\nasync def first_within(timeout, *work):\n    results = asyncio.Queue()\n    names = {}\n\n    async def run(fn):\n        value = await fn()\n        await results.put(value)\n\n    tasks = []\n    for fn in work:\n        t = asyncio.create_task(run(fn))\n        names[t] = fn.__name__\n        tasks.append(t)\n\n    async def shutdown():\n        for t in tasks:\n            t.cancel()\n        leftover = [t for t in tasks if not t.done()]\n        if leftover:\n            _, stuck = await asyncio.wait(leftover, timeout=timeout)\n            for t in stuck:\n                print(f"first_within: {names[t]} did not stop after cancel()")\n\n    try:\n        async with asyncio.timeout(timeout):\n            value = await results.get()\n    except TimeoutError:\n        await shutdown()\n        raise\n    except asyncio.CancelledError:\n        for t in tasks:\n            t.cancel()\n        raise\n    await shutdown()\n    return value\n',
        'pass',
    ),
    'ct_wait_loop': (
        'cancel_on_timeout',
        'import asyncio\nimport warnings\n\n\nasync def _cancel_and_reap(tasks, grace):\n    """Cancel tasks, wait at most `grace` seconds for them, warn about refusers."""\n    tasks = [t for t in tasks if not t.done()]\n    for t in tasks:\n        t.cancel()\n    if not tasks:\n        return\n    _, stubborn = await asyncio.wait(tasks, timeout=grace)\n    for t in stubborn:\n        warnings.warn(f"task {t.get_name()!r} refused to be cancelled", RuntimeWarning)\n\n\nasync def first_within(timeout, *work):\n    loop = asyncio.get_running_loop()\n    tasks = [asyncio.create_task(w(), name=w.__name__) for w in work]\n    deadline = loop.time() + timeout\n    pending = set(tasks)\n    try:\n        while pending:\n            left = deadline - loop.time()\n            if left <= 0:\n                break\n            done, pending = await asyncio.wait(\n                pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)\n            for t in done:\n                if not t.cancelled() and t.exception() is None:\n                    result = t.result()\n                    await _cancel_and_reap(tasks, timeout)\n                    return result\n    except asyncio.CancelledError:\n        for t in tasks:\n            t.cancel()\n        raise\n    await _cancel_and_reap(tasks, timeout)\n    raise TimeoutError(f"no result within {timeout} s")\n',
        'pass',
    ),
    'ct_wrong_no_wait_after_cancel': (
        'cancel_on_timeout',
        'import asyncio\n\n\nasync def first_within(timeout, *work):\n    tasks = [asyncio.create_task(w()) for w in work]\n    try:\n        done, pending = await asyncio.wait(\n            tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)\n    finally:\n        # WRONG: cancels the other tasks but returns without waiting for them to\n        # end: they are still pending (their cleanup has not run) when the\n        # result is returned or TimeoutError raised.\n        for t in tasks:\n            t.cancel()\n    if not done:\n        raise TimeoutError()\n    return done.pop().result()\n',
        'fail',
    ),
    'ct_wrong_swallow_cancel': (
        'cancel_on_timeout',
        'import asyncio\nimport warnings\n\n\nasync def first_within(timeout, *work):\n    tasks = [asyncio.create_task(w(), name=w.__name__) for w in work]\n\n    async def stop():\n        for t in tasks:\n            t.cancel()\n        _, stuck = await asyncio.wait(tasks, timeout=timeout)\n        for t in stuck:\n            warnings.warn(f"{t.get_name()} refused cancellation")\n\n    try:\n        done, _ = await asyncio.wait(\n            tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)\n    except asyncio.CancelledError:\n        # WRONG: swallows the caller\'s cancellation: the tasks are stopped but\n        # the function then returns None normally, so whoever cancelled the call\n        # never sees CancelledError.\n        await stop()\n        return None\n    await stop()\n    if not done:\n        raise TimeoutError()\n    return next(iter(done)).result()\n',
        'fail',
    ),
    'ct_wrong_wait_forever': (
        'cancel_on_timeout',
        'import asyncio\n\n\nasync def first_within(timeout, *work):\n    tasks = [asyncio.create_task(w()) for w in work]\n    try:\n        done, pending = await asyncio.wait(\n            tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)\n    except asyncio.CancelledError:\n        for t in tasks:\n            t.cancel()\n        raise\n    # WRONG: after cancel() it waits with no limit for every task to end. A task\n    # that catches CancelledError and keeps going makes this wait forever (or for\n    # as long as that task likes), and nobody is told which task refused.\n    for t in tasks:\n        t.cancel()\n    await asyncio.gather(*tasks, return_exceptions=True)\n    if not done:\n        raise TimeoutError()\n    return done.pop().result()\n',
        'fail',
    ),
    'sr_basic': (
        'stream_reader',
        'import asyncio\n\n\nasync def read_until_eof(reader):\n    try:\n        while True:\n            chunk = await reader.read(4096)\n            if not chunk:          # b"" means end-of-stream\n                break\n    except (OSError, asyncio.IncompleteReadError):\n        pass\n    return "exit"\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    reader, writer = await asyncio.open_connection(host, port)\n    task = asyncio.create_task(read_until_eof(reader))\n    await asyncio.sleep(linger)\n    writer.close()\n    try:\n        await writer.wait_closed()\n    except ConnectionError:\n        pass    # the peer reset the connection; the reader has already seen it\n    return await asyncio.wait_for(task, 1)\n',
        'pass',
    ),
    'sr_class': (
        'stream_reader',
        'import asyncio\n\n\nclass Connection:\n    def __init__(self, reader, writer):\n        self.reader = reader\n        self.writer = writer\n        self.task = None\n\n    async def _run(self):\n        try:\n            await self.reader.read()      # read() with no size reads until EOF\n        except ConnectionError:\n            pass\n        return "exit"\n\n    def start(self):\n        self.task = asyncio.create_task(self._run())\n\n    async def close(self):\n        self.writer.close()\n        try:\n            await self.writer.wait_closed()\n        except OSError as exc:        # connection already broken by the peer\n            print("close:", exc)\n\n    async def result(self, timeout):\n        try:\n            return await asyncio.wait_for(self.task, timeout)\n        finally:\n            if not self.task.done():      # never leave the reader behind\n                self.task.cancel()\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    conn = Connection(*await asyncio.open_connection(host, port))\n    conn.start()\n    await asyncio.sleep(linger)\n    await conn.close()\n    return await conn.result(1)\n',
        'pass',
    ),
    'sr_lines_timeout_ctx': (
        'stream_reader',
        'import asyncio\nimport contextlib\nimport logging\n\nlog = logging.getLogger(__name__)\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    reader, writer = await asyncio.open_connection(host, port)\n\n    async def drain_lines():\n        try:\n            async for line in reader:      # ends at EOF\n                log.debug("got %r", line)\n        except Exception as exc:           # connection reset, limit overrun, ...\n            log.debug("reader stopped: %r", exc)\n        return "exit"\n\n    task = asyncio.create_task(drain_lines(), name="line-reader")\n    try:\n        await asyncio.sleep(linger)\n    finally:\n        writer.close()\n        with contextlib.suppress(ConnectionError):   # e.g. reset by peer\n            await writer.wait_closed()\n    async with asyncio.timeout(1):\n        return await task\n',
        'pass',
    ),
    'sr_wrong_await_before_close': (
        'stream_reader',
        'import asyncio\n\n\nasync def read_until_eof(reader):\n    try:\n        while await reader.read(1024):\n            pass\n    except ConnectionError:\n        pass\n    return "exit"\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    reader, writer = await asyncio.open_connection(host, port)\n    task = asyncio.create_task(read_until_eof(reader))\n    await asyncio.sleep(linger)\n    try:\n        # WRONG: waits for the reader BEFORE closing the writer. The reader only\n        # ends at EOF, which our own close would cause, so with a silent peer this\n        # times out after 1 s (TimeoutError) instead of returning "exit".\n        return await asyncio.wait_for(task, 1)\n    finally:\n        writer.close()\n        await writer.wait_closed()\n',
        'fail',
    ),
    'sr_wrong_cancel_no_close': (
        'stream_reader',
        'import asyncio\n\n\nasync def read_until_eof(reader):\n    try:\n        while await reader.read(1024):\n            pass\n    except ConnectionError:\n        pass\n    return "exit"\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    reader, writer = await asyncio.open_connection(host, port)\n    task = asyncio.create_task(read_until_eof(reader))\n    await asyncio.sleep(linger)\n    # WRONG: stops the reader by cancelling it and never closes the writer:\n    # the socket stays open, the peer never sees end-of-stream, and the value\n    # returned is made up instead of being what the reader task returned.\n    task.cancel()\n    try:\n        await task\n    except asyncio.CancelledError:\n        pass\n    return "exit"\n',
        'fail',
    ),
    'sr_wrong_polling': (
        'stream_reader',
        'import asyncio\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    reader, writer = await asyncio.open_connection(host, port)\n    stop = False\n\n    async def poll_reader():\n        # WRONG: polls: reads with a short timeout in a loop and checks a flag,\n        # waking the loop 20 times a second instead of just waiting for EOF.\n        while not stop:\n            try:\n                data = await asyncio.wait_for(reader.read(1024), 0.05)\n            except asyncio.TimeoutError:\n                continue\n            except ConnectionError:\n                break\n            if not data:\n                break\n        return "exit"\n\n    task = asyncio.create_task(poll_reader())\n    await asyncio.sleep(linger)\n    stop = True\n    writer.close()\n    await writer.wait_closed()\n    return await asyncio.wait_for(task, 1)\n',
        'fail',
    ),
    'sr_wrong_time_sleep': (
        'stream_reader',
        'import asyncio\nimport time\n\n\nasync def read_until_eof(reader):\n    try:\n        while await reader.read(1024):\n            pass\n    except ConnectionError:\n        pass\n    return "exit"\n\n\nasync def read_then_stop(host, port, linger=0.2):\n    reader, writer = await asyncio.open_connection(host, port)\n    task = asyncio.create_task(read_until_eof(reader))\n    # WRONG: time.sleep blocks the whole event loop for `linger` seconds:\n    # the reader task (and every other task) cannot run meanwhile.\n    time.sleep(linger)\n    writer.close()\n    await writer.wait_closed()\n    return await asyncio.wait_for(task, 1)\n',
        'fail',
    ),
    'ts_cancel_wait_class': (
        'task_session',
        'import asyncio\n\n\nasync def _consume(queue):\n    while True:\n        data = await queue.get()\n        if data == 0:\n            break\n\n\nclass Session:\n    """Keeps the live consumer tasks in a set; each task removes itself when done."""\n\n    def __init__(self):\n        self.queue = asyncio.Queue()\n        self.live = set()\n\n    def start(self):\n        task = asyncio.create_task(_consume(self.queue))\n        self.live.add(task)\n        task.add_done_callback(self.live.discard)\n\n    async def stop_all(self):\n        tasks = list(self.live)\n        for t in tasks:\n            t.cancel()\n        if tasks:\n            await asyncio.wait(tasks)   # asyncio.wait never raises for cancelled tasks\n\n    def alive(self):\n        return sum(1 for t in self.live if not t.done())\n\n\nasync def run_session(words):\n    session = Session()\n    counts = []\n    try:\n        for word in words:\n            if word == "exit":\n                await session.stop_all()\n            else:\n                session.start()\n            counts.append(session.alive())\n    finally:\n        await session.stop_all()\n    return counts\n',
        'pass',
    ),
    'ts_sentinel': (
        'task_session',
        'import asyncio\n\n\nasync def consumer(queue):\n    while True:\n        data = await queue.get()\n        if data == 0:\n            break\n\n\nasync def run_session(words):\n    queue = asyncio.Queue()\n    running = []\n    counts = []\n\n    async def stop():\n        # one stop value per consumer: each consumer takes exactly one 0 and ends\n        for _ in running:\n            await queue.put(0)\n        await asyncio.gather(*running)\n        running.clear()\n\n    for word in words:\n        if word == "exit":\n            await stop()\n        else:\n            running.append(asyncio.create_task(consumer(queue)))\n        counts.append(len([t for t in running if not t.done()]))\n    await stop()\n    return counts\n',
        'pass',
    ),
    'ts_taskgroup': (
        'task_session',
        'import asyncio\n\n\nasync def reader(queue):\n    while (await queue.get()) != 0:\n        pass\n\n\nasync def run_session(words):\n    queue = asyncio.Queue()\n    counts = []\n    words = iter(words)\n    finished = False\n    while not finished:\n        started = []\n        # every batch of consumers between two "exit" words lives in one TaskGroup;\n        # leaving the block waits for all of them\n        async with asyncio.TaskGroup() as tg:\n            for word in words:\n                if word == "exit":\n                    break\n                started.append(tg.create_task(reader(queue)))\n                counts.append(sum(not t.done() for t in started))\n            else:\n                finished = True\n            for _ in started:\n                queue.put_nowait(0)\n        if not finished:\n            counts.append(sum(not t.done() for t in started))  # 0: the group waited\n    return counts\n',
        'pass',
    ),
    'ts_wrong_gather_raises': (
        'task_session',
        'import asyncio\n\n\nasync def consumer(queue):\n    while True:\n        data = await queue.get()\n        if data == 0:\n            break\n\n\nasync def run_session(words):\n    # WRONG: asyncio.gather() without return_exceptions=True re-raises the\n    # CancelledError of the first cancelled consumer, so run_session itself\n    # blows up with CancelledError at the first "exit" (or at the end) instead\n    # of returning the counts.\n    queue = asyncio.Queue()\n    tasks = []\n    counts = []\n    for word in words:\n        if word == "exit":\n            for t in tasks:\n                t.cancel()\n            await asyncio.gather(*tasks)\n            tasks = []\n        else:\n            tasks.append(asyncio.create_task(consumer(queue)))\n        counts.append(sum(not t.done() for t in tasks))\n    for t in tasks:\n        t.cancel()\n    await asyncio.gather(*tasks)\n    return counts\n',
        'fail',
    ),
    'ts_wrong_leak_end': (
        'task_session',
        'import asyncio\n\n\nasync def consumer(queue):\n    while True:\n        data = await queue.get()\n        if data == 0:\n            break\n\n\nasync def run_session(words):\n    # WRONG: "exit" is handled correctly, but when the words run out the\n    # consumers still running are left behind: nobody stops or awaits them, so\n    # they are still pending when run_session returns (leaked tasks).\n    queue = asyncio.Queue()\n    tasks = []\n    counts = []\n    for word in words:\n        if word == "exit":\n            for t in tasks:\n                t.cancel()\n            await asyncio.gather(*tasks, return_exceptions=True)\n            tasks.clear()\n        else:\n            tasks.append(asyncio.create_task(consumer(queue)))\n        counts.append(sum(not t.done() for t in tasks))\n    return counts\n',
        'fail',
    ),
    'ts_wrong_no_await': (
        'task_session',
        'import asyncio\n\n\nasync def consumer(queue):\n    while True:\n        data = await queue.get()\n        if data == 0:\n            break\n\n\nasync def run_session(words):\n    # WRONG: the consumers are cancelled but never awaited. cancel() only asks;\n    # the tasks are still pending right after it, so the count after "exit" is\n    # not 0, and at the end run_session returns while its tasks are still pending.\n    queue = asyncio.Queue()\n    tasks = []\n    counts = []\n    for word in words:\n        if word == "exit":\n            for t in tasks:\n                t.cancel()\n        else:\n            tasks.append(asyncio.create_task(consumer(queue)))\n        counts.append(sum(not t.done() for t in tasks))\n    for t in tasks:\n        t.cancel()\n    return counts\n',
        'fail',
    ),
}
