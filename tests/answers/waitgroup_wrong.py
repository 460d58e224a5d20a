"""Wrong answers to lesson 03, each the mistake the lesson or its check warns about.

WRONG maps a name to (grade_id of the answer cell, cell source, the test it
must fail, words its failure message must contain, whether only the hidden
tests catch it). The reference answers come from the source notebook.
"""

GOOD_WAITGROUP = '''
class WaitGroup:
    def __init__(self):
        self._count = 0
        self._zero = threading.Condition()

    def add(self, delta=1):
        with self._zero:
            count = self._count + delta
            if count < 0:
                raise ValueError("negative WaitGroup counter")
            self._count = count
            if count == 0:
                self._zero.notify_all()

    def done(self):
        self.add(-1)

    def wait(self, timeout=None):
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)
'''


def _mutant(old: str, new: str) -> str:
    assert old in GOOD_WAITGROUP, old
    return GOOD_WAITGROUP.replace(old, new)


NEGATIVE_ALLOWED = _mutant('''            if count < 0:
                raise ValueError("negative WaitGroup counter")
''', "")

# Reads and checks the counter before taking the lock: two threads can read the
# same value, and one write is lost.
READS_OUTSIDE_THE_LOCK = _mutant('''        with self._zero:
            count = self._count + delta
            if count < 0:
                raise ValueError("negative WaitGroup counter")
            self._count = count''', '''        count = self._count + delta
        if count < 0:
            raise ValueError("negative WaitGroup counter")
        with self._zero:
            self._count = count''')

# No lock at all: CPython 3.11 rarely switches threads inside `+=`, so only
# the check's switch-at-every-step tracing finds this one.
NO_LOCK = _mutant('''        with self._zero:
            count = self._count + delta
            if count < 0:
                raise ValueError("negative WaitGroup counter")
            self._count = count
            if count == 0:
                self._zero.notify_all()''', '''        if self._count + delta < 0:
            raise ValueError("negative WaitGroup counter")
        self._count += delta
        if self._count == 0:
            with self._zero:
                self._zero.notify_all()''')

WAIT_FOR_ZERO = "            return self._zero.wait_for(lambda: self._count == 0, timeout)"

WAIT_NEVER_GIVES_UP = _mutant(WAIT_FOR_ZERO, '''            while self._count != 0:
                self._zero.wait(timeout)
            return True''')

NOTIFY_ONE = _mutant("self._zero.notify_all()", "self._zero.notify()")

# Sleeps until notified even when there is nothing to wait for.
WAITS_FOR_A_NOTIFY = _mutant(WAIT_FOR_ZERO, "            return self._zero.wait(timeout)")

# Wakes waiters on every change; a waiter returns on the first wake-up.
RETURNS_ON_ANY_WAKE_UP = _mutant('''            if count == 0:
                self._zero.notify_all()''', '''            self._zero.notify_all()''').replace(
    WAIT_FOR_ZERO, '''            if self._count != 0:
                self._zero.wait(timeout)
            return self._count == 0''')

READER = '''
def socket_recv(conn, wg):
    while True:
        try:
            data = conn.recv(1024)
        except OSError:
            break
        if not data:
            break
    wg.done()
'''

GOOD_RUN = READER + '''
def run_with_waitgroup(address, linger=0.2, timeout=1.0):
    conn = socket.create_connection(address)
    wg = WaitGroup()
    wg.add(1)
    reader = threading.Thread(target=socket_recv, args=(conn, wg))
    reader.start()
    time.sleep(linger)
    conn.shutdown(socket.SHUT_RDWR)
    conn.close()
    if not wg.wait(timeout):
        raise TimeoutError(f"the reader did not finish within {timeout} s")
    reader.join()
'''


def _run_mutant(old: str, new: str) -> str:
    assert old in GOOD_RUN, old
    return GOOD_RUN.replace(old, new)


