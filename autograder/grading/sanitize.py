"""Sanitizing steps nbgrader lacks, run before it overwrites cells.

``DeduplicateIds`` turns a duplicated answer cell's metadata into an empty
``nbgrader`` dict, on which ``OverwriteCells`` then fails with a KeyError and
the whole notebook goes ungraded. A cell whose nbgrader metadata has no
``grade_id`` is an ordinary cell: this step says so by removing the metadata.

A cell pasted from another lesson (JupyterLab copies a cell's metadata with
it) names a ``grade_id`` this assignment does not have. ``OverwriteCells``
then drops only the ``grade_id`` and keeps the rest (``grade: true``...), and
a later step fails with a KeyError: the whole notebook "crashed" and scored
zero. Such a cell is an ordinary cell too: ``DropUnknownGradeIds`` removes
its nbgrader metadata, and the notebook is graded as if it were not marked.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor


class DropMetadataWithoutGradeId(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is not None and not meta.get("grade_id"):
            del cell.metadata["nbgrader"]
        return cell, resources


class DropUnknownGradeIds(NbGraderPreprocessor):
    """Unmark cells whose grade_id is not one of this assignment's cells.

    The assignment's cells are the ones the gradebook holds for this notebook,
    found the way ``OverwriteCells`` finds them.
    """

    def preprocess(self, nb, resources):
        nbgrader = resources["nbgrader"]
        with Gradebook(nbgrader["db_url"]) as gradebook:
            try:
                notebook = gradebook.find_notebook(nbgrader["notebook"],
                                                   nbgrader["assignment"])
            except MissingEntry:
                return nb, resources  # nothing to compare with: nbgrader will say so
            known = {cell.name for cell in notebook.source_cells}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id and grade_id not in known:
                self.log.warning("Cell %r is not a cell of this assignment (pasted from "
                                 "another?): graded as an ordinary cell", grade_id)
                del cell.metadata["nbgrader"]
        return nb, resources
