"""Lesson 01's demonstrations. Each returns what it observed, so the notebook
can show it and the tests can pin it."""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field

from .programs import memory_kib, run_python, start_program


def seed_consumer(ch: queue.Queue, out: list) -> None:
    """Program B's consumer, recording instead of printing."""
    while True:
        data = ch.get()
        if data == 0:
            break
        out.append(data)


# --- program A, in a child process --------------------------------------------

@dataclass
class PileUp:
    words: list[int] = field(default_factory=list)  # words typed so far
    threads: list[int] = field(default_factory=list)  # what the program printed
    rss_kib: list[int] = field(default_factory=list)
    virtual_kib: list[int] = field(default_factory=list)
    exited_after_input_ended: bool | None = None

    def cost_per_thread_kib(self) -> tuple[float, float]:
        """Resident and virtual memory added per thread (first to last sample)."""
        added = self.threads[-1] - self.threads[0]
        return ((self.rss_kib[-1] - self.rss_kib[0]) / added,
                (self.virtual_kib[-1] - self.virtual_kib[0]) / added)


def measure_pile_up(words: int = 200, every: int = 10, on_sample=None,
                    exit_wait: float = 1.0) -> PileUp:
    """Feed program A ``words`` words; sample its threads and memory as they pile up.

    Then end its input and see whether it exits. It cannot: its consumers
    are not daemon threads and never return, so the child is killed.
    """
    program = start_program("program_a.py")
    result = PileUp()
    try:
        for typed in range(1, words + 1):
            program.stdin.write("word\n")
            program.stdin.flush()
            printed = int(program.stdout.readline())
            if typed == 1 or typed % every == 0:
                memory = memory_kib(program.pid)
                result.words.append(typed)
                result.threads.append(printed)
                result.rss_kib.append(memory["VmRSS"])
                result.virtual_kib.append(memory["VmSize"])
                if on_sample is not None:
                    on_sample(result)
        program.stdin.close()  # end of input: main() returns
        try:
            program.wait(timeout=exit_wait)
            result.exited_after_input_ended = True
        except Exception:  # noqa: BLE001 - TimeoutExpired: still running
            result.exited_after_input_ended = False
    finally:
        program.kill()
        program.wait()
        for pipe in (program.stdout, program.stderr):
            pipe.close()
    return result


def plot_pile_up(result: PileUp):
    import matplotlib.pyplot as plt

    figure, (threads, memory) = plt.subplots(1, 2, figsize=(10, 3.5))
    threads.plot(result.words, result.threads, marker="o")
    threads.set(xlabel="words typed", ylabel="threads alive",
                title="Every word leaves a thread behind")
    memory.plot(result.words, [k / 1024 for k in result.rss_kib], marker="o",
                label="resident (RSS)")
    memory.plot(result.words, [k / 1024 for k in result.virtual_kib], marker="s",
                label="virtual (address space)")
    memory.set(xlabel="words typed", ylabel="MiB", yscale="log",
               title="...and its memory with it")
    memory.legend()
    figure.tight_layout()
    return figure


# --- program B's stop rule, in this kernel --------------------------------------

def zero_as_data(items: tuple = (5, 0, 7)) -> dict:
    """Send real data that happens to be 0 to the seed's consumer."""
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in items:
        ch.put(item)
    worker = threading.Thread(target=seed_consumer, args=(ch, out), name="seed consumer")
    worker.start()
    worker.join(1.0)
    left = []
    while not ch.empty():
        left.append(ch.get_nowait())
    return {"sent": list(items), "processed": out, "left in queue": left,
            "consumer alive": worker.is_alive()}


def num_goroutine_minus_one(consumers: int = 2) -> dict:
    """The seed's exit rule in a process that runs other threads too.

    It sends ``threading.active_count() - 1`` zeros, assuming every thread but
    main is a consumer. The surplus stays in the queue and kills the next
    consumer the moment it starts.
    """
    ch: queue.Queue = queue.Queue()
    started = [threading.Thread(target=seed_consumer, args=(ch, []), name=f"consumer {i}")
               for i in range(consumers)]
    for worker in started:
        worker.start()
    active = threading.active_count()
    for _ in range(active - 1):  # the seed's loop: NumGoroutine() - 1 zeros
        ch.put(0)
    for worker in started:
        worker.join(1.0)
    surplus = ch.qsize()
    late = threading.Thread(target=seed_consumer, args=(ch, []), name="next consumer")
    late.start()
    late.join(0.5)
    result = {"consumers": consumers, "active_count": active, "zeros sent": active - 1,
              "zeros left over": surplus, "next consumer still running": late.is_alive()}
    while not ch.empty():  # clean up: nothing of this demo outlives it
        ch.get_nowait()
    if late.is_alive():
        ch.put(0)
        late.join(1.0)
    return result


def unbuffered_vs_queue() -> dict:
    """Go's unbuffered send waits for a receiver; Queue.put() does not."""
    unbounded: queue.Queue = queue.Queue()
    began = time.perf_counter()
    for _ in range(3):
        unbounded.put(0)  # no receiver anywhere, and still it returns
    put_seconds = time.perf_counter() - began
    bounded: queue.Queue = queue.Queue(maxsize=1)
    bounded.put(0)
    try:
        bounded.put(0, timeout=0.2)
        second_put_blocked = False
    except queue.Full:
        second_put_blocked = True
    return {"puts with no receiver": 3, "queue size after": unbounded.qsize(),
            "seconds for the three puts": put_seconds,
            "maxsize=1: second put blocked": second_put_blocked}


# --- daemon threads ---------------------------------------------------------------

LEAKED_THREAD_PROGRAM = """
import queue, threading
def consumer(ch):
    try:
        ch.get()            # waits forever: nobody sends
    finally:
        print("consumer cleaned up")
threading.Thread(target=consumer, args=(queue.Queue(),), daemon={daemon}).start()
print("main is done")
"""


def exit_with_leaked_thread(daemon: bool, timeout: float = 3.0):
    """Let main finish while a consumer is still blocked; does the process exit?"""
    return run_python(LEAKED_THREAD_PROGRAM.format(daemon=daemon), timeout=timeout)


def daemon_still_counts() -> dict:
    """A daemon thread is as alive, and as counted, as any other."""
    before = threading.active_count()
    ch: queue.Queue = queue.Queue()
    worker = threading.Thread(target=seed_consumer, args=(ch, []), daemon=True,
                              name="daemon consumer")
    worker.start()
    during = threading.active_count()
    listed = worker in threading.enumerate()
    ch.put(0)  # clean up: stop it the proper way
    worker.join(1.0)
    return {"active_count before": before, "with a daemon consumer": during,
            "listed by threading.enumerate()": listed, "stopped by a 0": not worker.is_alive()}
