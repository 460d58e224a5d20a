"""The course as a website: every lesson with its outputs, to read without
installing anything, and a button on each page that opens it live in Binder.

    python -m course_tools.site [--out DIR]      # make site: writes DIR/html

Built with Jupyter Book 1 (Sphinx) from the student notebooks. Jupyter Book
2 fetches its page theme from the web when it builds, which neither this
machine nor CI can reach; version 1 builds offline. It runs in a virtual
environment of its own (``.venv-site``, pinned in ``site/requirements.txt``),
so its Sphinx and MyST versions never move the course's own.

The notebooks are executed here first, in the course's environment, as a
learner's Run All would run them (live demonstrations, the Go programs),
then shaped for reading:

* the answer cells are the student versions (no solution is ever read), and
  their "not implemented" errors and the checks' tracebacks give way to a
  note that the reader solves the exercise in JupyterLab or Binder; the
  checks' printed verdicts stay; a demonstration that runs an answer says it
  will show its result once the answer is written;
* a live widget (the thread monitor) cannot move on a static page: a note
  says where to watch it;
* an output that shows an exercise's solution (lesson 04 prints the course's
  own WaitGroup, which answers lesson 03) is left out, saying why;
* each page opens with its Binder button (the learner's copy, as the
  README's badge opens it) and a link to download the notebook.

The landing page takes what the course is, for whom, the lesson table and
the two commands from the README, so they are written once.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from .answers import as_lines, solution_parts
from .build_notebooks import lessons

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
VENV = ROOT / ".venv-site"
BINDER = re.compile(r"\((https://mybinder\.org/v2/gh/[^?)]+)\?urlpath=lab/tree/work/")
WIDGET = "application/vnd.jupyter.widget-view+json"
# What a cell raises when it uses an exercise nobody has answered: the empty
# answer's NotImplementedError, a name only the answer defines, a check's "not yet".
WAITS_FOR_AN_ANSWER = ("NotImplementedError", "NameError", "CheckFailed")
CELL_TIMEOUT = 300  # seconds: the slowest demonstration takes well under a minute


def binder_url(lesson: str, readme: str) -> str:
    """The Binder link that opens ``lesson`` in the learner's copy (work/)."""
    found = BINDER.search(readme)
    if not found:
        raise SystemExit("the README has no Binder badge to take the repository's address from")
    return f"{found.group(1)}?urlpath=lab/tree/work/{lesson}/{lesson}.ipynb"


def landing_page(readme: str, titles: dict[str, str]) -> str:
    """index.md: the README's opening (what, for whom, the lessons) and its two commands."""
    start = readme.index("An open course")
    end = readme.index("## Two commands")
    commands = re.search(r"## Two commands\n\n(```sh\n.*?```)", readme, re.S).group(1)
    chapters = "\n".join(f"* [{titles[lesson]}](lessons/{lesson}.ipynb)" for lesson in titles)
    return (f"# Goroutine leaks, in Python\n\n{readme[start:end].strip()}\n\n"
            f"## The lessons\n\n{chapters}\n\n"
            "Each page shows a lesson as it runs: the Go programs' output beside their "
            "Python ports, the measurements, the figures. The exercises are left for you: "
            "open a lesson in Binder (the button at the top of each page) or download it, "
            "write your answers, and its checks tell you where you stand.\n\n"
            f"## Working on your own machine\n\n{commands}\n")


def title_of(notebook) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^# (.+)$", cell.source, re.M)
            if heading:
                return heading.group(1).strip()
    return "Untitled"


def execute(notebook_path: Path, into: Path) -> nbformat.NotebookNode:
    """Run a student notebook top to bottom as a learner's Run All would, on
    past the exercises' errors; returns it with its outputs."""
    from nbclient import NotebookClient

    notebook = nbformat.read(notebook_path, as_version=4)
    work = into / notebook_path.parent.name
    shutil.copytree(notebook_path.parent, work, dirs_exist_ok=True)
    NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    return notebook


def output_text(output) -> str:
    if output.output_type == "stream":
        return output.text
    return "\n".join(str(value) for value in output.get("data", {}).values())


