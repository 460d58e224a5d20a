"""One batch at a time per class: a second one is refused, not run beside it.

Two batches grading the same class at once would grade the same submissions
twice and rewrite each other's ledger and exports. Where the lock lives
follows where the grades live, so it holds wherever the batches run:

* a PostgreSQL gradebook (graders on several machines): a session-level
  advisory lock on the gradebook's own server, held by one connection for
  the whole batch. The server drops it when that connection ends, so a
  batch that is killed leaves no stale lock behind;
* an SQLite gradebook (one machine): ``flock`` on ``exports/batch.lock``,
  which the kernel likewise releases when the process ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = "batch.lock"


class ClassBusy(SystemExit):
    """Another batch holds the class's lock."""


def lock_key(course_id: str) -> int:
    """A signed 64-bit key for pg_advisory_lock, the same on every machine."""
    digest = hashlib.sha256(f"goroutine-leaks-batch:{course_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def only_batch(db_url: str, course_id: str, exports: Path) -> Iterator[None]:
    """Hold the class's lock while the block runs; ``ClassBusy`` if it is taken."""
    if db_url.startswith("postgresql"):
        with _advisory_lock(db_url, course_id):
            yield
    else:
        with _file_lock(exports / LOCK_NAME):
            yield


@contextlib.contextmanager
def _advisory_lock(db_url: str, course_id: str) -> Iterator[None]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(db_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            got = connection.execute(sqlalchemy.text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": lock_key(course_id)}).scalar()
            if not got:
                raise ClassBusy(
                    f"another batch is grading course {course_id!r} in this gradebook "
                    "(it holds the class's lock on the PostgreSQL server): wait for it to "
                    "end, or stop it, then run this again; nothing was graded")
            yield  # the lock ends with the connection, however the batch ends
    finally:
        engine.dispose()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(handle, 64, 0).decode(errors="replace").strip() or "unknown"
            raise ClassBusy(
                f"another batch (process {holder}) is grading this course ({path} is "
                "locked): wait for it to end, or stop it, then run this again; "
                "nothing was graded") from None
        os.ftruncate(handle, 0)
        os.pwrite(handle, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(handle)  # releases the lock
