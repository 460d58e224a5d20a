"""A learner's own copies (``make lab``, ``make fresh``): notebooks/ is never
written, a copy is never overwritten, and an updated lesson is announced."""

import json
import shutil
import subprocess

import pytest

from course_tools import workspace
from lesson_cells import ROOT


@pytest.fixture
def course(tmp_path):
    published = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", published)
    return published, tmp_path / "work"


def edit(notebook, text):
    content = json.loads(notebook.read_text())
    content["cells"][0]["source"] = text
    notebook.write_text(json.dumps(content))


def test_the_first_lab_copies_every_lesson(course):
    published, work = course
    said = workspace.prepare(published, work)
    lessons = sorted(p.name for p in published.iterdir())
    assert sorted(p.name for p in work.iterdir() if p.is_dir()) == lessons
    assert len(said) == len(lessons) and all(line.startswith("copied") for line in said)
    for lesson in lessons:
        assert (work / lesson / f"{lesson}.ipynb").read_bytes() == \
            (published / lesson / f"{lesson}.ipynb").read_bytes()


def test_a_learners_copy_is_never_overwritten(course):
    published, work = course
    workspace.prepare(published, work)
    mine = work / "01_leaky_consumer" / "01_leaky_consumer.ipynb"
    edit(mine, "my notes")
    before = {p: p.read_bytes() for p in published.rglob("*.ipynb")}
    assert workspace.prepare(published, work) == []
    assert "my notes" in mine.read_text()
    assert {p: p.read_bytes() for p in published.rglob("*.ipynb")} == before


def test_an_updated_lesson_is_announced_and_nothing_changes(course):
    published, work = course
    workspace.prepare(published, work)
    mine = work / "02_socket_reader" / "02_socket_reader.ipynb"
    edit(mine, "my work")
    edit(published / "02_socket_reader" / "02_socket_reader.ipynb", "the course, updated")
    said = workspace.prepare(published, work)
    assert len(said) == 1 and "02_socket_reader has changed in the course" in said[0]
    assert "make fresh LESSON=02_socket_reader" in said[0]
    assert "my work" in mine.read_text()


def test_fresh_gives_a_clean_copy_and_keeps_the_learners(course):
    published, work = course
    workspace.prepare(published, work)
    mine = work / "03_waitgroup" / "03_waitgroup.ipynb"
    edit(mine, "my attempt")
    edit(published / "03_waitgroup" / "03_waitgroup.ipynb", "the course, updated")
    said = workspace.fresh("03_waitgroup", published, work)
    kept = [p for p in (work / "03_waitgroup").iterdir() if p != mine]
    assert len(kept) == 1 and kept[0].name.startswith("03_waitgroup-")
    assert "my attempt" in kept[0].read_text() and "updated" in mine.read_text()
    assert any(str(kept[0].name) in line for line in said)
    assert workspace.prepare(published, work) == []  # the update is taken


def test_fresh_names_the_lessons_when_one_is_unknown(course):
    published, work = course
    with pytest.raises(SystemExit, match="Known: 00_start_here, 01_leaky_consumer"):
        workspace.fresh("01_leaky", published, work)


def test_git_ignores_the_learners_folder():
    ignored = subprocess.run(["git", "check-ignore", "-q", "work/01_leaky_consumer/x.ipynb"],
                             cwd=ROOT, check=False)
    assert ignored.returncode == 0


def test_make_lab_opens_the_copies_not_the_published_notebooks():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert "course_tools.workspace prepare" in lab
    assert "--ServerApp.root_dir=$(CURDIR)/work" in lab and "notebooks/" not in lab
