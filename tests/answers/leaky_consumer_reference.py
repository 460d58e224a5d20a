"""Reference answers for lesson 01, as a careful learner would write them."""
import queue
import threading
import time


def consumer(ch, out):
    while True:
        item = ch.get()
        if item == 0:
            return
        out.append(item)


def run_session(words):
    ch = queue.Queue()
    out = []
    running = []
    counts = []

    def stop_all():
        for _ in running:
            ch.put(0)
        for thread in running:
            thread.join()
        running.clear()

    for word in words:
        if word == "exit":
            stop_all()
            continue
        thread = threading.Thread(target=consumer, args=(ch, out))
        thread.start()
        running.append(thread)
        counts.append(threading.active_count())
    stop_all()
    return counts


STOP = object()


def robust_consumer(ch, out):
    while True:
        item = ch.get()
        if item is STOP:
            return
        out.append(item)


def stop_consumers(ch, workers, timeout=1.0):
    for _ in workers:
        ch.put(STOP)
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    alive = [worker.name for worker in workers if worker.is_alive()]
    if alive:
        raise TimeoutError(f"still running after {timeout} s: {', '.join(alive)}")
