"""JupyterLab in headless Chromium, for the browser tests (tests/test_browser.py).

    lab = JupyterLab.start(root_dir)            # jupyter lab on 127.0.0.1, a token
    page = LabPage(browser.new_page(...), lab)
    page.open("00_start_here/00_start_here.ipynb")
    run = page.run_all(watch=page.monitor_values)   # samples the monitor meanwhile
    page.cell_text(4), page.validate(), page.screenshot("00 after run all")
    lab.stop()

Chromium is Debian's (/usr/bin/chromium), driven by Python Playwright:
``playwright install`` cannot download browsers on the course's machines.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

import pytest
from course_tools.net import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
# The flags measured to work on the course's machines (course-plan.md).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_chromium() -> Path:
    """Chromium's path; outside CI, skip the test when it is missing (in CI, fail)."""
    if CHROMIUM.exists():
        return CHROMIUM
    reason = (f"the browser tests need Debian's Chromium at {CHROMIUM}, which is missing "
              "(install it with `apt-get install chromium`; .ci/run does; "
              "`playwright install` cannot download browsers here)")
    if in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)



@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright, with the course's flags."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(require_chromium()),
                                             args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# --- JupyterLab ------------------------------------------------------------------

# User settings that keep the page quiet and every cell in the DOM.
LAB_SETTINGS = {
    # No "would you like news?" toast and no update check (no network here).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    # Keep every cell in the DOM, so the test reads outputs the learner scrolls to.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"windowingMode": "none"},
}


