"""The demo class: fictional students' submissions, to try the grading tools on.

    python -m course_tools.demo_class build [DIR]   # write demo_class/ (default)
    python -m course_tools.demo_class check         # exit 1 if demo_class/ is stale
    python -m course_tools.demo_class grade [--workers N] [--into DIR]

``build`` makes ``demo_class/submitted/<student>/<lesson>/<lesson>.ipynb`` from
the committed student notebooks (``notebooks/``) with answer cells replaced
by what each student of ``demo_students`` wrote.
``grade`` copies the course and the demo class into a scratch folder and runs
the whole instructor flow there (the batch: autograde, feedback, grades.csv,
report), ending with the paths of the grades CSV and the report.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from .answers import student_notebook
from .demo_students import students

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "demo_class"

# ---- building ---------------------------------------------------------------


def build(out: Path = DEMO, root: Path = ROOT) -> list[Path]:
    written = []
    submitted = out / "submitted"
    if submitted.exists():
        shutil.rmtree(submitted)
    for student, lessons in students().items():
        for lesson, (answers, edit) in lessons.items():
            notebook = student_notebook(lesson, answers, root)
            if edit is not None:
                edit(notebook)
            path = submitted / student / lesson / f"{lesson}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, path)
            written.append(path)
    return written


def stale(root: Path = ROOT) -> list[str]:
    """Files of the committed demo class that differ from a fresh build."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "demo_class"
        build(fresh, root)
        new = {p.relative_to(fresh) for p in fresh.rglob("*.ipynb")}
        old = {p.relative_to(DEMO) for p in DEMO.rglob("*.ipynb")} if DEMO.exists() else set()
        differ = [p for p in new & old if not filecmp.cmp(fresh / p, DEMO / p, shallow=False)]
        return sorted(str(p) for p in (new ^ old) | set(differ))


def scratch_course(into: Path, root: Path = ROOT, demo: Path = DEMO,
                   lessons: list[str] | None = None, students: list[str] | None = None,
                   db_url: str | None = None) -> Path:
    """A copy of the course with the demo class's submissions, ready to grade:
    only of ``lessons`` and ``students`` when given, into ``db_url``'s gradebook
    when given."""
    into.mkdir(parents=True, exist_ok=True)
    course = into / "course"
    if course.exists():
        shutil.rmtree(course)
    course.mkdir()
    shutil.copy(root / "nbgrader_config.py", course)
    shutil.copytree(root / "source", course / "source")
    shutil.copytree(demo / "submitted", course / "submitted")
    for folder in list((course / "submitted").glob("*/*")):
        student, lesson = folder.parent.name, folder.name
        if lessons and lesson not in lessons or students and student not in students:
            shutil.rmtree(folder)
    for student in list((course / "submitted").iterdir()):
        if not any(student.iterdir()):
            student.rmdir()
    if db_url:
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    return course


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.demo_class")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write the demo class")
    make.add_argument("out", nargs="?", type=Path, default=DEMO)
    commands.add_parser("check", help="exit 1 if demo_class/ is not what build writes")
    grade = commands.add_parser("grade", help="grade a scratch copy of the demo class")
    grade.add_argument("--workers", "-j", type=int, default=None)
    grade.add_argument("--into", type=Path, default=None,
                       help="scratch folder (default: a new one under the system's temp)")
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in build(args.out.resolve()):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        return 0
    if args.command == "check":
        differ = stale()
        for path in differ:
            print(f"out of date: demo_class/{path} (run python -m "
                  "course_tools.demo_class build)")
        return 1 if differ else 0
    into = args.into or Path(tempfile.mkdtemp(prefix="grade-demo-"))
    course = scratch_course(into.resolve())
    print(f"demo class copied to {course}", flush=True)
    from .batch import main as batch_main
    return batch_main(["--course", str(course)]
                      + (["--workers", str(args.workers)] if args.workers else []))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
