"""Helpers the lessons use: live monitor, program runners, demos and plots."""

import os


def live_demos_enabled() -> bool:
    """False while nbgrader runs the notebook (autograde or validate)."""
    return not os.environ.get("NBGRADER_EXECUTION")