@dataclass
class JupyterLab:
    """``jupyter lab`` from the course's environment, on 127.0.0.1 with a token."""

    root_dir: Path
    port: int
    token: str
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, root_dir: Path, state_dir: Path, timeout: float = 60.0,
              config_path: Path | None = None, env: dict[str, str] | None = None
              ) -> JupyterLab:
        """Start the server with ``root_dir`` as its root and working directory.

        ``state_dir`` holds the server's own files (settings, workspaces,
        runtime, log), outside ``root_dir``: the learner sees only notebooks.
        ``config_path``, if given, is a Jupyter configuration folder read before
        any other (``JUPYTER_CONFIG_PATH``); ``env``, more environment variables.
        """
        jupyter = Path(sys.executable).parent / "jupyter"
        port, token = free_port(), secrets.token_hex(16)
        settings = state_dir / "user-settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = {**os.environ, **(env or {}),
               "JUPYTERLAB_SETTINGS_DIR": str(settings),
               "JUPYTERLAB_WORKSPACES_DIR": str(state_dir / "workspaces"),
               "JUPYTER_RUNTIME_DIR": str(state_dir / "runtime"),
               "IPYTHONDIR": str(state_dir / "ipython"),
               "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        if config_path is not None:
            env["JUPYTER_CONFIG_PATH"] = str(config_path)
        env.pop("NBGRADER_EXECUTION", None)
        env.pop("JPY_SESSION_NAME", None)
        log = state_dir / "jupyter-lab.log"
        process = subprocess.Popen(
            [str(jupyter), "lab", "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={root_dir}",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class="
             "jupyterlab.handlers.announcements.NeverCheckForUpdate",
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=root_dir, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        lab = cls(root_dir, port, token, process, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n"
                                   + log.read_text(errors="replace")[-3000:])
            try:
                lab.api("GET", "/api/status")
                return lab
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        lab.stop()
        raise TimeoutError(f"jupyter lab did not answer within {timeout} s:\n"
                           + log.read_text(errors="replace")[-3000:])

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and its kernels
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def scratch_notebooks(where: Path) -> Path:
    """A copy of the repository's notebooks/ to open in JupyterLab."""
    root = where / "course"
    shutil.copytree(ROOT / "notebooks", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


# --- the page ----------------------------------------------------------------------

# JavaScript run in the page. The open notebook is the visible notebook panel.
_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
_PROMPTS_JS = f"""() => [...document.querySelectorAll('{_PANEL} .jp-Notebook .jp-Cell')]
    .map(cell => cell.classList.contains('jp-CodeCell')
        ? cell.querySelector('.jp-InputPrompt').textContent.trim() : null)"""
_MONITOR_JS = f"""() => Object.fromEntries([...document.querySelectorAll(
    '{_PANEL} .thread-counts [data-count]')].map(number => [
        number.dataset.count, number.textContent === "–" ? -1 : Number(number.textContent)]))"""


@dataclass
class Run:
    """What a run of cells showed: samples taken while it ran, and how long it took."""

    samples: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    restarts: int = 0  # times the run went on past a cell that raised


class LabPage:
    """A Playwright page on the JupyterLab server, with the steps a learner takes."""

    def __init__(self, page, lab: JupyterLab) -> None:
        self.page = page
        self.lab = lab
        self.console_errors: list[str] = []
        page.on("console", lambda message: message.type == "error"
                and self.console_errors.append(message.text))

    # opening -------------------------------------------------------------------------

    def open(self, path: str, timeout: float = 60.0) -> None:
        """Open a notebook alone in a fresh workspace and wait for its kernel."""
        self.page.goto(f"{self.lab.url}/lab/tree/{path}?reset&token={self.lab.token}")
        self.page.locator(_PANEL + " .jp-Notebook .jp-Cell").first.wait_for(
            timeout=timeout * 1000)
        self.wait_for_kernel_idle(timeout)

    def wait_for_kernel_idle(self, timeout: float = 60.0) -> None:
        """Until the notebook's kernel has started and is idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sessions = self.lab.api("GET", "/api/sessions")
            if sessions and all(s["kernel"]["execution_state"] == "idle" for s in sessions):
                # The toolbar says so too (what the learner sees).
                status = self.page.locator(_PANEL + " .jp-Notebook-ExecutionIndicator")
                if status.count() == 0 or status.first.get_attribute("data-status") in (
                        None, "idle"):
                    return
            time.sleep(0.2)
        raise TimeoutError(f"the kernel was not idle within {timeout} s")

    # running -------------------------------------------------------------------------

    def menu(self, menu: str, item: str) -> None:
        """Click a menu of the menu bar, then one of its items."""
        self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(
            f"^{re.escape(menu)}$")).click()
        self.page.locator(".lm-Menu:not(.lm-MenuBar) .lm-Menu-itemLabel",
                          has_text=re.compile(f"^{re.escape(item)}$")).click()

    def menu_items(self, menu: str) -> list[str]:
        """The items of a menu of the menu bar ([] if there is no such menu)."""
        label = self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(
            f"^{re.escape(menu)}$"))
        if label.count() == 0:
            return []
        label.click()
        opened = self.page.locator(".lm-Menu:not(.lm-MenuBar)").last
        opened.wait_for()
        found = [text.strip() for text in opened.locator(".lm-Menu-itemLabel").all_inner_texts()]
        self.page.keyboard.press("Escape")
        return [text for text in found if text]

    def prompts(self) -> list[str | None]:
        """Each cell's input prompt ("[3]:", "[*]:", "[ ]:"); None for a text cell."""
        return self.page.evaluate(_PROMPTS_JS)

    def run_all(self, watch: Callable[[], Any] | None = None, timeout: float = 120.0,
                go_on_after_errors: bool = True, every: float = 0.1) -> Run:
        """Run → Run All Cells, and wait until every code cell has run.

        Like a learner, when a cell raises (which stops the run), select the
        next cell that has not run and go on with Run → Run Selected Cell and
        All Below. ``watch()`` is called every ``every`` seconds meanwhile;
        what it returns is kept in ``Run.samples``.
        """
        run = Run()
        started = time.monotonic()
        deadline = started + timeout
        self.menu("Run", "Run All Cells")
        while True:
            self._wait_until_done(run, watch, deadline, every)
            prompts = self.prompts()
            waiting = [i for i, p in enumerate(prompts) if p is not None and p in ("[ ]:", "")]
            if not waiting or not go_on_after_errors:
                break
            run.restarts += 1
            if run.restarts > len(prompts):
                raise AssertionError(f"cells that will not run: {waiting}")
            self.cell(waiting[0]).locator(".jp-InputPrompt").click()
            # JupyterLab greys out "...and All Below" on the last cell, and
            # "Run Selected Cell" there would add a cell.
            self.menu("Run", "Run Selected Cell and Do not Advance"
                      if waiting[0] == len(prompts) - 1
                      else "Run Selected Cell and All Below")
        run.seconds = time.monotonic() - started
        return run

    def _wait_until_done(self, run: Run, watch, deadline: float, every: float) -> None:
        # Queued and running cells show "[*]:"; done when none has for a while
        # and the kernel is idle.
        quiet_since = None
        while True:
            if watch is not None:
                run.samples.append(watch())
            busy = any(p == "[*]:" for p in self.prompts() if p is not None)
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.5:
                sessions = self.lab.api("GET", "/api/sessions")
                if all(s["kernel"]["execution_state"] == "idle" for s in sessions):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cells still running: {self.prompts()}")
            time.sleep(every)

    # reading ---------------------------------------------------------------------

    def cell(self, index: int):
        return self.page.locator(_PANEL + " .jp-Notebook .jp-Cell").nth(index)

    def cell_text(self, index: int) -> str:
        """What the learner reads under a cell: its outputs, as text."""
        outputs = self.cell(index).locator(".jp-OutputArea")
        return outputs.inner_text() if outputs.count() else ""

    def cell_errors(self, index: int) -> str:
        """The tracebacks a cell shows ("" when it shows none)."""
        errors = self.cell(index).locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        return "\n".join(errors.all_inner_texts())

    def images(self, index: int) -> list[dict[str, int]]:
        """Sizes of the images (plots) a cell's output shows, as drawn."""
        return self.cell(index).locator(".jp-OutputArea img").evaluate_all(
            "imgs => imgs.map(i => ({width: i.naturalWidth, height: i.naturalHeight,"
            " shown: i.getBoundingClientRect().width}))")

    def monitor_history(self) -> list[int]:
        """The counts the monitor's line is drawn from, oldest first."""
        counts = self.page.evaluate(
            f"""() => document.querySelector('{_PANEL} svg.thread-history')
                       ?.getAttribute('data-counts') ?? ''""")
        return [int(c) for c in counts.split()]

    def monitor_values(self) -> dict[str, int]:
        """The live thread monitor's counts as shown: {"Python threads": 12, ...}."""
        return self.page.evaluate(_MONITOR_JS)

    # nbgrader ----------------------------------------------------------------------

    def validate(self, timeout: float = 120.0) -> tuple[str, str]:
        """Click nbgrader's Validate button; return the result dialog's kind and text.

        The kind is the class nbgrader gives the dialog's body:
        "validation-success", "validation-failed", ... or "error".
        """
        self.page.get_by_title("Validate Assignment").click()
        dialog = self.page.locator(".jp-Dialog", has_text="Validation Results")
        dialog.wait_for(timeout=timeout * 1000)
        body = dialog.locator(".jp-Dialog-body")
        kinds = dialog.locator("[class*='validation-']").evaluate_all(
            "nodes => nodes.flatMap(n => [...n.classList]"
            ".filter(c => c.startsWith('validation-')))")
        return (kinds[0] if kinds else "error"), body.inner_text()

    def close_dialog(self) -> None:
        self.page.locator(".jp-Dialog .jp-mod-accept").click()
        self.page.locator(".jp-Dialog").wait_for(state="detached")

    # evidence ----------------------------------------------------------------------

    def screenshot(self, name: str, locator=None) -> Path:
        """Save what the learner sees (the window, or one element) under test-artifacts/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / (re.sub(r"[^\w.-]+", "-", name).strip("-") + ".png")
        if locator is None:
            self.page.screenshot(path=str(path))
        else:
            locator.scroll_into_view_if_needed()
            locator.screenshot(path=str(path))
        return path

    def scroll_to(self, index: int) -> None:
        self.cell(index).scroll_into_view_if_needed()
