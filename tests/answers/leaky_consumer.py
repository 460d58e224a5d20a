"""Wrong answers to lesson 01, each the mistake the lesson warns about.

WRONG maps a name to (grade_id of the answer cell, cell source, the test it
must fail, words its failure message must contain). Answers the demo class
ships too are taken from it, so the two cannot drift apart.
"""

from course_tools.demo_students import (CONSUMER_NEVER_EXITS, CONSUMER_WITH_ITER,
                                           SESSION_DAEMON, SESSION_FAKED_COUNTER)

# Stops on 0, but first empties the queue "to tidy up".
CONSUMER_READS_ON = '''
def consumer(ch, out):
    while True:
        item = ch.get()
        if item == 0:
            while not ch.empty():
                ch.get_nowait()
            return
        out.append(item)
'''

SESSION_NO_WAIT = '''
def run_session(words):
    ch = queue.Queue()
    running, counts = [], []
    for word in words:
        if word == "exit":
            for _ in running:
                ch.put(0)
            running.clear()
            continue
        worker = threading.Thread(target=consumer, args=(ch, []))
        worker.start()
        running.append(worker)
        counts.append(threading.active_count())
    for _ in running:
        ch.put(0)
    return counts
'''

SESSION_SEED_EXIT_RULE = '''
def run_session(words):
    ch = queue.Queue()
    running, counts = [], []
    for word in words:
        if word == "exit":
            for _ in range(threading.active_count() - 1):
                ch.put(0)
            for worker in running:
                worker.join()
            running.clear()
            continue
        worker = threading.Thread(target=consumer, args=(ch, []))
        worker.start()
        running.append(worker)
        counts.append(threading.active_count())
    for _ in running:
        ch.put(0)
    for worker in running:
        worker.join()
    return counts
'''

ROBUST_ZERO_STOPS = '''
STOP = object()

def robust_consumer(ch, out):
    while True:
        item = ch.get()
        if item is STOP or item == 0:
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
        raise TimeoutError(", ".join(alive))
'''

ROBUST_COUNTS_ALL_THREADS = ROBUST_ZERO_STOPS.replace(
    "if item is STOP or item == 0:", "if item is STOP:").replace(
    "for _ in workers:\n        ch.put(STOP)",
    "for _ in range(threading.active_count() - 1):\n        ch.put(STOP)")

ROBUST_JOIN_FOREVER = ROBUST_ZERO_STOPS.replace(
    "if item is STOP or item == 0:", "if item is STOP:").replace(
    "worker.join(max(0.0, deadline - time.monotonic()))", "worker.join()")

ROBUST_STRING_SENTINEL = ROBUST_ZERO_STOPS.replace(
    "STOP = object()", 'STOP = "STOP"').replace(
    "if item is STOP or item == 0:", "if item == STOP:")

# The book's main loop as printed: NumGoroutine()-1 stop values, and no wait.
SESSION_LITERAL_PORT = '''
def run_session(words):
    ch = queue.Queue()
    counts = []
    for word in words:
        if word == "exit":
            for _ in range(threading.active_count() - 1):
                ch.put(0)
            continue
        threading.Thread(target=consumer, args=(ch, [])).start()
        counts.append(threading.active_count())
    return counts
'''

# Cheats: counts that look right, from consumers that never ran.
SESSION_ALWAYS_EQUAL = '''
class _Counts(list):
    __eq__ = lambda self, other: True

def run_session(words):
    return _Counts()
'''

SESSION_COUNTS_WITHOUT_CONSUMERS = '''
def run_session(words):
    base = threading.active_count()
    counts, running = [], 0
    for word in words:
        if word == "exit":
            running = 0
        else:
            running += 1
            counts.append(base + running)
    return counts
'''

