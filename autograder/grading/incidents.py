"""Incidents: what went wrong while grading a notebook, kept in the notebook.

Each preprocessor that meets a timeout, a crash or tampering records it in
``notebook.metadata["autograder"]["incidents"]`` as
``{"kind": ..., "cell": grade_id or None, "detail": ...}``, so the batch
report can list the submissions that need a look.
"""

from __future__ import annotations

from nbformat import NotebookNode

# "limit": the watchdog stopped a sandbox over its memory, tasks or disk.
KINDS = ("timeout", "crash", "memory", "limit", "output", "tampered", "not-run", "recheck")


def record(notebook: NotebookNode, kind: str, detail: str, cell: str | None = None) -> None:
    assert kind in KINDS, kind
    meta = notebook.metadata.setdefault("autograder", {})
    meta.setdefault("incidents", []).append({"kind": kind, "cell": cell, "detail": detail})


def incidents(notebook: NotebookNode) -> list[dict]:
    return list(notebook.metadata.get("autograder", {}).get("incidents", []))
