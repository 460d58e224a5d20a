"""Where solutions are: every solution cell's code (and the demo class's
answers), and a search for them in a folder of files and notebooks. The
student edition and the website are searched with it; a test shows it finds
each solution where solutions are."""

from pathlib import Path

import nbformat

from course_tools import demo_students
from course_tools.answers import as_lines, solution_parts
from course_tools.build_notebooks import lessons

ROOT = Path(__file__).resolve().parents[1]
def solutions() -> list[tuple[str, str]]:
    """(where, code) of every solution in the source notebooks."""
    return [(f"{lesson}/{grade_id}", code) for lesson in lessons()
            for grade_id, code in solution_parts(lesson)]


def demo_answers() -> list[tuple[str, str]]:
    return [(f"demo class: {student}/{lesson}/{grade_id}", as_lines(source))
            for student, handed_in in demo_students.students().items()
            for lesson, (answers, _) in handed_in.items()
            for grade_id, source in answers.items()
            if isinstance(source, str) and as_lines(source)]  # not REFERENCE: solutions()


def texts(folder: Path) -> dict[Path, str]:
    """Each file's text as stripped lines; a notebook's as its cells' sources."""
    found = {}
    for path in folder.rglob("*"):
        if not path.is_file() or ".venv" in path.parts:
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        if path.suffix == ".ipynb":
            text = "\n".join(cell.source for cell in nbformat.reads(text, as_version=4).cells)
        found[path] = as_lines(text)
    return found


def found_in(folder: Path, code: str) -> list[Path]:
    return [path for path, text in texts(folder).items() if code in text]
