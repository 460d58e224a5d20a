"""Lesson 03's demonstrations: program D's forgotten Wait, run in a child
process, and the ways to wait for threads compared. Each returns what it
observed, so the notebook can show it and the tests can pin it."""

from __future__ import annotations

import concurrent.futures
import queue
import socket
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable

from ..sockets.peer import LOOPBACK
from ..threads import Baseline
from .programs import PROGRAMS, Finished, run_python

PROGRAM_D = "waitgroup_program_d.py"


# --- the course's own WaitGroup ----------------------------------------------------------

class WaitGroup:
    """Go's ``sync.WaitGroup``: a counter, and waiters released when it is zero.

    The course's own, on a Condition. Lesson 03 grades ``run_with_waitgroup``
    with it (so a broken WaitGroup costs only its own test); lesson 04, whose
    kernel has not seen yours, uses it too.
    """

    def __init__(self) -> None:
        self._count = 0
        self._zero = threading.Condition()

    @property
    def counter(self) -> int:
        """For the checks: Go's WaitGroup does not let you read it."""
        return self._count

    def add(self, delta: int = 1) -> None:
        with self._zero:
            if self._count + delta < 0:
                raise ValueError("WaitGroup counter cannot go negative")
            self._count += delta
            if self._count == 0:
                self._zero.notify_all()

    def done(self) -> None:
        self.add(-1)

    def wait(self, timeout: float | None = None) -> bool:
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)


# --- program D without wg.Wait(), in a child process ------------------------------------

def forgotten_wait(shutdown: bool = False, daemon: bool = False,
                   timeout: float = 3.0) -> Finished:
    """Run the port of program D against a local listener; kill it after ``timeout``.

    The book's program as printed is ``shutdown=False, daemon=False``. The
    listener never accepts: the kernel completes the connection all the same,
    and the reader waits for data that never comes.
    """
    with socket.create_server((LOOPBACK, 0)) as listener:
        host, port = listener.getsockname()
        switches = [name for name, on in (("shutdown", shutdown), ("daemon", daemon)) if on]
        argv = [PROGRAM_D, host, str(port), *switches]
        return run_python(f"import runpy, sys\nsys.argv = {argv!r}\n"
                          f"runpy.run_path({str(PROGRAMS / PROGRAM_D)!r}, run_name='__main__')",
                          timeout=timeout)


def describe_run(finished: Finished) -> str:
    lines = finished.stdout.splitlines() or ["(nothing)"]
    ending = ("still running: killed" if finished.hung
              else f"exited with status {finished.returncode}")
    return "\n".join([f"  printed: {line}" for line in lines] + [f"  the process: {ending}"])


# --- ways to wait for threads, compared -----------------------------------------------------

@dataclass
class Waited:
    """What one way of waiting told the waiter about its workers."""

    mechanism: str
    all_finished: bool  # the waiter learned, within the timeout, that every worker finished
    error_seen: str | None  # a worker's exception, as the waiter got it
    threads_left: int  # worker threads still running after the wait (given 0.2 s to end)


def _task(index: int, failing: bool) -> int:
    time.sleep(0.01)  # a tiny unit of work
    if failing and index == 0:
        raise RuntimeError("worker 0 failed")
    return index


def _with_join(workers: int, failing: bool, timeout: float, _: type) -> tuple[bool, None]:
    threads = [threading.Thread(target=_task, args=(i, failing)) for i in range(workers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in threads), None


def _with_waitgroup(workers: int, failing: bool, timeout: float,
                    WaitGroup: type) -> tuple[bool, None]:
    wg = WaitGroup()

    def work(index: int) -> None:
        _task(index, failing)
        wg.done()  # as in the book: not reached if the work raises

    wg.add(workers)
    for index in range(workers):
        threading.Thread(target=work, args=(index,)).start()
    return wg.wait(timeout), None


def _with_exit_queue(workers: int, failing: bool, timeout: float, _: type
                     ) -> tuple[bool, None]:
    exits: queue.Queue = queue.Queue()

    def work(index: int) -> None:
        _task(index, failing)
        exits.put(index)  # as program C does: not reached if the work raises

    for index in range(workers):
        threading.Thread(target=work, args=(index,)).start()
    deadline = time.monotonic() + timeout
    try:
        for _ in range(workers):
            exits.get(timeout=max(0.0, deadline - time.monotonic()))
    except queue.Empty:
        return False, None
    return True, None


def _with_futures(workers: int, failing: bool, timeout: float, _: type,
                  pools: list | None = None) -> tuple[bool, str | None]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    futures = [pool.submit(_task, i, failing) for i in range(workers)]
    finished, pending = concurrent.futures.wait(futures, timeout=timeout)
    errors = [repr(f.exception()) for f in futures if f in finished and f.exception()]
    if pools is not None:
        pools.append(pool)  # shut down by the caller, after counting its threads
    else:
        pool.shutdown(wait=True)
    return not pending, errors[0] if errors else None


def _with_executor_shutdown(workers: int, failing: bool, timeout: float, _: type
                            ) -> tuple[bool, str | None]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_task, i, failing) for i in range(workers)]
    # Leaving the with block called pool.shutdown(wait=True): every task ran.
    errors = [repr(f.exception()) for f in futures if f.exception()]
    return all(f.done() for f in futures), errors[0] if errors else None


def compare_waiting(WaitGroup: type, workers: int = 4, failing: bool = False,
                    timeout: float = 0.5) -> list[Waited]:
    """Start ``workers`` threads with each mechanism and wait for them.

    With ``failing``, worker 0 raises instead of finishing its work. Its
    traceback is kept from the screen (threading.excepthook) so the table
    says it all.
    """
    pools: list = []
    mechanisms: list[tuple[str, Callable]] = [
        ("Thread.join()", _with_join),
        ("WaitGroup.wait()", _with_waitgroup),
        ("exit queue: get() n times", _with_exit_queue),
        ("futures.wait(), pool not shut down",
         lambda *args: _with_futures(*args, pools=pools)),
        ("with ThreadPoolExecutor(): (shutdown)", _with_executor_shutdown),
    ]
    rows = []
    with _quiet_thread_errors():
        for name, wait_for in mechanisms:
            baseline = Baseline()
            all_finished, error = wait_for(workers, failing, timeout, WaitGroup)
            left, _ = baseline.wait_gone(0.2)
            rows.append(Waited(name, all_finished, error, len(left)))
            for pool in pools:
                pool.shutdown(wait=True)
            pools.clear()
    return rows


class _quiet_thread_errors:
    """Swallow the tracebacks of this demo's own failing workers, nothing else."""

    def __enter__(self) -> None:
        self.original = threading.excepthook

        def hook(args: threading.ExceptHookArgs) -> None:
            if not (isinstance(args.exc_value, RuntimeError)
                    and str(args.exc_value) == "worker 0 failed"):
                self.original(args)
        threading.excepthook = hook

    def __exit__(self, *exc: object) -> None:
        threading.excepthook = self.original


def show_waiting(rows: list[Waited]) -> None:
    print(f"{'mechanism':39} {'all finished?':14} {'error seen by the waiter':32} "
          "threads left")
    for row in rows:
        print(f"{row.mechanism:39} {str(row.all_finished):14} {str(row.error_seen):32} "
              f"{row.threads_left}")
