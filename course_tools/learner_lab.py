"""JupyterLab as a learner should see it: Validate, and none of the instructor's tools.

    python -m course_tools.learner_lab [--exchange] CONFIG_DIR

writes the settings into a Jupyter configuration folder (Binder's postBuild
gives it the environment's ``etc/jupyter``; the classroom hub gives it the
students' folder, deploy/jupyterhub; a test gives it a scratch one).
nbgrader installs every panel for everyone; its install guide turns the
instructor's off by disabling their lab plugins and server extensions, as
here. The Assignments panel (fetch, submit, feedback) and nbgrader's menu,
which opens it, need an exchange: a lone JupyterLab or Binder has none, so
they go too, unless ``--exchange`` says there is one (a hub). JupyterLab's
news pop-up goes as well: a learner has a lesson to read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# What a learner is not shown (lab plugins, by id).
HIDDEN_PLUGINS = (
    "@jupyter/nbgrader:formgrader",         # grading the class
    "@jupyter/nbgrader:create-assignment",  # authoring assignments
    "@jupyter/nbgrader:course-list",        # the instructor's courses
    "@jupyterlab/apputils-extension:announcements",  # "would you like news?"
)
# The server side of the same panels.
HIDDEN_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)
# Hidden too where there is no exchange: fetch and submit, and the menu that
# would hold only them.
EXCHANGE_PLUGINS = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:menu")
EXCHANGE_SERVER_EXTENSIONS = ("nbgrader.server_extensions.assignment_list",)
SERVER_SETTINGS = "jupyter_server_config.d/zz-goroutine-leaks-learner.json"


def write(config_dir: Path, exchange: bool = False) -> list[Path]:
    """Write (or merge) the learner's settings into ``config_dir``; the files
    written. ``exchange``: learners fetch and submit through nbgrader's exchange."""
    plugins = HIDDEN_PLUGINS + (() if exchange else EXCHANGE_PLUGINS)
    extensions = HIDDEN_SERVER_EXTENSIONS + (() if exchange else EXCHANGE_SERVER_EXTENSIONS)
    page_config = config_dir / "labconfig" / "page_config.json"
    settings = json.loads(page_config.read_text()) if page_config.exists() else {}
    settings.setdefault("disabledExtensions", {}).update({plugin: True for plugin in plugins})
    server = config_dir / SERVER_SETTINGS
    for path, content in ((page_config, settings), (server, {"ServerApp": {
            "jpserver_extensions": {name: False for name in extensions}}})):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n")
    return [page_config, server]


def main(argv: list[str]) -> int:
    exchange = "--exchange" in argv
    folders = [arg for arg in argv if arg != "--exchange"]
    if len(folders) != 1 or folders[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    for path in write(Path(folders[0]), exchange):
        print(f"learner settings: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
