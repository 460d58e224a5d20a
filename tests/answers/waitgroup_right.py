"""Lesson 03's answers, right but written differently from the reference:
each must keep every point, in the kernel, before the judge and end to end."""

# A WaitGroup, with how it makes its Condition and its counter's floor left open.
CLASS_USING = """
class WaitGroup:
    def __init__(self):
        self._count = 0
        self._zero = {make}

    def add(self, delta=1):
        with self._zero:
            if self._count + delta < {floor}:
                raise ValueError("negative WaitGroup counter")
            self._count += delta
            if self._count == 0:
                self._zero.notify_all()

    def done(self):
        self.add(-1)

    def wait(self, timeout=None):
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)
"""

# Right, written differently: the modules and values the class uses are
# imported under other names.
WAITGROUP_IMPORTS = ("from threading import Condition\nimport threading as th\nFLOOR = 0\n"
                     + CLASS_USING.format(make="Condition(th.Lock())", floor="FLOOR"))

# Right, written differently: the connection is closed by a `with` block.
RUN_WITH_BLOCK = """
def socket_recv(conn, wg):
    try:
        while conn.recv(1024):
            pass
    except OSError:
        pass
    finally:
        wg.done()

def run_with_waitgroup(address, linger=0.2, timeout=1.0):
    wg = WaitGroup()
    with socket.create_connection(address) as conn:
        wg.add(1)
        reader = threading.Thread(target=socket_recv, args=(conn, wg), daemon=True)
        reader.start()
        time.sleep(linger)
        conn.shutdown(socket.SHUT_RDWR)
    if not wg.wait(timeout=timeout):
        raise TimeoutError("the reader is still running")
    reader.join(timeout)
"""


RIGHT = {  # name -> (answer cell, source)
    "WaitGroup on wait_for, modules imported under other names": ("waitgroup",
                                                                  WAITGROUP_IMPORTS),
    "run_with_waitgroup closing by a with block": ("run_with_waitgroup", RUN_WITH_BLOCK),
}
