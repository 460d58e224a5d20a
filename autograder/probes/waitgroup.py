"""Lesson probes for waitgroup: none yet (the judge re-checks it inside the subject)."""
