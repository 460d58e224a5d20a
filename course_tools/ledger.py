"""What the batch grades and what it has finished: the submissions found in
``submitted/``, a fingerprint of each, and the ledger of finished ones.

The ledger (``exports/batch-ledger.json``) lets an interrupted batch go on
where it stopped: it is rewritten atomically after each finished submission,
and an entry counts only while the submission's files are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Job:
    student: str
    assignment: str

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"


def find_submissions(course: Path, assignments: list[str] | None = None) -> list[Job]:
    submitted = course / "submitted"
    jobs = []
    if not submitted.is_dir():
        return jobs
    for student in sorted(p for p in submitted.iterdir() if p.is_dir()):
        for folder in sorted(p for p in student.iterdir() if p.is_dir()):
            if assignments and folder.name not in assignments:
                continue
            if any(folder.glob("*.ipynb")):
                jobs.append(Job(student.name, folder.name))
    return jobs


def fingerprint(course: Path, job: Job) -> str:
    """A hash of the submitted files: a changed submission is graded again."""
    digest = hashlib.sha256()
    folder = course / "submitted" / job.student / job.assignment
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()





class Ledger:
    """Finished (student, assignment) pairs, rewritten atomically after each."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.exists():
            try:
                self.entries = json.loads(path.read_text()).get("finished", {})
            except (ValueError, AttributeError):
                # A ledger is only ever replaced whole, so this is someone
                # else's file: start again rather than trust it.
                self.entries = {}

    def done(self, job: Job, fingerprint: str) -> bool:
        entry = self.entries.get(job.key)
        return bool(entry) and entry.get("fingerprint") == fingerprint

    def record(self, job: Job, entry: dict) -> None:
        self.entries[job.key] = entry
        self.save()

    def forget(self, job: Job) -> None:
        if self.entries.pop(job.key, None) is not None:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"finished": self.entries}, indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ledger-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise




def ledger_entry(outcome: dict, fingerprint: str) -> dict:
    entry = {"fingerprint": fingerprint, "success": outcome["success"],
             "seconds": outcome["seconds"], "finished": time.time(),
             "error": (outcome["error"] or "")[-1500:] or None,
             "cause": (outcome.get("cause") or "")[-1500:] or None}
    if outcome.get("worker"):
        entry["worker"] = outcome["worker"]
    if outcome.get("lost"):
        entry["lost"] = outcome["lost"]
    return entry
