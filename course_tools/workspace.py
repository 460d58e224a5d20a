"""A learner's own copies of the lessons, in ``work/`` (which git ignores).

``notebooks/`` is the course as published; a learner who wrote into it would
meet conflicts at the next ``git pull`` and a failing ``make test``. So
``make lab`` opens copies: each lesson is copied into ``work/`` the first
time and never overwritten. When the course has changed a lesson since it
was copied, ``make lab`` says so and changes nothing; ``make fresh LESSON=…``
then gives a clean copy back, keeping the learner's beside it.

    python -m course_tools.workspace prepare         # before opening JupyterLab
    python -m course_tools.workspace fresh LESSON    # a clean copy of one lesson
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "notebooks"
WORK = ROOT / "work"
COPIED_FROM = ".copied-from.json"  # each lesson's notebook as it was when copied


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _lessons(published: Path) -> list[Path]:
    return sorted(p for p in published.iterdir() if (p / f"{p.name}.ipynb").is_file())


def _record(work: Path) -> dict[str, str]:
    try:
        return json.loads((work / COPIED_FROM).read_text())
    except (OSError, ValueError):
        return {}


def _save_record(work: Path, record: dict[str, str]) -> None:
    (work / COPIED_FROM).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def prepare(published: Path = PUBLISHED, work: Path = WORK) -> list[str]:
    """Copy each lesson not yet in ``work``; return what the learner should know."""
    work.mkdir(exist_ok=True)
    record, said = _record(work), []
    for lesson in _lessons(published):
        notebook = lesson / f"{lesson.name}.ipynb"
        mine = work / lesson.name / notebook.name
        if not mine.exists():
            shutil.copytree(lesson, work / lesson.name, dirs_exist_ok=True)
            record[lesson.name] = _digest(notebook)
            said.append(f"copied {lesson.name} into {work.name}/")
        elif lesson.name not in record:  # copied before copies were recorded
            record[lesson.name] = _digest(notebook)
        elif record[lesson.name] != _digest(notebook):
            said.append(f"{lesson.name} has changed in the course since your copy was made; "
                        f"your copy is unchanged. For the new version: "
                        f"make fresh LESSON={lesson.name} (your copy is kept beside it)")
    _save_record(work, record)
    return said


def fresh(name: str, published: Path = PUBLISHED, work: Path = WORK) -> list[str]:
    """A clean copy of lesson ``name``; the learner's own is renamed with a time stamp."""
    lesson = published / name
    notebook = lesson / f"{name}.ipynb"
    if not notebook.is_file():
        known = ", ".join(p.name for p in _lessons(published))
        raise SystemExit(f"There is no lesson called {name!r}. Known: {known}.")
    said = []
    mine = work / name / notebook.name
    if mine.exists():
        kept = mine.with_name(f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb")
        mine.rename(kept)
        said.append(f"your copy is kept as {kept.relative_to(work.parent)}")
    (work / name).mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook, mine)
    record = _record(work)
    record[name] = _digest(notebook)
    _save_record(work, record)
    return said + [f"a clean copy of {name} is in {mine.relative_to(work.parent)}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="copy the lessons not yet in work/")
    again = commands.add_parser("fresh", help="a clean copy of one lesson")
    again.add_argument("lesson")
    args = parser.parse_args(argv)
    said = prepare() if args.command == "prepare" else fresh(args.lesson)
    for line in said:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
