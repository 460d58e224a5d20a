"""The course's website (make site): built from the student notebooks, with
every lesson's outputs, no solution anywhere, and pages that work in a real
browser: no console error, every figure loading, every internal link
resolving, each lesson's Binder button opening that lesson's learner copy.

The site is served on 127.0.0.1 and read in headless Chromium; screenshots go
to test-artifacts/screenshots/site-*.png.
"""

from __future__ import annotations

import functools
import html
import http.server
import threading
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from autograder.lessons.go import toolchain
from browser_helpers import CHROMIUM_FLAGS, SCREENSHOTS, VIEWPORT, require_chromium
from course_tools import site
from course_tools.answers import as_lines
from course_tools.build_notebooks import lessons
from course_tools.net import free_port
from solution_search import demo_answers, solutions

pytestmark = [pytest.mark.slow, pytest.mark.grading]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return site.build(tmp_path_factory.mktemp("site"))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def page_text(path: Path) -> str:
    """What a page says, tags dropped: highlighted code reads as it was written."""
    parser = _Text()
    parser.feed(path.read_text())
    return as_lines(html.unescape("".join(parser.parts)))


def site_texts(root: Path) -> dict[Path, str]:
    found = {}
    for path in root.rglob("*"):
        if path.suffix == ".html":
            found[path] = page_text(path)
        elif path.suffix in (".ipynb", ".md", ".txt", ".js", ".json", ".py"):
            found[path] = as_lines(path.read_text(errors="replace"))
    return found


def test_every_lesson_has_a_page_with_its_outputs(built):
    for lesson in lessons():
        page = built / "lessons" / f"{lesson}.html"
        assert page.exists(), lesson
        assert "cell_output" in page.read_text(), f"{lesson}: no output on its page"
    go = page_text(built / "lessons" / "01_leaky_consumer.html")
    assert "NumGoroutine() after each word" in go  # program A's run, shown
    if toolchain() is not None:  # Go runs live here; without it, test_notebooks' wheel run
        assert "(recorded)" not in go  # reads the recordings


def test_the_search_reads_code_as_the_page_shows_it(built):
    """The search below can fail: visible code of a page is found in its HTML."""
    texts = site_texts(built)
    page = built / "lessons" / "01_leaky_consumer.html"
    assert 'check("consumer_exit")' in texts[page]
    assert as_lines("def consumer(ch, out):\n    # YOUR CODE HERE") in texts[page]


def test_no_solution_and_no_demo_class_answer_is_anywhere_in_the_site(built):
    texts = site_texts(built)
    for where, code in solutions() + demo_answers():
        found = [str(p.relative_to(built)) for p, text in texts.items() if code in text]
        assert not found, f"{where} is in {found}"
    assert not any("BEGIN HIDDEN TESTS" in text or "hidden=True" in text
                   for text in texts.values())


# --- in the browser ------------------------------------------------------------------

@pytest.fixture(scope="module")
def served(built):
    handler = functools.partial(_Quiet, directory=str(built))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    chromium_path = require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path),
                                              args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def pages(built: Path) -> list[str]:
    return ["index.html"] + [f"lessons/{lesson}.html" for lesson in lessons()]


@pytest.mark.browser
def test_every_page_loads_without_an_error_and_its_figures_show(built, served, browser):
    context = browser.new_context(viewport=VIEWPORT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shown = 0
    try:
        for name in pages(built):
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
            response = page.goto(f"{served}/{name}", wait_until="networkidle")
            assert response.status == 200, name
            assert errors == [], f"{name}: {errors}"
            images = page.eval_on_selector_all(
                "article img", "imgs => imgs.map(i => [i.src, i.complete && i.naturalWidth])")
            assert all(width for _, width in images), f"{name}: images that do not load: " \
                f"{[src for src, width in images if not width]}"
            drawn = figures_in(built.parent / "src" / Path(name).with_suffix(".ipynb"))
            assert len(images) >= drawn, f"{name}: {len(images)} images for {drawn} figures"
            shown += len(images)
            page.screenshot(path=str(SCREENSHOTS / f"site-{Path(name).stem}.png"))
            page.close()
    finally:
        context.close()
    assert shown >= 3  # the lessons' plots, at least


def figures_in(notebook: Path) -> int:
    """Images the executed notebook's outputs hold (0 for a page that is not one)."""
    if not notebook.exists():
        return 0
    cells = nbformat.read(notebook, as_version=4).cells
    return sum(1 for cell in cells for output in cell.get("outputs", [])
               if "image/png" in output.get("data", {}))


@pytest.mark.browser
def test_the_contents_link_every_lesson_and_every_internal_link_resolves(
        built, served, browser):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{served}/index.html")
        toc = page.eval_on_selector_all("nav.bd-docs-nav a", "links => links.map(a => a.href)")
        for lesson in lessons():
            assert any(href.endswith(f"lessons/{lesson}.html") for href in toc), lesson
        checked: set[str] = set()
        for name in pages(built):
            page.goto(f"{served}/{name}")
            hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
            for href in hrefs:
                url = urllib.parse.urldefrag(href).url
                if not url.startswith(served) or url in checked:
                    continue
                checked.add(url)
                with urllib.request.urlopen(url) as answer:
                    assert answer.status == 200, f"{name} links to {url}"
        assert len(checked) > len(pages(built))
    finally:
        context.close()


@pytest.mark.browser
def test_each_lessons_buttons_open_that_lesson_in_binder_and_download_it(
        built, served, browser):
    readme = (ROOT / "README.md").read_text()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        for lesson in lessons():
            page.goto(f"{served}/lessons/{lesson}.html")
            launch = page.get_attribute("a.launch-binder", "href")
            assert launch == site.binder_url(lesson, readme)
            assert launch.endswith(f"urlpath=lab/tree/work/{lesson}/{lesson}.ipynb")
            download = page.locator("a.download", has_text="Download the notebook")
            url = urllib.parse.urljoin(page.url, download.get_attribute("href"))
            with urllib.request.urlopen(url) as answer:
                handed_out = (ROOT / "notebooks" / lesson / f"{lesson}.ipynb").read_bytes()
                assert answer.read() == handed_out  # the notebook as handed out
        page.goto(f"{served}/lessons/01_leaky_consumer.html")
        page.locator("a.launch-binder").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "site-launch-button.png"))
        tip = page.locator("div.admonition.tip", has_text="Your turn").first
        tip.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "site-a-check-and-its-note.png"))
        go = page.locator("div.cell_output", has_text="NumGoroutine() after each word").first
        go.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "site-go-beside-python.png"))
        figure = page.locator("article img").first
        figure.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "site-a-figure.png"))
    finally:
        context.close()