def for_reading(notebook, lesson: str, launch: str,
                solutions: list[str]) -> nbformat.NotebookNode:
    """The executed notebook shaped for the site (see the module's doc);
    an output that shows any of ``solutions`` is left out, saying so."""
    launch_cell = nbformat.v4.new_markdown_cell(
        f"```{{button-link}} {launch}\n:color: primary\n:class: launch-binder\n\n"
        "Open this lesson in Binder\n```\n\n"
        f"{{download}}`Download the notebook <../downloads/{lesson}.ipynb>` to work on it "
        "in your own JupyterLab.")
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        if launch_cell and cell.cell_type == "markdown" and re.search(r"^# ", cell.source, re.M):
            cells.append(launch_cell)  # under the lesson's title
            launch_cell = None
        if cell.cell_type != "code":
            continue
        grading = cell.metadata.get("nbgrader", {})
        is_answer, is_check = grading.get("solution"), grading.get("grade")
        kept = []
        for output in cell.get("outputs", []):
            if any(part in as_lines(output_text(output)) for part in solutions):
                kept.append(nbformat.v4.new_output(
                    "display_data", {"text/markdown": "*This output shows code that answers "
                                     "one of the course's exercises, so it is left out here: "
                                     "run the lesson in Binder or JupyterLab to see it.*"}))
                continue
            if output.output_type == "error" and (is_answer or is_check):
                continue  # the exercise's "not yet": the note below says what to do
            if output.output_type == "error" and output.ename in WAITS_FOR_AN_ANSWER:
                kept.append(nbformat.v4.new_output(
                    "display_data", {"text/markdown": "*This cell runs your answer to an "
                                     "exercise above: it shows its result once you have "
                                     "written it, in Binder or JupyterLab.*"}))
                continue
            if WIDGET in output.get("data", {}):
                kept.append(nbformat.v4.new_output(
                    "display_data", {"text/markdown": "*A live panel here moves as threads "
                                     "start and end: open the lesson in Binder or JupyterLab "
                                     "to watch it.*"}))
                continue
            kept.append(output)
        cell.outputs = kept
        if is_answer:
            cell.outputs.append(nbformat.v4.new_output(
                "display_data", {"text/markdown": "*Your answer goes in this cell: open the "
                                 "lesson in Binder or JupyterLab to write it.*"}))
        if is_check:
            cells.append(nbformat.v4.new_markdown_cell(
                ":::{admonition} Your turn\n:class: tip\nThis check runs your answer and "
                "says ✅ once it is right."
                f" Write it in Binder ([open this lesson]({launch})) or in your own "
                "JupyterLab; here it has nothing to run.\n:::"))
    notebook.cells = cells
    notebook.metadata.pop("widgets", None)
    return notebook


def prepare(out: Path, workers: int = 2) -> Path:
    """Write the book's source (config, landing page, executed lessons) to out/src."""
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    (src / "lessons").mkdir(parents=True)
    (src / "downloads").mkdir()
    shutil.copy(SITE / "_config.yml", src / "_config.yml")
    shutil.copytree(SITE / "_static", src / "_static")
    readme = (ROOT / "README.md").read_text()
    names = lessons()
    paths = {lesson: ROOT / "notebooks" / lesson / f"{lesson}.ipynb" for lesson in names}
    with ProcessPoolExecutor(workers) as pool:  # each kernel's client in its own process
        executed = dict(zip(names, pool.map(execute, [paths[n] for n in names],
                                            [out / "run"] * len(names))))
    solutions = [code for lesson in names for _, code in solution_parts(lesson)]
    titles = {}
    for lesson in names:
        titles[lesson] = title_of(executed[lesson])
        shaped = for_reading(executed[lesson], lesson, binder_url(lesson, readme), solutions)
        nbformat.write(shaped, src / "lessons" / f"{lesson}.ipynb")
        shutil.copy(paths[lesson], src / "downloads" / f"{lesson}.ipynb")
    (src / "index.md").write_text(landing_page(readme, titles))
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n"
        + "".join(f"- file: lessons/{lesson}\n" for lesson in names))
    return src


def site_venv() -> Path:
    """Jupyter Book's own environment, made once from site/requirements.txt."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    requirements = SITE / "requirements.txt"
    if not stamp.exists() or stamp.stat().st_mtime < requirements.stat().st_mtime:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r",
                        str(requirements)], check=True)
        stamp.touch()
    return VENV / "bin" / "jupyter-book"


def build(out: Path) -> Path:
    src = prepare(out)
    shutil.rmtree(out / "_build", ignore_errors=True)
    subprocess.run([str(site_venv()), "build", str(src), "--path-output", str(out),
                    "--warningiserror", "--keep-going"], check=True)
    html = out / "_build" / "html"
    if html.exists():
        shutil.rmtree(out / "html", ignore_errors=True)
        html.rename(out / "html")
    return out / "html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.site",
                                     description="Build the course's website.")
    parser.add_argument("--out", type=Path, default=ROOT / "_site",
                        help="where to write it (default: _site/; the pages are in html/)")
    args = parser.parse_args(argv)
    html = build(args.out.resolve())
    print(f"the site: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
