"""JupyterLab as a learner should see it: Validate, and none of the instructor's tools.

    python -m course_tools.learner_lab CONFIG_DIR

writes the settings into a Jupyter configuration folder (Binder's postBuild
gives it the environment's ``etc/jupyter``; a test gives it a scratch one).
nbgrader installs every panel for everyone; its install guide turns the
instructor's off by disabling their lab plugins and server extensions, as
here. The Assignments panel goes too: it needs an exchange, which a lone
JupyterLab or Binder does not have (on a hub with an exchange, leave it on).
JupyterLab's news pop-up goes as well: a learner has a lesson to read.
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
    "@jupyter/nbgrader:assignment-list",    # fetch and submit: needs an exchange
    "@jupyter/nbgrader:menu",               # a menu of the panels above, empty now
    "@jupyterlab/apputils-extension:announcements",  # "would you like news?"
)
# The server side of the same panels.
HIDDEN_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.assignment_list",
)
SERVER_SETTINGS = "jupyter_server_config.d/zz-goroutine-leaks-learner.json"


def write(config_dir: Path) -> list[Path]:
    """Write (or merge) the learner's settings into ``config_dir``; the files written."""
    page_config = config_dir / "labconfig" / "page_config.json"
    settings = json.loads(page_config.read_text()) if page_config.exists() else {}
    settings.setdefault("disabledExtensions", {}).update(
        {plugin: True for plugin in HIDDEN_PLUGINS})
    server = config_dir / SERVER_SETTINGS
    for path, content in ((page_config, settings), (server, {"ServerApp": {
            "jpserver_extensions": {name: False for name in HIDDEN_SERVER_EXTENSIONS}}})):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n")
    return [page_config, server]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    for path in write(Path(argv[0])):
        print(f"learner settings: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
