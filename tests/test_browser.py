"""The course in a real browser: JupyterLab in headless Chromium, as a learner uses it.

A plain JupyterLab (no nbgrader course set-up: no nbgrader_config.py, the
server started in a scratch copy of notebooks/) opens each notebook; Run All
Cells runs it (past cells that raise, as a learner would); the test reads what
the page shows: the check calls' verdicts, the live thread monitor's counts
while a demo starts and stops threads, the plots. nbgrader's Validate button
passes a solved notebook and fails an unsolved one.

Screenshots go to test-artifacts/screenshots/. Without Chromium at
/usr/bin/chromium the tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
from pathlib import Path

import nbformat
import pytest

from browser_helpers import (VIEWPORT, chromium, JupyterLab, LabPage, require_chromium,
                             scratch_notebooks)
from course_tools import learner_lab

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (ROOT / "notebooks").iterdir()
                 if (p / f"{p.name}.ipynb").exists())
# Solved, run, then validated. The benchmarks (learner section) ask for every
# lesson, and the time Run All takes in each (written to LEARNER_TIMES).
SOLVED_LESSONS = os.environ.get("BROWSER_SOLVED_LESSONS", "01_leaky_consumer").split()
UNSOLVED_LESSON = "03_waitgroup"      # validated as it is handed out
# The demo next to each live monitor: how many threads it starts, then stops.
MONITOR_DEMOS = {"00_start_here": 3, "01_leaky_consumer": 20}
# What a demonstration writes to stderr on purpose, by its tag: the lines that
# asyncio logs for a task destroyed while pending, which lesson 06 shows.
SHOWN_ON_STDERR = {"demo-task-destroyed-pending": ("Task was destroyed but it is pending!",
                                                   "task: <Task pending ")}



# The live thread monitor must be seen to move while a demo's threads run for
# two seconds: beside two busy xdist workers it was not, in a run in two, so
# make test runs the browser with the machine to itself (marker alone).
pytestmark = pytest.mark.alone


def in_the_browser(test):
    return pytest.mark.browser(pytest.mark.slow(test))


# --- what the notebooks contain ----------------------------------------------------

def notebook_cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(path, as_version=4).cells


def unexpected_stderr(cell, shown: str) -> str:
    """What a cell showed on stderr but what its tag says it shows on purpose."""
    meant = tuple(line for tag in cell.metadata.get("tags", [])
                  for line in SHOWN_ON_STDERR.get(tag, ()))
    return "\n".join(line for line in shown.splitlines()
                     if line.strip() and not (meant and line.startswith(meant)))


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_answer(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def check_calls(cells) -> dict[int, str]:
    """Cell index -> the exercise its visible ``check("name")`` call checks."""
    calls = {}
    for index, cell in enumerate(cells):
        found = re.search(r'^check\("(\w+)"\)', cell.source, re.M)
        if cell.cell_type == "code" and found:
            calls[index] = found[1]
    return calls


def plot_cells(cells) -> list[int]:
    return [i for i, cell in enumerate(cells)
            if cell.cell_type == "code" and re.search(r"\bplot_\w+\(", cell.source)]


def solved_copy(lesson: str, root: Path) -> Path:
    """The student notebook with every answer cell replaced by the reference answer
    (the source notebook's solution, without its markers, as a learner would write it)."""
    source = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    answers = {grade_id(cell): re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", "",
                                      cell.source, flags=re.M).rstrip()
               for cell in source.cells if is_answer(cell)}
    notebook = nbformat.read(ROOT / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    for cell in notebook.cells:
        if is_answer(cell):
            cell.source = answers[grade_id(cell)]
    path = root / "solved" / lesson / f"{lesson}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(notebook, path)
    return path


def record_run_all(lesson: str, seconds: float) -> None:
    """A learner's Run All, timed, for the benchmarks (LEARNER_TIMES: a JSON file)."""
    path = os.environ.get("LEARNER_TIMES")
    if not path:
        return
    times = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    times[lesson] = round(seconds, 2)
    Path(path).write_text(json.dumps(times, indent=1, sort_keys=True))


# --- fixtures ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_chromium()
    where = tmp_path_factory.mktemp("browser")
    root = scratch_notebooks(where)
    for lesson in SOLVED_LESSONS:
        solved_copy(lesson, root)
    state = where / "lab-state"
    state.mkdir()
    server = JupyterLab.start(root, state)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(lab):
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(lab, browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    lab_page = LabPage(context.new_page(), lab)
    yield lab_page
    context.close()
    lab.shut_down_kernels()  # each test leaves the 2 cores to the next


# --- the tests --------------------------------------------------------------------

@in_the_browser
@pytest.mark.parametrize("lesson", LESSONS)
def test_notebook_runs_in_jupyterlab_and_shows_its_feedback(page, lesson):
    """Run All Cells on a notebook as handed out: every cell runs, the demos and
    plots show, every check call prints its verdict, the monitor moves."""
    cells = notebook_cells(ROOT / "notebooks" / lesson / f"{lesson}.ipynb")
    page.open(f"{lesson}/{lesson}.ipynb")
    page.screenshot(f"{lesson}-1-opened")

    monitor_cell = next((i for i, c in enumerate(cells) if "ThreadMonitor()" in c.source), None)
    demo_threads = MONITOR_DEMOS.get(lesson)
    assert (monitor_cell is None) == (demo_threads is None), (
        "a notebook with a live monitor needs its demo's thread count in MONITOR_DEMOS")
    shots = {}

    def watch():  # called while the cells run
        values = page.monitor_values()
        if demo_threads and values and "up" not in shots and \
                values["since opened"] >= demo_threads:
            page.scroll_to(monitor_cell)
            shots["up"] = page.screenshot(f"{lesson}-2-monitor-while-demo-threads-run")
        return values

    run = page.run_all(watch=watch)
    page.screenshot(f"{lesson}-3-after-run-all")

    prompts = page.prompts()
    assert len(prompts) == len(cells)
    not_run = [i for i, (p, c) in enumerate(zip(prompts, cells))
               if c.cell_type == "code" and not re.fullmatch(r"\[\d+\]:", p or "")]
    assert not_run == [], f"cells that did not run: {not_run}"

    # Cells before the first exercise depend on nothing the learner writes: no errors.
    first_answer = next((i for i, c in enumerate(cells) if is_answer(c)), len(cells))
    for index in range(first_answer):
        assert unexpected_stderr(cells[index], page.cell_errors(index)) == "", \
            f"cell {index} of {lesson} failed"

    # Each check call prints its verdict where the learner reads it.
    verdicts = check_calls(cells)
    for index, name in verdicts.items():
        shown = page.cell_text(index)
        if lesson == "00_start_here":   # the warm-up's answer is given
            assert f"✅ {name}: passed" in shown, shown
        else:
            assert f"❌ {name}: not yet." in shown, shown
    if verdicts:
        page.scroll_to(min(verdicts))
        page.screenshot(f"{lesson}-4-first-check-verdict")
    if lesson != "00_start_here":
        assert run.restarts >= 1  # an unsolved exercise stops Run All, as it should

    # Plots: drawn, with a size, in every plotting cell that ran without error.
    plotted = [i for i in plot_cells(cells) if page.cell_errors(i) == ""]
    for index in plotted:
        images = page.images(index)
        assert images and all(i["width"] > 100 and i["shown"] > 100 for i in images), (
            f"cell {index} of {lesson} shows no plot: {images}")
        page.screenshot(f"{lesson}-5-plot-cell-{index}",
                        page.cell(index).locator(".jp-OutputArea"))
    if plot_cells(cells):
        assert plotted, f"{lesson} drew no plot"

    # The benchmark controls (widgets) show.
    for index, cell in enumerate(cells):
        if "benchmark_panel(" in cell.source:
            assert page.cell(index).locator(
                "button", has_text="Run the benchmarks").is_visible(), "no benchmark panel"

    # The live monitor: shown, and its count went up by the demo's threads and back down.
    if demo_threads:
        samples = [s for s in run.samples if s]
        assert samples, "the thread monitor never showed up"
        assert set(samples[0]) == {"Python threads", "OS threads", "since opened"}
        python = [s["Python threads"] for s in samples]
        peak = max(python)
        # On a cold page the numbers may first show when the demo's threads are
        # already up (the widget's code loads while the cells run); the line
        # under them is drawn from the kernel's own history, the rise included.
        assert min(python[python.index(peak):]) <= peak - demo_threads, python  # down live
        history = page.monitor_history()
        top = max(history)
        shown = (history, page.cell_text(monitor_cell))
        assert top - min(history[:history.index(top) + 1]) >= demo_threads, shown  # up...
        assert min(history[history.index(top):]) <= top - demo_threads, shown  # ...and down
        assert samples[-1]["OS threads"] >= samples[-1]["Python threads"] > 0
        since = [s["since opened"] for s in samples]
        assert max(since) >= demo_threads, since
        assert "up" in shots
        page.scroll_to(monitor_cell)
        page.screenshot(f"{lesson}-6-monitor-after-demo")


@in_the_browser
@pytest.mark.parametrize("lesson", SOLVED_LESSONS)
def test_solved_notebook_passes_every_check_and_the_validate_button(page, lesson):
    cells = notebook_cells(ROOT / "notebooks" / lesson / f"{lesson}.ipynb")
    page.open(f"solved/{lesson}/{lesson}.ipynb")
    run = page.run_all()
    assert run.restarts == 0, "a cell of the solved notebook raised"
    record_run_all(lesson, run.seconds)
    for index, cell in enumerate(cells):
        assert unexpected_stderr(cell, page.cell_errors(index)) == "", f"cell {index} failed"
    verdicts = check_calls(cells)
    assert verdicts, "a lesson with no check"
    for index, name in verdicts.items():
        assert f"✅ {name}: passed" in page.cell_text(index)
    page.scroll_to(max(verdicts))
    page.screenshot(f"solved-{lesson}-1-checks-passed")

    kind, text = page.validate()
    page.screenshot(f"solved-{lesson}-2-validate")
    assert kind == "validation-success", text
    assert "Success! Your notebook passes all the tests." in text
    page.close_dialog()


@in_the_browser
def test_unsolved_notebook_fails_the_validate_button(page):
    lesson = UNSOLVED_LESSON
    page.open(f"{lesson}/{lesson}.ipynb")
    kind, text = page.validate()
    page.screenshot(f"unsolved-{lesson}-validate")
    assert kind == "validation-failed", text
    assert "The following cell failed:" in text
    assert 'check("waitgroup")' in text
    page.close_dialog()


def test_without_chromium_the_browser_tests_skip_but_fail_in_ci(monkeypatch, tmp_path):
    import browser_helpers

    monkeypatch.setattr(browser_helpers, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        browser_helpers.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser_helpers.require_chromium()


# --- the learner's JupyterLab and the instructor's ----------------------------------

INSTRUCTOR_TOOLS = ("Formgrader", "Course List", "Assignment List")


@pytest.fixture(scope="module")
def learner_page(browser, tmp_path_factory):
    """A JupyterLab with the learner's settings (course_tools.learner_lab), read
    first, as `make lab` starts it (Binder writes them beside nbgrader's own)."""
    where = tmp_path_factory.mktemp("learner")
    learner_lab.write(where / "config")
    (where / "state").mkdir()
    # As Binder starts it: the repository's address in the environment.
    server = JupyterLab.start(scratch_notebooks(where), where / "state",
                              config_path=where / "config",
                              env={"BINDER_REPO_URL": "course-repository"})
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    yield LabPage(context.new_page(), server)
    context.close()
    server.stop()


@in_the_browser
def test_a_learner_sees_validate_and_none_of_the_instructors_tools(learner_page):
    learner_page.open("00_start_here/00_start_here.ipynb")
    learner_page.screenshot("learner-lab")
    assert learner_page.page.get_by_title("Validate Assignment").is_visible()
    assert learner_page.menu_items("Nbgrader") == []  # no menu of instructor's tools
    for panel in ("Create Assignment", "Formgrader"):
        assert learner_page.page.get_by_text(panel, exact=True).count() == 0, panel
    for path in ("/formgrader", "/assignments", "/courses"):  # the server side is off too
        with pytest.raises(urllib.error.HTTPError) as refused:
            learner_page.lab.api("GET", path)
        assert refused.value.code == 404, path


@in_the_browser
def test_a_learner_can_keep_their_work_from_the_notebooks_toolbar(learner_page):
    """Binder keeps nothing, and a learner may not read the README: the
    notebook's own toolbar has Download (the notebook as the browser shows it)
    and, in Binder, Save to browser storage (jupyter-offlinenotebook)."""
    learner_page.open("00_start_here/00_start_here.ipynb")
    page = learner_page.page
    assert page.get_by_title("Save to browser storage").first.is_visible()
    with page.expect_download() as downloading:
        page.get_by_title("Download visible").first.click()
    download = downloading.value
    assert download.suggested_filename == "00_start_here.ipynb"
    saved = json.loads(Path(download.path()).read_text())
    assert any("goroutine" in "".join(cell["source"]) for cell in saved["cells"])


@in_the_browser
def test_the_instructors_lab_keeps_formgrader(page):
    page.open("00_start_here/00_start_here.ipynb")
    shown = page.menu_items("Nbgrader")
    assert set(INSTRUCTOR_TOOLS) <= set(shown), shown
