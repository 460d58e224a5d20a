"""The demo class's students and what each handed in: the kinds of
submission an instructor meets (right, partial, leaky, hanging, tampering,
crashing, written differently, untouched), as answer sources by grade_id.
``demo_class`` writes them out as notebooks; the tests and the benchmarks
borrow single mistakes from here."""

from __future__ import annotations

from .answers import REFERENCE, reference_answers

LESSONS = ("01_leaky_consumer", "02_socket_reader", "03_waitgroup", "04_channels_vs_locks",
           "05_stopping_for_good", "06_asyncio_tasks")

CONSUMER_NEVER_EXITS = '''def consumer(ch, out):
    while True:
        item = ch.get()
        out.append(item)
'''

SESSION_DAEMON = '''def run_session(words):
    ch = queue.Queue()
    counts = []
    for word in words:
        if word == "exit":
            continue
        threading.Thread(target=consumer, args=(ch, []), daemon=True).start()
        counts.append(threading.active_count())
    return counts
'''

SESSION_FAKED_COUNTER = '''_real_count = threading.active_count
def run_session(words):
    ch = queue.Queue()
    base = _real_count()
    running, counts = [], []
    for word in words:
        if word == "exit":
            running.clear()
            continue
        worker = threading.Thread(target=consumer, args=(ch, []), daemon=True)
        worker.start()
        running.append(worker)
        counts.append(base + len(running))
        threading._active.pop(worker.ident, None)
    threading.active_count = lambda: base
    threading.enumerate = lambda: [threading.main_thread()]
    return counts
'''

CONSUMER_WITH_ITER = '''def consumer(ch, out):
    for item in iter(ch.get, 0):
        out.append(item)
'''

# Tries things out at the top level of the cell and never gets past it.
ROBUST_STOP_LOOPS_FOREVER = '''STOP = object()

def robust_consumer(ch, out):
    while (item := ch.get()) is not STOP:
        out.append(item)

# let me watch it run for a while...
while True:
    time.sleep(0.05)
'''

CRASHES_THE_KERNEL = '''import os

class WaitGroup:
    def done(self):
        os._exit(0)  # "the work is done", says the student

WaitGroup().done()
'''

WRITTEN_ANSWER = ("A channel send takes the channel's lock, copies the value and wakes a "
                  "receiver, so it does all a mutex does and more; a WaitGroup is one atomic "
                  "counter. queue.Queue shows the same in Python: a Lock, Conditions and a "
                  "deque.\n")


def _mutate(lesson: str, grade_id: str, *changes: str) -> str:
    """The reference answer with each (old, new) pair of ``changes`` applied;
    ValueError if the reference no longer holds an ``old``."""
    source = reference_answers(lesson)[grade_id]
    for old, new in zip(changes[::2], changes[1::2]):
        if old not in source:
            raise ValueError(f"{lesson}/{grade_id}: reference no longer contains {old!r}")
        source = source.replace(old, new)
    return source


def joins_without_deadline() -> str:  # stop_consumers waits for ever for a stuck worker
    return _mutate("01_leaky_consumer", "robust_stop",
                   "worker.join(max(0.0, deadline - time.monotonic()))", "worker.join()")


def close_only_stop() -> str:  # the literal port of the Go program: close() alone
    return _mutate("02_socket_reader", "socket_shutdown",
                   "conn.shutdown(socket.SHUT_RDWR)", "pass")


def run_without_wait() -> str:  # the book's bug: wg.Wait() is never called
    return _mutate("03_waitgroup", "run_with_waitgroup",
                   "    if not wg.wait(timeout):\n"
                   "        raise TimeoutError(f\"the reader did not finish within {timeout} s\")\n"
                   "    reader.join()  # done() was its last call, not its end\n",
                   "")


def wait_never_gives_up() -> str:
    return _mutate("03_waitgroup", "waitgroup",
                   "            return self._zero.wait_for(lambda: self._count == 0, timeout)",
                   "            while self._count != 0:\n"
                   "                self._zero.wait()\n"
                   "            return True")


def queue_without_join() -> str:
    return _mutate("04_channels_vs_locks", "signal_done",
                   "    order = [finished.get() for _ in range(n)]\n"
                   "    for thread in workers:\n"
                   "        thread.join()  # a worker that has put its index is still running\n",
                   "    order = [finished.get() for _ in range(n)]\n")


