"""A cell pasted, metadata and all, from another lesson is graded as an
ordinary cell, as nbgrader's own preprocessors are tested: on a small
hand-built notebook against a gradebook that knows the assignment's cells."""

import copy

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ComputeChecksums, OverwriteCells, SaveCells

from autograder.grading.sanitize import DropUnknownGradeIds


def _cell(grade_id: str, source: str, points: float | None = None):
    graded = points is not None
    meta = {"grade": graded, "grade_id": grade_id, "locked": graded, "schema_version": 3,
            "solution": not graded, "task": False}
    if graded:
        meta["points"] = points
    return new_code_cell(source, metadata={"nbgrader": meta})


ANSWER = _cell("consumer_exit", "def consumer(ch, out):\n    pass\n")
TEST = _cell("test_consumer_exit", 'check("consumer_exit")\n', points=2)
PASTED_ANSWER = _cell("waitgroup", "class WaitGroup:\n    pass\n")  # lesson 03's
PASTED_TEST = _cell("test_local_close", 'check("socket_shutdown")\n', points=3)  # lesson 02's


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    """Only read by the steps under test: one gradebook serves every test."""
    db = tmp_path_factory.mktemp("sanitize") / "gradebook.db"
    resources = {"nbgrader": {"db_url": f"sqlite:///{db}",
                              "assignment": "01_leaky_consumer",
                              "notebook": "01_leaky_consumer"}}
    with Gradebook(resources["nbgrader"]["db_url"]) as gradebook:
        gradebook.add_assignment("01_leaky_consumer")
    source = new_notebook(cells=[copy.deepcopy(ANSWER), copy.deepcopy(TEST)])
    SaveCells().preprocess(ComputeChecksums().preprocess(source, resources)[0], resources)
    return resources


def submitted():
    return new_notebook(cells=[copy.deepcopy(c) for c in
                               (ANSWER, PASTED_ANSWER, TEST, PASTED_TEST)])


def test_cells_of_another_lesson_lose_their_nbgrader_metadata(resources):
    nb, _ = DropUnknownGradeIds().preprocess(submitted(), resources)
    assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells] == \
        ["consumer_exit", None, "test_consumer_exit", None]
    assert [c.source for c in nb.cells] == [c.source for c in submitted().cells]


def test_the_assignments_own_cells_are_left_as_they_were(resources):
    nb = new_notebook(cells=[copy.deepcopy(ANSWER), copy.deepcopy(TEST)])
    assert DropUnknownGradeIds().preprocess(nb, resources)[0] == \
        new_notebook(cells=[ANSWER, TEST])


def test_after_it_nbgrader_overwrites_cells_without_a_key_error(resources):
    overwrite = OverwriteCells(add_missing_cells=True)
    with pytest.raises(KeyError):  # the crash this step prevents
        overwrite.preprocess(submitted(), resources)
    nb, _ = DropUnknownGradeIds().preprocess(submitted(), resources)
    nb, _ = overwrite.preprocess(nb, resources)
    assert len(nb.cells) == 4
