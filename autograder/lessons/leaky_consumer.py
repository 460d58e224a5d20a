"""Lesson 01's demonstrations. Each returns what it observed, so the notebook
can show it and the tests can pin it."""

from __future__ import annotations

import queue
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


# --- program B's bound, re-read as Go re-reads it ---------------------------------

# Program B's "exit" loop as Go runs it: the bound is evaluated again before
# every iteration. With RENDEZVOUS, each send also waits until a consumer has
# taken the value (ch.join() after put(), task_done() in the consumer), as a
# send on Go's unbuffered channel does. The child stops the consumers it left
# behind before it reports, so it always exits.
REREAD_PROGRAM = '''
import queue, threading, time

RENDEZVOUS = {rendezvous}

def consumer(ch):
    while True:
        data = ch.get()
        ch.task_done()          # "received": lets a waiting ch.join() return
        if data == 0:
            break

ch = queue.Queue()
consumers = [threading.Thread(target=consumer, args=(ch,)) for _ in range({consumers})]
for t in consumers:
    t.start()

i = 0
while i < threading.active_count() - 1:   # Go: i < runtime.NumGoroutine()-1
    ch.put(0)
    if RENDEZVOUS:
        ch.join()               # wait until a consumer has received it
    i += 1

time.sleep(0.2)                 # time for every consumer that got a 0 to end
left = sum(t.is_alive() for t in consumers)
print(i, left)
for _ in range(left):           # clean up, so that this process can exit
    ch.put(0)
'''


@dataclass
class ReRead:
    rendezvous: bool
    consumers: int
    zeros_sent: list[int] = field(default_factory=list)  # one per run
    left_running: list[int] = field(default_factory=list)  # one per run


def reread_bound(consumers: int = 10, rendezvous: bool = False, runs: int = 5,
                 timeout: float = 5.0) -> ReRead:
    """Run program B's exit loop with the bound re-read each time, ``runs``
    times in fresh child processes (the only threads there are main and the
    consumers, as the book assumes); how many consumers did it leave running?"""
    result = ReRead(rendezvous, consumers)
    code = REREAD_PROGRAM.format(rendezvous=rendezvous, consumers=consumers)
    for _ in range(runs):
        finished = run_python(code, timeout=timeout)
        if finished.hung or finished.returncode != 0:
            raise RuntimeError(f"the child did not report:\n{finished.stderr}")
        sent, left = map(int, finished.stdout.split())
        result.zeros_sent.append(sent)
        result.left_running.append(left)
    return result
