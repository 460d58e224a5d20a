"""nbgrader's API and gradebook, loaded the way nbgrader's own commands load them.

Shared by the batch grader and the report, so neither imports the other.
"""

from __future__ import annotations

import os
from pathlib import Path

from .nbgrader_cli import tool_env

EXPORTS = "exports"
LEDGER_NAME = "batch-ledger.json"
SQLITE_BUSY_TIMEOUT = 120  # seconds a connection waits for a lock before failing
_LOCKED = ("database is locked", "database table is locked")


def tool_path() -> None:
    """nbgrader runs helper programs (alembic) by name: put ours first on PATH."""
    os.environ["PATH"] = tool_env()["PATH"]


def with_busy_timeout(db_url: str, seconds: float = SQLITE_BUSY_TIMEOUT) -> str:
    """An SQLite db_url whose connections wait for locks instead of failing."""
    if not db_url.startswith("sqlite") or "timeout=" in db_url:
        return db_url
    return f"{db_url}{'&' if '?' in db_url else '?'}timeout={seconds:g}"


def load_api(course: Path, stay: bool = False):
    """nbgrader's API with the configuration nbgrader's own commands would use.

    Like ``nbgrader autograde`` run in the course directory, it reads
    ``nbgrader_config.py`` from there. ``stay`` leaves the process in the
    course directory (the workers); otherwise the working directory is restored.
    """
    tool_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader

    here = os.getcwd()
    os.chdir(course)
    try:
        app = NbGrader()
        app.log_level = "WARN"
        app.initialize([], root=str(course))
    finally:
        if not stay:
            os.chdir(here)
    api = NbGraderAPI(coursedir=app.coursedir, parent=app)
    api.log.setLevel("WARN")
    api.coursedir.db_url = with_busy_timeout(api.coursedir.db_url)
    return api


def gradebook(api):
    from nbgrader.api import Gradebook
    return Gradebook(api.coursedir.db_url, api.coursedir.course_id)


def is_lock_error(text: str | None) -> bool:
    return bool(text) and any(marker in text for marker in _LOCKED)
