"""A classroom on JupyterHub, the whole cycle, for real (README, "A classroom hub").

The hub is deploy/jupyterhub/jupyterhub_config.py on 127.0.0.1, run from the
environment ``course_tools.hub install`` builds, with the state ``prepare``
makes; its users are Unix users made for the run (so: root only). The
instructor releases lesson 01 with nbgrader; two students log in in Chromium,
fetch it from the Assignments panel, one solves it and one does not, both
submit in the panel; the instructor collects, grades with the course's batch
grader and releases feedback; each student fetches it in the panel and reads
it. The last test stops the hub and checks that nothing of it is left.
"""

from __future__ import annotations

import csv
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from browser_helpers import SCREENSHOTS, VIEWPORT, chromium, in_ci, require_chromium
from course_tools import hub
from course_tools.answers import REFERENCE, reference_answers, student_notebook
from course_tools.net import free_port

pytestmark = [pytest.mark.hub, pytest.mark.browser, pytest.mark.grading, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
LESSON = "01_leaky_consumer"
# Built once and kept between runs, like pip's cache: a minute or two to build.
PREFIX = Path(os.environ.get("GOROUTINE_HUB_TEST_PREFIX", "/opt/goroutine-leaks-hub-test"))
INSTRUCTOR, SOLVER, IDLER = "gltest-teacher", "gltest-ada", "gltest-bob"
USERS = {INSTRUCTOR: hub.INSTRUCTORS, SOLVER: hub.STUDENTS, IDLER: hub.STUDENTS}


def _missing() -> str | None:
    """Why this machine cannot run the hub test, or None."""
    if os.geteuid() != 0:
        return "it creates Unix users for the hub, which needs root (CI runs as root)"
    for tool in ("useradd", "userdel", "groupadd", "chpasswd", "runuser", "npm", "bwrap"):
        if shutil.which(tool) is None:
            return f"it needs {tool}, which is missing"
    if not Path(hub.SYSTEM_PYTHON).exists():
        return f"it builds the hub's environment from {hub.SYSTEM_PYTHON}, which is missing"
    return None


@pytest.fixture(scope="module", autouse=True)
def _can_run():
    reason = _missing()
    if reason:
        if in_ci():
            pytest.fail(f"CI=true but the hub test cannot run: {reason}")
        pytest.skip(f"the hub test cannot run here: {reason}")
    require_chromium()


# --- users, commands as them ------------------------------------------------------------

def _remove_user(name: str) -> None:
    subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def _processes_of(user: str, within: float) -> subprocess.CompletedProcess:
    """``pgrep -u user``, again until it finds none or ``within`` seconds pass."""
    deadline = time.monotonic() + within
    while True:
        running = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True)
        if not running.stdout.strip() or time.monotonic() > deadline:
            return running
        time.sleep(0.2)


