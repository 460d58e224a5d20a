"""Feedback that shows learners their verdicts, never the hidden tests.

nbgrader's feedback HTML shows each test cell's code and, when a test fails,
the traceback, which quotes the failing line of the hidden test. This
preprocessor runs before the HTML export: it cuts the hidden blocks out of
test cells and reduces error outputs of test cells to their last line (the
check's own verdict), keeping what the checks printed for the learner.
"""

from __future__ import annotations

import re

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, Unicode

from .cells import is_test_cell

HIDDEN_NOTE = ("# (hidden tests were run for this cell, outside your kernel; "
               "their code is not shown)")


class HideHiddenTests(Preprocessor):
    enabled = Bool(True)  # nbconvert's preprocessors are off unless enabled
    begin = Unicode("### BEGIN HIDDEN TESTS").tag(config=True)
    end = Unicode("### END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            return cell, resources
        hidden = re.compile(re.escape(self.begin) + r".*?" + re.escape(self.end), re.S)
        cell.source = hidden.sub(HIDDEN_NOTE, cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
        return cell, resources