WRONG = {
    "consumer never exits": ("consumer_exit", CONSUMER_NEVER_EXITS, "test_consumer_exit",
                             ["did not return after it received 0", "item = ch.get()"]),
    "consumer reads past 0": ("consumer_exit", CONSUMER_READS_ON, "test_consumer_exit",
                              ["return as soon as you receive 0"]),
    "returns before workers are gone": ("run_session", SESSION_NO_WAIT, "test_run_session",
                                        ["returned while", "join"]),
    "daemon threads, never stopped": ("run_session", SESSION_DAEMON, "test_run_session",
                                      ["returned while"]),
    "seed's NumGoroutine()-1 rule": ("run_session", SESSION_SEED_EXIT_RULE,
                                     "test_run_session", ["left", "stop value", "not threading.active_count() - 1"]),
    "faked counters": ("run_session", SESSION_FAKED_COUNTER, "test_run_session",
                       ["tampered", "threading.active_count was replaced",
                        "removed from threading._active"]),
    "the book's loop, ported literally": ("run_session", SESSION_LITERAL_PORT,
                                          "test_run_session",
                                          ["returned while", "the check's consumer"]),
    "counts that equal anything": ("run_session", SESSION_ALWAYS_EQUAL, "test_run_session",
                                   ["ran consumer 0 times", "_Counts", "a plain list"]),
    "counts computed, no consumer started": ("run_session", SESSION_COUNTS_WITHOUT_CONSUMERS,
                                             "test_run_session",
                                             ["ran consumer 0 times", "one thread per word"]),
    "0 still stops": ("robust_stop", ROBUST_ZERO_STOPS, "test_robust_stop",
                      ["0, None", "item is STOP"]),
    "one STOP per thread in the process": ("robust_stop", ROBUST_COUNTS_ALL_THREADS,
                                           "test_robust_stop", ["too many"]),
    "joins without a deadline": ("robust_stop", ROBUST_JOIN_FOREVER, "test_robust_stop",
                                 ["did not return within", "worker.join()"]),
    "string sentinel": ("robust_stop", ROBUST_STRING_SENTINEL, "test_robust_stop",
                        ["object()"]),
}

# Correct answers written differently from the reference: full marks each.
RIGHT = {
    "consumer with iter() and a sentinel": ("consumer_exit", CONSUMER_WITH_ITER),
    "consumer with the walrus": ("consumer_exit", '''
def consumer(ch, out):
    while (item := ch.get()) != 0:
        out.append(item)
'''),
    "session with daemon threads, joined": ("run_session", '''
def run_session(words):
    ch, counts, running = queue.Queue(), [], []
    def stop():
        for _ in running:
            ch.put(0)
        while running:
            running.pop().join()
    for word in words:
        if word == "exit":
            stop()
        else:
            t = threading.Thread(target=consumer, args=(ch, []), daemon=True)
            t.start()
            running.append(t)
            counts.append(threading.active_count())
    stop()
    return counts
'''),
    "session with a try/finally": ("run_session", '''
def run_session(words):
    ch = queue.Queue()
    workers = []
    counts = []
    try:
        for word in words:
            if word != "exit":
                worker = threading.Thread(target=consumer, args=(ch, []))
                worker.start()
                workers.append(worker)
                counts.append(threading.active_count())
                continue
            for worker in workers:
                ch.put(0)
            for worker in workers:
                worker.join(timeout=5)
            workers = []
    finally:
        for worker in workers:
            ch.put(0)
        for worker in workers:
            worker.join(timeout=5)
    return counts
'''),
    "session starting consumers through a helper": ("run_session", '''
def start_consumer(ch):
    worker = threading.Thread(target=consumer, args=(ch, []))
    worker.start()
    return worker

def run_session(words):
    ch, workers, counts = queue.Queue(), [], []
    for word in words + ["exit"]:
        if word == "exit":
            for _ in workers:
                ch.put(0)
            for worker in workers:
                worker.join()
            workers = []
        else:
            workers.append(start_consumer(ch))
            counts.append(threading.active_count())
    return counts
'''),
    "sentinel class, polling joins": ("robust_stop", '''
class _Stop:
    def __repr__(self):
        return "STOP"

STOP = _Stop()

def robust_consumer(ch, out):
    while True:
        item = ch.get()
        if item is STOP:
            break
        out.append(item)

def stop_consumers(ch, workers, timeout=1.0):
    for _ in range(len(workers)):
        ch.put(STOP)
    end = time.monotonic() + timeout
    while any(w.is_alive() for w in workers) and time.monotonic() < end:
        time.sleep(0.005)
    alive = [w for w in workers if w.is_alive()]
    if alive:
        raise TimeoutError("not stopped: " + ", ".join(repr(w.name) for w in alive))
'''),
}