def _home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def as_user(user: str, state: Path, *command: str, cwd: Path | None = None,
            timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``command`` as ``user``, with what the hub gives their server: their
    home, the environment's PATH and their role's Jupyter settings. ``check``:
    fail the test unless it succeeds."""
    role = "instructors" if USERS[user] == hub.INSTRUCTORS else "students"
    environment = [f"HOME={_home(user)}", f"USER={user}", "LANG=C.UTF-8",
                   f"PATH={PREFIX / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                   f"JUPYTER_CONFIG_PATH={hub.role_config(state, role)}"]
    done = subprocess.run(["runuser", "-u", user, "--", "env", "-i", *environment, *command],
                          cwd=cwd or _home(user), capture_output=True, text=True,
                          timeout=timeout)
    assert not check or done.returncode == 0, (
        f"{' '.join(command)} as {user}:\n{done.stdout}\n{done.stderr}")
    return done


# --- the hub ------------------------------------------------------------------------

@dataclass
class Classroom:
    state: Path
    password: str
    port: int = field(default_factory=free_port)
    internal_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))
    process: subprocess.Popen | None = None
    made_groups: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # what teardown found still there

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> None:
        config = self.state / "test_jupyterhub_config.py"
        config.write_text(
            f"load_subconfig({str(ROOT / 'deploy' / 'jupyterhub' / 'jupyterhub_config.py')!r})\n"
            "# The test's hub: 127.0.0.1 only, on ports free now.\n"
            f"c.JupyterHub.bind_url = {self.url!r}\n"
            f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{self.internal_ports[0]}'\n"
            f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{self.internal_ports[1]}'\n"
            "c.Spawner.ip = '127.0.0.1'\n")
        log = (self.state / "jupyterhub.log").open("wb")
        self.process = subprocess.Popen(
            [str(PREFIX / "bin" / "jupyterhub"), "-f", str(config)], cwd=self.state,
            env={"PATH": f"{PREFIX / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8",
                 "GOROUTINE_HUB_STATE": str(self.state)},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the hub exited:\n{self.log()}"
            try:
                with urllib.request.urlopen(f"{self.url}/hub/health", timeout=5):
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.3)
        raise TimeoutError(f"the hub did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return (self.state / "jupyterhub.log").read_text(errors="replace")[-4000:]

    def stop_and_remove(self) -> list[str]:
        """Stop the hub (it stops the proxy and every user's server), remove the
        users, groups and state; what was still there after (ideally nothing)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.left.append("the hub did not stop within 30 s of SIGTERM")
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for user in USERS:
            running = _processes_of(user, within=5.0)  # terminals end as their pty closes
            if running.stdout.strip():
                self.left.append(f"processes of {user} after the hub stopped: "
                                 f"{running.stdout.split()}")
            _remove_user(user)
        for group in self.made_groups:
            subprocess.run(["groupdel", group], capture_output=True)
        self.made_groups = []
        for port in (self.port, *self.internal_ports):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    self.left.append(f"something still listens on 127.0.0.1:{port}")
        shutil.rmtree(self.state, ignore_errors=True)
        return self.left


@pytest.fixture(scope="module")
def classroom():
    """Users made, the environment built, the state prepared, the course in the
    instructor's home, lesson 01 released, the hub started."""
    for user in USERS:  # left by a run that was killed
        _remove_user(user)
    hub.install(PREFIX)
    state = Path(tempfile.mkdtemp(prefix="goroutine-hub-"))
    room = Classroom(state, secrets.token_urlsafe(12))
    try:
        for group in sorted(set(USERS.values())):
            if subprocess.run(["getent", "group", group], capture_output=True).returncode:
                subprocess.run(["groupadd", group], check=True)
                room.made_groups.append(group)
        for user, group in USERS.items():
            subprocess.run(["useradd", "--create-home", "--key", "HOME_MODE=0700", "--groups",
                            group, "--shell", "/bin/bash", user], check=True)
            subprocess.run(["chpasswd"], input=f"{user}:{room.password}\n", text=True,
                           check=True)
        hub.prepare(state, INSTRUCTOR)
        course = _home(INSTRUCTOR) / "course"
        course.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", course)
        for part in ("source", "notebooks"):
            shutil.copytree(ROOT / part / LESSON, course / part / LESSON)
        subprocess.run(["chown", "-R", f"{INSTRUCTOR}:", str(course)], check=True)
        as_user(INSTRUCTOR, state, "python", "-m", "course_tools.gradebook_api", LESSON,
                cwd=course)
        as_user(INSTRUCTOR, state, "nbgrader", "release_assignment", LESSON, cwd=course)
        room.start()
        yield room
    finally:
        room.stop_and_remove()


@pytest.fixture(scope="module")
def browser(classroom):
    with chromium() as launched:
        yield launched


# --- a student's browser ------------------------------------------------------------------

class HubPage:
    """One user's JupyterLab on the hub, and the Assignments panel's steps."""

    def __init__(self, page, room: Classroom, user: str) -> None:
        self.page, self.room, self.user = page, room, user

    def log_in(self) -> None:
        self.page.goto(f"{self.room.url}/hub/login")
        self.page.fill("#username_input", self.user)
        self.page.fill("#password_input", self.room.password)
        self.page.click("#login_submit")
        self.page.wait_for_url(re.compile(f"/user/{self.user}/lab"), timeout=150_000)
        self.page.locator("#jp-menu-panel").wait_for(timeout=60_000)

    def open_assignments(self) -> None:
        self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(
            "^Nbgrader$")).click()
        self.page.locator(".lm-Menu:not(.lm-MenuBar) .lm-Menu-itemLabel",
                          has_text=re.compile("^Assignment List$")).click()
        self.page.locator("#released_assignments_list").wait_for()

    def menu_items(self) -> list[str]:
        self.page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(
            "^Nbgrader$")).click()
        opened = self.page.locator(".lm-Menu:not(.lm-MenuBar)").last
        opened.wait_for()
        items = [text.strip() for text in opened.locator(".lm-Menu-itemLabel").all_inner_texts()]
        self.page.keyboard.press("Escape")
        return [item for item in items if item]

    def press(self, listing: str, button: str, then: str, timeout: float = 60) -> None:
        """Click ``button`` in the row of the lesson in ``listing``; wait until
        the lesson shows up in ``then``."""
        row = self.page.locator(f"#{listing} .list_item", has_text=LESSON)
        row.get_by_role("button", name=button, exact=True).click()
        self.page.locator(f"#{then} .list_item", has_text=LESSON).first.wait_for(
            timeout=timeout * 1000)

    def refresh(self) -> None:
        self.page.locator("#refresh_assignments_list").click()
        self.page.locator("#submitted_assignments_list .list_item", has_text=LESSON
                          ).first.wait_for()

    def screenshot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"hub-{self.user}-{step}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def pages(classroom, browser):
    opened = {}
    for user in USERS:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(30_000)
        opened[user] = HubPage(context.new_page(), classroom, user)
    yield opened
    for page in opened.values():
        page.page.context.close()


