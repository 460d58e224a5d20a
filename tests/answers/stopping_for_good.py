"""Answers to lesson 05, right and wrong, as the source of an answer cell.

WRONG maps a mistake to (grade_id, the cell's source, words its failure
message must contain); RIGHT maps a right answer written differently to
(grade_id, source). Each source defines the whole answer: Closed and
ClosableQueue, or call_with_timeout.
"""

_QUEUE_HEAD = '''
import collections
import threading


class Closed(Exception):
    pass

'''

# The reference, with one method changed by each mistake below.
_METHODS = {
    "init": '''
    def __init__(self):
        self._items = collections.deque()
        self._closed = False
        self._changed = threading.Condition()
''',
    "put": '''
    def put(self, item):
        with self._changed:
            if self._closed:
                raise Closed("put() on a closed queue")
            self._items.append(item)
            self._changed.notify()
''',
    "get": '''
    def get(self):
        with self._changed:
            while not self._items and not self._closed:
                self._changed.wait()
            if self._items:
                return self._items.popleft()
            raise Closed("get() on a closed, drained queue")
''',
    "close": '''
    def close(self):
        with self._changed:
            if self._closed:
                raise Closed("close() of a closed queue")
            self._closed = True
            self._changed.notify_all()
''',
    "iter": '''
    def __iter__(self):
        while True:
            try:
                yield self.get()
            except Closed:
                return
''',
}


def one_line_changed(method: str, old: str, new: str) -> str:
    """The reference's ``method`` with one line changed (which must be there)."""
    assert old in _METHODS[method], (method, old)
    return _METHODS[method].replace(old, new)


def closable_queue(**changed: str) -> str:
    """The reference ClosableQueue with some methods replaced."""
    methods = {**_METHODS, **changed}
    return _QUEUE_HEAD + "class ClosableQueue:\n" + "".join(methods.values())


NOTIFY_ONE = closable_queue(close=one_line_changed(
    "close", "notify_all()", "notify()"))

# get() looks at the closed flag outside the lock, then waits: a close() that
# comes in between is missed, and the get() waits for ever.
FLAG_READ_WITHOUT_LOCK = closable_queue(get='''
    def get(self):
        while True:
            with self._changed:
                if self._items:
                    return self._items.popleft()
            if self._closed:
                raise Closed("get() on a closed, drained queue")
            with self._changed:
                self._changed.wait()
''')

# put() looks at the flag outside the lock: an item can slip in after close().
PUT_FLAG_WITHOUT_LOCK = closable_queue(put='''
    def put(self, item):
        if self._closed:
            raise Closed("put() on a closed queue")
        with self._changed:
            self._items.append(item)
            self._changed.notify()
''')

# close() checks and sets the flag outside the lock: two closes can both pass.
CLOSE_FLAG_WITHOUT_LOCK = closable_queue(close='''
    def close(self):
        if self._closed:
            raise Closed("close() of a closed queue")
        self._closed = True
        with self._changed:
            self._changed.notify_all()
''')

RAISES_BEFORE_DRAINED = closable_queue(get='''
    def get(self):
        with self._changed:
            while not self._items and not self._closed:
                self._changed.wait()
            if self._closed:
                raise Closed("get() on a closed queue")
            return self._items.popleft()
''')

POLLS = closable_queue(get=one_line_changed(
    "get", "self._changed.wait()", "self._changed.wait(0.05)"))

BUSY_WAITS = closable_queue(get='''
    def get(self):
        while True:
            with self._changed:
                if self._items:
                    return self._items.popleft()
                if self._closed:
                    raise Closed("get() on a closed, drained queue")
''')