WAIT_THEN_JOIN = '''    if not wg.wait(timeout):
        raise TimeoutError(f"the reader did not finish within {timeout} s")
    reader.join()
'''

# The book's program D: never waits.
RUN_NO_WAIT = _run_mutant(WAIT_THEN_JOIN, "")

# Waits for done(), not for the thread: returns while the reader still runs.
RUN_WAIT_NO_JOIN = _run_mutant("    reader.join()\n", "")

# The straight port of conn.Close(): the reader never wakes.
RUN_CLOSE_ONLY = _run_mutant("    conn.shutdown(socket.SHUT_RDWR)\n", "")

RUN_WAITS_FOREVER = _run_mutant(WAIT_THEN_JOIN, "    wg.wait()\n    reader.join()\n")

RUN_IGNORES_THE_TIMEOUT = _run_mutant(WAIT_THEN_JOIN,
                                      "    wg.wait(timeout)\n    reader.join(timeout)\n")
# wait(timeout) hands the waiting to a thread of its own and waits for its word
# with the timeout: when the timeout runs out, that thread is left waiting.
WAITS_IN_A_THREAD = _mutant('''    def wait(self, timeout=None):
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)
''', '''    def wait(self, timeout=None):
        zero = threading.Event()

        def wait_for_zero():
            with self._zero:
                self._zero.wait_for(lambda: self._count == 0)
            zero.set()

        threading.Thread(target=wait_for_zero, daemon=True).start()
        return zero.wait(timeout)
''')

WRONG = {
    "negative counter allowed": ("waitgroup", NEGATIVE_ALLOWED, "test_waitgroup",
                                 ["without complaint", "ValueError"], False),
    "counter read outside the lock": ("waitgroup", READS_OUTSIDE_THE_LOCK, "test_waitgroup",
                                      ["update was lost", "holding the Condition's lock"],
                                      False),
    "no lock around the counter": ("waitgroup", NO_LOCK, "test_waitgroup",
                                   ["update was lost"], False),
    "wait(timeout) never gives up": ("waitgroup", WAIT_NEVER_GIVES_UP, "test_waitgroup",
                                     ["did not return within", "must give up and return False"],
                                     False),
    "notify instead of notify_all": ("waitgroup", NOTIFY_ONE, "test_waitgroup",
                                     ["still waiting", "notify_all()"], False),
    "wait(timeout) waits in a thread it leaves": ("waitgroup", WAITS_IN_A_THREAD,
                                                  "test_waitgroup",
                                                  ["left 1 thread it started still waiting",
                                                   "wait_for_zero", "a leak"], False),
    "wait sleeps even at zero": ("waitgroup", WAITS_FOR_A_NOTIFY, "test_waitgroup",
                                 ["return True at once"], False),
    "wait returns on any wake-up": ("waitgroup", RETURNS_ON_ANY_WAKE_UP, "test_waitgroup",
                                    ["keep waiting until the counter is 0"], True),
    "no wait (the book's bug)": ("run_with_waitgroup", RUN_NO_WAIT, "test_run_with_waitgroup",
                                 ["returned before its reader was done", "wg.wait(timeout)"],
                                 False),
    "wait() without join()": ("run_with_waitgroup", RUN_WAIT_NO_JOIN,
                              "test_run_with_waitgroup",
                              ["reader thread was still running", "not once its thread has "
                               "ended", "join() it after wg.wait()"], False),
    "close() only": ("run_with_waitgroup", RUN_CLOSE_ONLY, "test_run_with_waitgroup",
                     ["raised TimeoutError", "never finished", "shutdown(socket.SHUT_RDWR)"],
                     False),
    "waits without a timeout": ("run_with_waitgroup", RUN_WAITS_FOREVER,
                                "test_run_with_waitgroup",
                                ["did not return within", "wg.wait()"], False),
    "ignores wait's result": ("run_with_waitgroup", RUN_IGNORES_THE_TIMEOUT,
                              "test_run_with_waitgroup", ["returned normally", "TimeoutError"],
                              False),
}
