"""Judges for socket_reader: none yet (its tests are re-checked inside the subject)."""