# The book's fix dressed up as close(): a None per thread, and None means closed.
SENTINELS_AS_CLOSE = _QUEUE_HEAD + '''
import queue


class ClosableQueue:
    def __init__(self):
        self._queue = queue.Queue()
        self._closed = False

    def put(self, item):
        if self._closed:
            raise Closed("put() on a closed queue")
        self._queue.put(item)

    def get(self):
        item = self._queue.get()
        if item is None:
            raise Closed("closed")
        return item

    def close(self):
        if self._closed:
            raise Closed("closed twice")
        self._closed = True
        for _ in range(threading.active_count()):
            self._queue.put(None)

    def __iter__(self):
        while True:
            try:
                yield self.get()
            except Closed:
                return
'''

LIFO = closable_queue(get=one_line_changed("get", "popleft()", "pop()"))

PUT_AFTER_CLOSE_ACCEPTED = closable_queue(put='''
    def put(self, item):
        with self._changed:
            self._items.append(item)
            self._changed.notify()
''')

CLOSE_TWICE_ACCEPTED = closable_queue(close='''
    def close(self):
        with self._changed:
            self._closed = True
            self._changed.notify_all()
''')

ITERATION_RAISES = closable_queue(iter='''
    def __iter__(self):
        while True:
            yield self.get()
''')

# `if` where `while` belongs: a get() woken after another consumer took the
# item finds the queue empty, and says Closed although nobody closed it.
IF_INSTEAD_OF_WHILE = closable_queue(get=one_line_changed(
    "get", "while not self._items and not self._closed:",
    "if not self._items and not self._closed:"))

# Iteration that takes a None item for the end of the queue.
ITERATION_STOPS_AT_NONE = closable_queue(iter='''
    def __iter__(self):
        def get_or_none():
            try:
                return self.get()
            except Closed:
                return None
        return iter(get_or_none, None)
''')

# --- right answers written differently -------------------------------------------

# One end marker that every get() puts back for the next: close() is one put.
MARKER_PASSED_ON = _QUEUE_HEAD + '''
import queue

_END = object()


class ClosableQueue:
    def __init__(self):
        self._queue = queue.Queue()
        self._lock = threading.Lock()
        self._closed = False

    def put(self, item):
        with self._lock:
            if self._closed:
                raise Closed("put() on a closed queue")
            self._queue.put(item)

    def get(self):
        item = self._queue.get()
        if item is _END:
            self._queue.put(_END)  # wake the next getter, and leave it for later ones
            raise Closed("closed and drained")
        return item

    def close(self):
        with self._lock:
            if self._closed:
                raise Closed("closed twice")
            self._closed = True
            self._queue.put(_END)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.get()
        except Closed:
            raise StopIteration from None
'''

# Lock and Condition made separately; close() wakes one, and each woken get()
# wakes the next before it raises.
CHAINED_WAKEUPS = _QUEUE_HEAD + '''
class ClosableQueue:
    def __init__(self):
        self.lock = threading.Lock()
        self.not_empty = threading.Condition(self.lock)
        self.items = []
        self.is_closed = False

    def put(self, item):
        with self.lock:
            if self.is_closed:
                raise Closed()
            self.items.append(item)
            self.not_empty.notify()

    def get(self):
        with self.not_empty:
            self.not_empty.wait_for(lambda: self.items or self.is_closed)
            if self.items:
                return self.items.pop(0)
            self.not_empty.notify()
            raise Closed()

    def close(self):
        with self.lock:
            if self.is_closed:
                raise Closed()
            self.is_closed = True
            self.not_empty.notify()

    def __iter__(self):
        try:
            while True:
                yield self.get()
        except Closed:
            pass
'''

# --- call_with_timeout ----------------------------------------------------------

FUTURE_RESULT_ALONE = '''
import concurrent.futures
import threading


def call_with_timeout(work, timeout):
    cancelled = threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(work, cancelled)
    try:
        return future.result(timeout)
    finally:
        pool.shutdown(wait=False)
'''

# The pool's exit waits for its worker, which nobody told to stop.
FUTURE_IN_A_WITH_BLOCK = '''
import concurrent.futures
import threading


def call_with_timeout(work, timeout):
    cancelled = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, cancelled).result(timeout)
'''