@pytest.fixture(scope="module")
def students(pages):
    return {user: pages[user] for user in (SOLVER, IDLER)}


# --- the cycle, in order --------------------------------------------------------------------

def test_students_log_in_and_see_the_assignments_panel_not_the_instructors_tools(students):
    for student in students.values():
        student.log_in()
        assert student.menu_items() == ["Assignment List"], student.user
        student.open_assignments()
        student.page.locator("#released_assignments_list .list_item",
                             has_text=LESSON).wait_for()
        student.screenshot("1-released")


def test_the_instructor_sees_every_nbgrader_panel_and_a_terminal_runs_the_courses_tools(
        pages):
    """The README's instructor commands are typed in a terminal of the hub's
    JupyterLab: there, nbgrader and python must be the environment's."""
    instructor = pages[INSTRUCTOR]
    instructor.log_in()
    assert set(instructor.menu_items()) >= {"Assignment List", "Course List", "Formgrader",
                                            "Create assignment"}
    page = instructor.page
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile("^File$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^New$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Terminal$")).click()
    terminal = page.locator(".jp-Terminal").first
    terminal.locator(".xterm-screen").wait_for()
    time.sleep(1.0)  # the shell's prompt
    terminal.click()
    answer = _home(INSTRUCTOR) / "tools.txt"
    page.keyboard.type("(command -v nbgrader; command -v python) > ~/tools.txt")
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 30
    while not (answer.exists() and answer.read_text().count("\n") >= 2):
        if time.monotonic() > deadline:
            instructor.screenshot("0-instructors-terminal")
            pytest.fail("the terminal did not run the command (screenshot saved): "
                        f"{answer.read_text() if answer.exists() else 'no file'!r}")
        time.sleep(0.2)
    instructor.screenshot("0-instructors-terminal")
    assert answer.read_text().split() == [str(PREFIX / "bin" / "nbgrader"),
                                          str(PREFIX / "bin" / "python")]


def test_students_fetch_the_lesson_in_the_panel(students):
    for student in students.values():
        student.press("released_assignments_list", "Fetch", then="fetched_assignments_list")
        fetched = _home(student.user) / LESSON / f"{LESSON}.ipynb"
        assert fetched.exists() and fetched.stat().st_uid == pwd.getpwnam(student.user).pw_uid
        student.screenshot("2-fetched")


def test_a_fetched_notebook_opens_with_nbgraders_validate_button(classroom, students):
    idler = students[IDLER]
    page = idler.page
    page.goto(f"{classroom.url}/user/{IDLER}/lab/tree/{LESSON}/{LESSON}.ipynb")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator(".jp-Cell").first.wait_for(timeout=60_000)
    notebook.get_by_title("Validate Assignment").wait_for()  # fails the test if absent
    idler.screenshot("2-opened")
    page.goto(f"{classroom.url}/user/{IDLER}/lab")  # back to the panel, the notebook left
    page.locator("#jp-menu-panel").wait_for()
    idler.open_assignments()


