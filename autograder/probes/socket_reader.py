"""Lesson probes for socket_reader: none yet (the judge re-checks it inside the subject)."""