JOIN_WITHOUT_CANCEL = '''
import threading


def call_with_timeout(work, timeout):
    cancelled = threading.Event()
    outcome = {}

    def run():
        try:
            outcome["result"] = work(cancelled)
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError("too slow")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
'''

# The reference's way (a dict, join, cancel, join), which the mistakes below change.
_JOIN_CANCEL_JOIN = JOIN_WITHOUT_CANCEL.replace(
    '''        raise TimeoutError("too slow")''',
    '''        cancelled.set()
        worker.join(timeout)
        raise TimeoutError("too slow")''')

DAEMON_THREAD = JOIN_WITHOUT_CANCEL.replace("threading.Thread(target=run)",
                                            "threading.Thread(target=run, daemon=True)")

CANCEL_WITHOUT_WAITING = JOIN_WITHOUT_CANCEL.replace(
    '''        raise TimeoutError("too slow")''',
    '''        cancelled.set()
        raise TimeoutError("too slow")''')

WAITS_FOR_EVER = JOIN_WITHOUT_CANCEL.replace(
    '''        raise TimeoutError("too slow")''',
    '''        cancelled.set()
        worker.join()
        raise TimeoutError("too slow")''')

SWALLOWS_ERRORS = _JOIN_CANCEL_JOIN.replace(
    '''    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]''', '''    return outcome.get("result")''')

# Waits the whole timeout even when the work is done at once.
SLEEPS_THE_TIMEOUT = _JOIN_CANCEL_JOIN.replace("import threading\n", "import threading\nimport time\n").replace(
    "    worker.join(timeout)\n    if worker.is_alive():", "    time.sleep(timeout)\n    if worker.is_alive():")

# One Event for every call, cleared as each starts: one call's timeout sets it
# for the work of all the others.
SHARED_EVENT = _JOIN_CANCEL_JOIN.replace(
    "def call_with_timeout(work, timeout):\n    cancelled = threading.Event()\n",
    "cancelled = threading.Event()\n\n\ndef call_with_timeout(work, timeout):\n"
    "    cancelled.clear()\n")

# Waits twice the timeout more for a worker told to stop: 3 x timeout in all.
WAITS_TOO_LONG_AFTER_CANCELLING = _JOIN_CANCEL_JOIN.replace(
    "        worker.join(timeout)\n        raise", "        worker.join(2 * timeout)\n        raise")

# A result queue, and one deadline for both waits.
RESULT_QUEUE = '''
import queue
import threading
import time


def call_with_timeout(work, timeout):
    cancelled = threading.Event()
    results = queue.Queue(maxsize=1)

    def run():
        try:
            results.put((True, work(cancelled)))
        except Exception as error:
            results.put((False, error))

    worker = threading.Thread(target=run, name="worker")
    worker.start()
    try:
        ok, value = results.get(timeout=timeout)
    except queue.Empty:
        cancelled.set()
        worker.join(timeout)
        raise TimeoutError(f"gave up after {timeout} s") from None
    worker.join()
    if ok:
        return value
    raise value
'''

# concurrent.futures, cancelled and shut down properly.
EXECUTOR_CANCELLED = '''
import concurrent.futures
import threading


def call_with_timeout(work, timeout):
    cancelled = threading.Event()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(work, cancelled)
    done, _ = concurrent.futures.wait([future], timeout)
    if not done:
        cancelled.set()
        done, _ = concurrent.futures.wait([future], timeout)
        pool.shutdown(wait=bool(done))
        raise TimeoutError("work cancelled")
    pool.shutdown(wait=True)
    return future.result()
'''

# A Thread subclass that keeps its own result.
THREAD_SUBCLASS = '''
import threading


class _Call(threading.Thread):
    def __init__(self, work):
        super().__init__(daemon=False)
        self.work, self.cancelled = work, threading.Event()
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.work(self.cancelled)
        except Exception as error:
            self.error = error


def call_with_timeout(work, timeout):
    call = _Call(work)
    call.start()
    call.join(timeout)
    if call.is_alive():
        call.cancelled.set()
        call.join(timeout)
        raise TimeoutError()
    if call.error is not None:
        raise call.error
    return call.result
'''

