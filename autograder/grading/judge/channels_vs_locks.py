"""Judges for channels_vs_locks: none yet (its tests are re-checked inside the subject)."""
