"""The lessons' plumbing: the live monitor, program runners, local servers,
stopwatches, tables and plots. What proves a claim is in the notebook."""

import os


def live_demos_enabled() -> bool:
    """False while nbgrader runs the notebook (autograde or validate)."""
    return not os.environ.get("NBGRADER_EXECUTION")