WRONG = {
    "notify instead of notify_all": ("closable_queue", NOTIFY_ONE,
                                     ["only 1 of them woke up", "notify_all"]),
    "get reads the flag without the lock": ("closable_queue", FLAG_READ_WITHOUT_LOCK,
                                            ["never finished", "same lock"]),
    "put reads the flag without the lock": ("closable_queue", PUT_FLAG_WITHOUT_LOCK,
                                            ["the item is lost", "same lock"]),
    "close reads the flag without the lock": ("closable_queue", CLOSE_FLAG_WITHOUT_LOCK,
                                              ["neither raised Closed", "under the lock"]),
    "get raises before the queue is drained": ("closable_queue", RAISES_BEFORE_DRAINED,
                                               ["'first' and 'second'", "closed and empty"]),
    "get polls with a timeout": ("closable_queue", POLLS, ["woke up", "polls"]),
    "get busy-waits": ("closable_queue", BUSY_WAITS, ["busy-waits"]),
    "a None per thread, disguised as close": ("closable_queue", SENTINELS_AS_CLOSE,
                                              ["None, 0 and \"\" are data"]),
    "last in, first out": ("closable_queue", LIFO, ["first in, first out"]),
    "put after close accepted": ("closable_queue", PUT_AFTER_CLOSE_ACCEPTED,
                                 ["send on a closed channel panics"]),
    "close twice accepted": ("closable_queue", CLOSE_TWICE_ACCEPTED,
                             ["closing a closed channel panics"]),
    "iteration raises Closed": ("closable_queue", ITERATION_RAISES, ["range"]),
    "if instead of while": ("closable_queue", IF_INSTEAD_OF_WHILE,
                            ["on an open queue", "while"]),
    "iteration stops at a None item": ("closable_queue", ITERATION_STOPS_AT_NONE,
                                       ["None, 0 and \"\" are data"]),
    "future.result(timeout) alone": ("call_with_timeout", FUTURE_RESULT_ALONE,
                                     ["'ThreadPoolExecutor-", "shutdown(wait=True)"]),
    "future.result(timeout) in a with block": ("call_with_timeout", FUTURE_IN_A_WITH_BLOCK,
                                               ["did not return", "cancelled was never set"]),
    "join(timeout) without cancelling": ("call_with_timeout", JOIN_WITHOUT_CANCEL,
                                         ["cancelled was never set", "runs on"]),
    "a daemon thread": ("call_with_timeout", DAEMON_THREAD,
                        ["daemon thread does not stop it"]),
    "cancelling without waiting": ("call_with_timeout", CANCEL_WITHOUT_WAITING,
                                   ["cleaning up", "wait for the worker"]),
    "waiting for ever after cancelling": ("call_with_timeout", WAITS_FOR_EVER,
                                          ["ignores cancelled", "did not return"]),
    "errors swallowed": ("call_with_timeout", SWALLOWS_ERRORS,
                         ["WorkFailed", "same exception"]),
    "sleeps the whole timeout": ("call_with_timeout", SLEEPS_THE_TIMEOUT,
                                 ["as soon as it is done"]),
    "one Event shared by every call": ("call_with_timeout", SHARED_EVENT,
                                       ["new threading.Event in each call"]),
    "waits 2 x timeout after cancelling": ("call_with_timeout",
                                           WAITS_TOO_LONG_AFTER_CANCELLING,
                                           ["within 2 × timeout"]),
}

RIGHT = {
    "an end marker passed on": ("closable_queue", MARKER_PASSED_ON),
    "chained wake-ups": ("closable_queue", CHAINED_WAKEUPS),
    "a result queue": ("call_with_timeout", RESULT_QUEUE),
    "an executor, cancelled": ("call_with_timeout", EXECUTOR_CANCELLED),
    "a Thread subclass": ("call_with_timeout", THREAD_SUBCLASS),
}
