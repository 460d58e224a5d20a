"""The learner's JupyterLab settings, as Binder's postBuild writes them: into
the environment's own configuration folder, beside nbgrader's, and winning
over it. (The browser test, test_browser.py, shows what a learner then sees.)"""

import json
import re
import subprocess
from pathlib import Path

from jupyter_server.extension.config import ExtensionConfigManager

from course_tools import learner_lab

ROOT = Path(__file__).resolve().parents[1]

NBGRADER_ENABLES = {"ServerApp": {"jpserver_extensions": {  # as nbgrader installs it
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.course_list": True}}}


def test_beside_nbgraders_own_settings_only_validate_stays_on(tmp_path):
    folder = tmp_path / "jupyter_server_config.d"
    folder.mkdir()
    (folder / "nbgrader.json").write_text(json.dumps(NBGRADER_ENABLES))
    learner_lab.write(tmp_path)
    enabled = ExtensionConfigManager(read_config_path=[str(tmp_path)]).get_jpserver_extensions()
    assert {name for name, on in enabled.items() if on} == {
        "nbgrader.server_extensions.validate_assignment"}


def test_with_an_exchange_the_assignments_panel_stays_on_and_instructor_tools_go(tmp_path):
    """A hub's students fetch and submit (deploy/jupyterhub): the Assignments
    panel, its menu and Validate stay; Formgrader, Create Assignment and the
    course list go, as without an exchange."""
    folder = tmp_path / "jupyter_server_config.d"
    folder.mkdir()
    (folder / "nbgrader.json").write_text(json.dumps(NBGRADER_ENABLES))
    learner_lab.main(["--exchange", str(tmp_path)])
    enabled = ExtensionConfigManager(read_config_path=[str(tmp_path)]).get_jpserver_extensions()
    assert {name for name, on in enabled.items() if on} == {
        "nbgrader.server_extensions.validate_assignment",
        "nbgrader.server_extensions.assignment_list"}
    disabled = json.loads((tmp_path / "labconfig" / "page_config.json").read_text())
    assert {p for p, off in disabled["disabledExtensions"].items() if off} == {
        *learner_lab.HIDDEN_PLUGINS}
    assert "@jupyter/nbgrader:assignment-list" not in disabled["disabledExtensions"]


def test_the_lab_plugins_are_disabled_and_earlier_page_settings_kept(tmp_path):
    page_config = tmp_path / "labconfig" / "page_config.json"
    page_config.parent.mkdir()
    page_config.write_text(json.dumps({"disabledExtensions": {"some:plugin": True},
                                       "other": 1}))
    learner_lab.write(tmp_path)
    written = json.loads(page_config.read_text())
    assert written["other"] == 1 and written["disabledExtensions"]["some:plugin"] is True
    assert {p for p, off in written["disabledExtensions"].items() if off} == {
        "some:plugin", *learner_lab.HIDDEN_PLUGINS, *learner_lab.EXCHANGE_PLUGINS}
    assert "@jupyter/nbgrader:validate-assignment" not in written["disabledExtensions"]


def _recipe(target: str) -> str:
    done = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    return next(line for line in done.stdout.splitlines() if " lab " in line)


def test_make_lab_opens_the_learners_lab_and_lab_instructor_the_instructors():
    """`make lab` starts JupyterLab with the learner's settings read first (as the
    browser test's learner lab does); `make lab-instructor` without them."""
    learner = _recipe("lab")
    config = re.search(r"JUPYTER_CONFIG_PATH=(\S+) ", learner)
    assert config and learner.endswith("work/00_start_here/00_start_here.ipynb"), learner
    made = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    assert f"-m course_tools.learner_lab {config[1]}" in made
    assert "JUPYTER_CONFIG_PATH" not in _recipe("lab-instructor")
