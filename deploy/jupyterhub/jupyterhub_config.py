"""JupyterHub for the goroutine-leak course on one server (README, "A classroom hub").

Run as root, from the environment ``python -m course_tools.hub install`` built:

    /opt/goroutine-leaks-hub/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py

Users are the server's own (PAM: their Unix name and password). Those in the
group goroutine-instructors log in as instructors (every nbgrader panel, hub
admin); those in goroutine-students as students (the Assignments panel and
Validate); nobody else gets in. Each user's server runs as that user, from
the same environment, with the Jupyter settings of their role that
``python -m course_tools.hub prepare`` wrote under the state folder
(GOROUTINE_HUB_STATE, default /srv/goroutine-leaks), where the hub keeps its
own files too.
"""

import os
import sys
from pathlib import Path

from course_tools import hub

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

PREFIX = Path(sys.prefix)  # the environment this hub runs from
STATE = Path(os.environ.get("GOROUTINE_HUB_STATE", hub.STATE))

# Where people connect: every address, port 8000. Put it behind HTTPS (a
# reverse proxy, or c.JupyterHub.ssl_cert / ssl_key) before students log in.
c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.command = [str(hub.proxy_command(PREFIX))]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
# When the hub stops, so do the proxy and every user's server.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Who may log in, and who is an instructor.
c.PAMAuthenticator.allowed_groups = {hub.INSTRUCTORS, hub.STUDENTS}
c.PAMAuthenticator.admin_groups = {hub.INSTRUCTORS}
c.PAMAuthenticator.open_sessions = False  # no login sessions: servers, not shells

# Each user's server: JupyterLab, as that user, in their home.
c.Spawner.cmd = [str(PREFIX / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120


def settings_of_their_role(spawner):
    """Instructors' servers read the instructors' settings; everyone else's, the
    students'. PATH puts the course's python and nbgrader first (in terminals
    too: the settings start them as plain, not login, shells)."""
    role = "instructors" if hub.is_instructor(spawner.user.name) else "students"
    spawner.environment.update({
        "JUPYTER_CONFIG_PATH": str(hub.role_config(STATE, role)),
        "PATH": f"{PREFIX / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    })


c.Spawner.pre_spawn_hook = settings_of_their_role
