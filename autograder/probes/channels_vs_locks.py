"""Lesson probes for channels_vs_locks: none yet (the judge re-checks it inside the subject)."""
