"""Build the course's notebooks from their text form.

    python -m course_tools.build_notebooks source text/01_x/01_x.md
    python -m course_tools.build_notebooks release 01_x
    python -m course_tools.build_notebooks check

``source`` turns the reviewed MyST Markdown into the nbgrader source notebook,
without outputs and with stable cell ids, so rebuilding changes nothing.
``release`` runs ``nbgrader generate_assignment`` to write the student version
into notebooks/. ``check`` rebuilds everything into a scratch copy and lists
the files that differ from what is committed (exit 1 if any).
"""

from __future__ import annotations

import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

from .nbgrader_cli import nbgrader

ROOT = Path(__file__).resolve().parents[1]


def lessons(root: Path = ROOT) -> list[str]:
    return sorted(p.name for p in (root / "text").iterdir() if (p / f"{p.name}.md").exists())


def build_source(text_path: Path, root: Path = ROOT) -> Path:
    lesson = text_path.stem
    notebook = jupytext.read(text_path, fmt="md:myst")
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = grade_id or f"{lesson[:2]}-cell-{index:02d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    out = root / "source" / lesson / f"{lesson}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
    return out


def release(lesson: str, root: Path = ROOT) -> Path:
    done = nbgrader("generate_assignment", lesson, "--force", cwd=root, check=False)
    if done.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment {lesson} failed:\n{done.stderr}")
    return root / "notebooks" / lesson / f"{lesson}.ipynb"


def stale_files(root: Path = ROOT) -> list[str]:
    """Rebuild into a scratch copy of the course; list what differs."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "course"
        copy.mkdir()
        for name in ("text", "source", "nbgrader_config.py"):
            src = root / name
            if src.is_dir():
                shutil.copytree(src, copy / name)
            else:
                shutil.copy(src, copy / name)
        stale = []
        for lesson in lessons(copy):
            built = build_source(copy / "text" / lesson / f"{lesson}.md", copy)
            committed = root / "source" / lesson / built.name
            if not committed.exists() or not filecmp.cmp(built, committed, shallow=False):
                stale.append(str(committed.relative_to(root)))
            released = release(lesson, copy)
            committed = root / "notebooks" / lesson / released.name
            if not committed.exists() or not filecmp.cmp(released, committed, shallow=False):
                stale.append(str(committed.relative_to(root)))
        return stale


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "source" and len(argv) == 2:
        print(build_source(Path(argv[1]).resolve()).relative_to(ROOT))
    elif command == "release" and len(argv) == 2:
        print(release(argv[1]).relative_to(ROOT))
    elif command == "check" and len(argv) == 1:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {path} (run `make notebooks`)")
        return 1 if stale else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