def test_one_solves_it_one_does_not_and_both_submit(classroom, students):
    solved = student_notebook(LESSON, {k: REFERENCE for k in reference_answers(LESSON)})
    mine = _home(SOLVER) / LESSON / f"{LESSON}.ipynb"
    nbformat.write(solved, mine)  # the solver's own file, as the editor would save it
    owner = pwd.getpwnam(SOLVER)
    os.chown(mine, owner.pw_uid, owner.pw_gid)
    for student in students.values():
        student.press("fetched_assignments_list", "Submit", then="submitted_assignments_list")
        student.screenshot("3-submitted")
    inbound = classroom.state / "exchange" / hub.COURSE_ID / "inbound"
    names = sorted(path.name.split("+")[0] for path in inbound.iterdir())
    assert names == sorted([SOLVER, IDLER])


def test_the_instructor_collects_grades_and_releases_feedback(classroom, students):
    course = _home(INSTRUCTOR) / "course"
    as_user(INSTRUCTOR, classroom.state, "nbgrader", "collect", LESSON, cwd=course)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted([SOLVER, IDLER])
    graded = as_user(INSTRUCTOR, classroom.state, "python", "-m", "course_tools.batch", LESSON,
                     "--workers", "2", cwd=course)
    assert SOLVER in graded.stdout and IDLER in graded.stdout, graded.stdout  # its tables
    as_user(INSTRUCTOR, classroom.state, "nbgrader", "release_feedback", LESSON, cwd=course)
    with open(course / "exports" / "grades.csv", newline="") as grades:
        rows = {row["student_id"]: row for row in csv.DictReader(grades)
                if row["assignment"] == LESSON}
    assert float(rows[SOLVER]["score"]) == float(rows[SOLVER]["max_score"]) > 0
    assert float(rows[IDLER]["score"]) == 0


def test_each_student_fetches_their_feedback_in_the_panel_and_reads_it(classroom, students):
    for student in students.values():
        student.refresh()
        submitted = student.page.locator("#submitted_assignments_list")
        submitted.get_by_text("(feedback available to fetch)").wait_for()
        student.press("submitted_assignments_list", "Fetch Feedback",
                      then="submitted_assignments_list")
        submitted.get_by_text("(view feedback)").click()  # the file browser goes there
        student.page.locator(".jp-DirListing-item", has_text=LESSON + ".html").wait_for()
        student.screenshot("4-feedback-fetched")
        feedback = list((_home(student.user) / LESSON / "feedback").glob(f"*/{LESSON}.html"))
        assert len(feedback) == 1, student.user
        relative = feedback[0].relative_to(_home(student.user))
        student.page.goto(f"{classroom.url}/user/{student.user}/files/{relative}")
        text = student.page.locator("body").inner_text()
        student.screenshot("5-feedback")
        assert "hidden=True" not in text and "hidden tests were run for this cell" in text
        if student.user == SOLVER:
            assert re.search(r"\(Score: (\d+\.\d+) / \1\)", text) and "Test failed" not in text
        else:
            assert re.search(r"\(Score: 0\.0 / \d+\.\d+\)", text), text[:2000]
            assert "CheckFailed" in text or "NotImplementedError" in text


def test_a_student_cannot_read_the_solutions_or_a_classmates_work_or_take_the_exchange(
        classroom, students):
    """What a student's own code could try on the hub, as that student."""
    state = classroom.state
    source = _home(INSTRUCTOR) / "course" / "source" / LESSON / f"{LESSON}.ipynb"
    classmate = _home(IDLER) / LESSON / f"{LESSON}.ipynb"
    course = state / "exchange" / hub.COURSE_ID
    for attempt in (["cat", str(source)], ["cat", str(classmate)],
                    ["mv", str(course), str(course) + "-mine"], ["rm", "-rf", str(course)],
                    ["mkdir", str(course / "outbound" / "01_mine")]):
        tried = as_user(SOLVER, state, *attempt, check=False)
        assert tried.returncode != 0, f"{attempt} succeeded as a student"
        assert "Permission denied" in tried.stderr or "Operation not permitted" in tried.stderr
    assert (course / "outbound" / LESSON).is_dir()


def test_nothing_of_the_hub_is_left_after_it_stops(classroom):
    left = classroom.stop_and_remove()
    assert left == []
    for user in USERS:
        assert subprocess.run(["id", user], capture_output=True).returncode != 0
    assert not classroom.state.exists()
