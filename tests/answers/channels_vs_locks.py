"""Wrong answers to lesson 04, each a mistake a learner makes.

Each source redefines one of the three functions; it is appended to the
reference answer cell, so the other two stay right. WRONG maps a name to
(grade_id of the answer cell, that source, the test it must fail, words its
failure message must contain).

PROVIDED is what the notebook's read-only cell gives every answer.
"""

PROVIDED = "from autograder.lessons.channels_vs_locks import WaitGroup, tiny_work\n"

# Receives every index, but returns while the workers are still winding down.
QUEUE_NO_JOIN = '''
def signal_done_queue(n):
    finished = queue.Queue()

    def worker(index):
        tiny_work(index)
        finished.put(index)

    for i in range(n):
        threading.Thread(target=worker, args=(i,)).start()
    return [finished.get() for _ in range(n)]
'''

# Off by one: one completion is never received.
QUEUE_LOSES_ONE = '''
def signal_done_queue(n):
    finished = queue.Queue()

    def worker(index):
        tiny_work(index)
        finished.put(index)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    order = [finished.get() for _ in range(n - 1)]
    for thread in workers:
        thread.join()
    return order
'''

# The right shape of result, and joins, but no queue at all.
QUEUE_NOT_USED = '''
def signal_done_queue(n):
    workers = [threading.Thread(target=tiny_work, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return list(range(n))
'''

# Waits for one completion too many, far past the check's deadline. (The long
# timeout lets the stuck call end by itself later, so it leaves nothing behind
# in the test process.)
QUEUE_ONE_TOO_MANY = QUEUE_LOSES_ONE.replace(
    "[finished.get() for _ in range(n - 1)]", "[finished.get(timeout=5) for _ in range(n + 1)]")

# No threads: the work is done inline and the answer looks right.
JOIN_NO_THREADS = '''
def signal_done_join(n):
    for i in range(n):
        tiny_work(i)
    return list(range(n))
'''

# Each worker reports, and so does the join: every index twice.
JOIN_DUPLICATES = '''
def signal_done_join(n):
    order = []

    def worker(index):
        tiny_work(index)
        order.append(index)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    for index, thread in enumerate(workers):
        thread.join()
        order.append(index)
    return order
'''

# Polls is_alive() instead of joining.
JOIN_POLLS = '''
def signal_done_join(n):
    workers = [threading.Thread(target=tiny_work, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    order = []
    while len(order) < n:
        for index, thread in enumerate(workers):
            if index not in order and not thread.is_alive():
                order.append(index)
        time.sleep(0.001)
    return order
'''

# Trusts wg.wait() to mean the threads have ended.
WAITGROUP_NO_JOIN = '''
def signal_done_waitgroup(n):
    wg = WaitGroup()
    order = []

    def worker(index):
        tiny_work(index)
        order.append(index)
        wg.done()

    wg.add(n)
    for i in range(n):
        threading.Thread(target=worker, args=(i,)).start()
    wg.wait()
    return order
'''

# Joins and never touches the WaitGroup.
WAITGROUP_NOT_USED = '''
def signal_done_waitgroup(n):
    order = []
    workers = [threading.Thread(target=lambda i=i: order.append(i)) for i in range(n)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return order
'''

# Workers call done(), but the caller joins instead of waiting on it.
WAITGROUP_NEVER_WAITS = '''
def signal_done_waitgroup(n):
    wg = WaitGroup()
    order = []

    def worker(index):
        tiny_work(index)
        order.append(index)
        wg.done()

    wg.add(n)
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return order
'''

# Calls done() twice per worker: the WaitGroup's counter would go negative.
WAITGROUP_DONE_TWICE = '''
def signal_done_waitgroup(n):
    wg = WaitGroup()
    order = []

    def worker(index):
        tiny_work(index)
        order.append(index)
        wg.done()
        wg.done()

    wg.add(n)
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    wg.wait()
    for thread in workers:
        thread.join()
    return order
'''

# Right, written differently (each replaces one function of the reference).
JOIN_IN_REVERSE = """
def signal_done_join(n):
    workers = [threading.Thread(target=tiny_work, args=(i,)) for i in range(n)]
    for thread in workers:
        thread.start()
    order = []
    for index in reversed(range(n)):
        workers[index].join()
        order.append(index)
    return order
"""

WAITGROUP_DONE_IN_FINALLY = """
def signal_done_waitgroup(n):
    wg, order, lock = WaitGroup(), [], threading.Lock()
    def worker(index):
        try:
            tiny_work(index)
            with lock:
                order.append(index)
        finally:
            wg.done()
    wg.add(n)
    workers = []
    for i in range(n):
        workers.append(threading.Thread(target=worker, args=(i,), daemon=True))
        workers[-1].start()
    wg.wait()
    for thread in workers:
        thread.join()
    return list(order)
"""

RIGHT = {  # name -> (answer cell, source appended to the reference)
    "join in reverse order": ("signal_done", JOIN_IN_REVERSE),
    "done() in a finally": ("signal_done", WAITGROUP_DONE_IN_FINALLY),
}

TEST = "test_signal_done"
WRONG = {
    "queue, no join": ("signal_done", QUEUE_NO_JOIN, TEST,
                       ["signal_done_queue(1) returned while 1 worker thread was still running",
                        "after you have received all n, join every worker"]),
    "queue, loses one": ("signal_done", QUEUE_LOSES_ONE, TEST,
                         ["signal_done_queue(1) returned []", "never arrived"]),
    "queue, not used": ("signal_done", QUEUE_NOT_USED, TEST,
                        ["through a queue", "put 0 items"]),
    "queue, one too many": ("signal_done", QUEUE_ONE_TOO_MANY, TEST,
                            ["signal_done_queue(1) did not return within",
                             "finished.get(timeout=5)"]),
    "join, no threads": ("signal_done", JOIN_NO_THREADS, TEST,
                         ["signal_done_join(1) started no thread"]),
    "join, duplicates": ("signal_done", JOIN_DUPLICATES, TEST,
                         ["signal_done_join(1) returned [0, 0]", "more than once"]),
    "join, polls": ("signal_done", JOIN_POLLS, TEST,
                    ["with join()", "did not join 1 worker"]),
    "waitgroup, no join": ("signal_done", WAITGROUP_NO_JOIN, TEST,
                           ["signal_done_waitgroup(1) returned while",
                            "wg.wait() returns once every worker has called done()"]),
    "waitgroup, not used": ("signal_done", WAITGROUP_NOT_USED, TEST,
                            ["called WaitGroup.done() 0 times"]),
    "waitgroup, never waits": ("signal_done", WAITGROUP_NEVER_WAITS, TEST,
                               ["never called wait() on the WaitGroup"]),
    "waitgroup, done twice": ("signal_done", WAITGROUP_DONE_TWICE, TEST,
                              ["raised ValueError", "cannot go negative"]),
}
