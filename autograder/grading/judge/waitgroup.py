"""Judges for waitgroup: none yet (its tests are re-checked inside the subject)."""