def close_wakes_one() -> str:  # notify(), as put() rightly does
    return _mutate("05_stopping_for_good", "closable_queue",
                   "self._changed.notify_all()", "self._changed.notify()")


def give_up_without_cancelling() -> str:  # join(timeout), and the worker runs on
    return _mutate("05_stopping_for_good", "call_with_timeout",
                   "        cancelled.set()          # ctx's cancel(): ask the work to stop ...\n"
                   "        worker.join(timeout)     # ... and wait for it, but not for ever\n",
                   "")


def tasks_never_stopped() -> str:  # program A with tasks: no consumer is ever stopped
    return _mutate("06_asyncio_tasks", "task_session",
                   "            await stop_all()\n", "            pass\n",
                   "    await stop_all()\n    return counts", "    return counts")


def sleeps_the_loop() -> str:  # time.sleep in a coroutine: every task stops with it
    return _mutate("06_asyncio_tasks", "stream_reader",
                   "    await asyncio.sleep(linger)\n", "    time.sleep(linger)\n")


def delete_cell(grade_id: str):
    def edit(notebook):
        notebook.cells = [c for c in notebook.cells
                          if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return edit


def students() -> dict[str, dict[str, tuple[dict, object]]]:
    """student -> lesson -> (answers by grade_id, edit or None)."""
    every = {lesson: ({grade_id: REFERENCE for grade_id in reference_answers(lesson)}, None)
             for lesson in LESSONS}
    every["04_channels_vs_locks"][0]["why_not_cheaper"] = WRITTEN_ANSWER
    ref = lambda lesson, **changes: (dict(every[lesson][0], **changes), None)  # noqa: E731
    return {
        # Everything right.
        "ada_lovelace": dict(every),
        # Some lessons handed in, some answers left blank.
        "ben_partial": {
            "01_leaky_consumer": ({"consumer_exit": REFERENCE}, None),
            "03_waitgroup": ({"waitgroup": REFERENCE}, None),
        },
        # The straight ports of the book's programs: every one leaks.
        "chen_leaky": {
            "01_leaky_consumer": ref("01_leaky_consumer", consumer_exit=CONSUMER_NEVER_EXITS,
                                     run_session=SESSION_DAEMON),
            "02_socket_reader": ref("02_socket_reader", socket_shutdown=close_only_stop()),
            "03_waitgroup": ref("03_waitgroup", run_with_waitgroup=run_without_wait()),
            "04_channels_vs_locks": ref("04_channels_vs_locks",
                                        signal_done=queue_without_join()),
            "05_stopping_for_good": ref("05_stopping_for_good", closable_queue=close_wakes_one(),
                                        call_with_timeout=give_up_without_cancelling()),
            "06_asyncio_tasks": ref("06_asyncio_tasks", task_session=tasks_never_stopped(),
                                    stream_reader=sleeps_the_loop()),
        },
        # A cell that never finishes (the cell timeout stops it) and a wait
        # that never gives up (the check's deadline stops it).
        "dara_hangs": {
            "01_leaky_consumer": ref("01_leaky_consumer", robust_stop=ROBUST_STOP_LOOPS_FOREVER),
            "03_waitgroup": ref("03_waitgroup", waitgroup=wait_never_gives_up()),
        },
        # Hides leaked threads from threading and deletes a test cell.
        "eli_tampers": {
            "01_leaky_consumer": (dict(every["01_leaky_consumer"][0],
                                       run_session=SESSION_FAKED_COUNTER),
                                  delete_cell("test_consumer_exit")),
            "04_channels_vs_locks": every["04_channels_vs_locks"],
        },
        # Kills the kernel in lesson 03; right elsewhere.
        "fay_crashes": {
            "01_leaky_consumer": every["01_leaky_consumer"],
            "02_socket_reader": every["02_socket_reader"],
            "03_waitgroup": ref("03_waitgroup", waitgroup=CRASHES_THE_KERNEL),
        },
        # Right, written differently from the reference.
        "gus_variants": {
            "01_leaky_consumer": ref("01_leaky_consumer", consumer_exit=CONSUMER_WITH_ITER),
            "02_socket_reader": every["02_socket_reader"],
        },
        # Opened the notebooks and handed them in untouched.
        "hal_untouched": {lesson: ({}, None)
                          for lesson in ("01_leaky_consumer", "03_waitgroup",
                                         "05_stopping_for_good", "06_asyncio_tasks")},
    }
