"""The course's late-work rule, as nbgrader's late-submission plug-in.

nbgrader knows two rules: no penalty, or zero for anything late. A course on
stopping threads is not served by either: work a day late should still
count, and a week late should not count as on time. So: a share of the
points a late notebook earned is taken off per day it is late, each day
begun counting whole, never more than it earned. The due date is the
assignment's in the gradebook (``nbgrader db assignment add ... --duedate``);
the submission's time is nbgrader's (``timestamp.txt``, written by ``nbgrader
collect`` or ``zip_collect``), which regrading keeps.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

DAY = 24 * 60 * 60


class ShareOffPerDayLate(LateSubmissionPlugin):
    share_per_day = Float(0.1, help="The share of a late notebook's points taken off "
                          "for each day (begun) it is late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0:
            return None
        days = math.ceil(total_seconds_late / DAY)
        return round(min(score, score * self.share_per_day * days), 2)
