"""Sanitizing steps nbgrader lacks, run before it overwrites cells.

``DeduplicateIds`` turns a duplicated answer cell's metadata into an empty
``nbgrader`` dict, on which ``OverwriteCells`` then fails with a KeyError and
the whole notebook goes ungraded. A cell whose nbgrader metadata has no
``grade_id`` is an ordinary cell: this step says so by removing the metadata.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor


class DropMetadataWithoutGradeId(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is not None and not meta.get("grade_id"):
            del cell.metadata["nbgrader"]
        return cell, resources
