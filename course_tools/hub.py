"""The course on one JupyterHub: what root sets up once (README, "A classroom hub").

    python -m course_tools.hub install [PREFIX]
    python -m course_tools.hub prepare --instructor NAME [STATE]
    python -m course_tools.hub settings FOLDER --exchange ROOT

``install`` builds the environment every user's server runs in (default
/opt/goroutine-leaks-hub): a virtual environment made from the system's
Python, so that every user can run it (a Python under root's home is not
readable by them), with JupyterHub, the course package installed as a copy
(not linked to this checkout) at the versions grading runs
(constraints.txt), and the hub's proxy from the npm registry. Run again, it
does nothing unless the course or its pins changed.

``prepare`` makes the hub's state folder (default /srv/goroutine-leaks): the
exchange where assignments, submissions and feedback pass, and one Jupyter
configuration folder per role, which deploy/jupyterhub/jupyterhub_config.py
hands to each user's server. Students get the learner's JupyterLab with the
Assignments panel (``learner_lab --exchange``); instructors get every panel.
``settings`` writes only those two folders, for a hub whose users are not
the server's (Zero to JupyterHub: README).

The exchange follows nbgrader's permissions (its root writable by all), with
two changes that keep students from each other's and the instructor's work:
the root is sticky, so nobody removes or renames what another made there,
and the course's folder in it is made now, for the instructor, so that no
student can make it first. The instructor's home is closed to others: the
course's source notebooks, with every solution, live there.
"""

from __future__ import annotations

import argparse
import grp
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from . import learner_lab

ROOT = Path(__file__).resolve().parents[1]
PREFIX = Path("/opt/goroutine-leaks-hub")
STATE = Path("/srv/goroutine-leaks")
COURSE_ID = "goroutine-leaks"
# Unix groups: who may log in, and as what.
INSTRUCTORS = "goroutine-instructors"
STUDENTS = "goroutine-students"
SYSTEM_PYTHON = "/usr/bin/python3"
PROXY = "configurable-http-proxy@5.3.0"
# Pins of constraints.txt that need a newer Python than some servers have
# (Debian 12's is 3.11.2), with the version they need: on an older one pip
# chooses. Students and grading share the environment, so they still match.
NEEDS_NEWER_PYTHON = {"soupsieve": (3, 11, 5)}  # nbconvert's HTML export only
# What the environment is built from: when none of it changed, install does nothing.
_BUILT_FROM = ("pyproject.toml", "constraints.txt", "autograder", "course_tools")


def proxy_command(prefix: Path) -> Path:
    return prefix / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"


def role_config(state: Path, role: str) -> Path:
    """The Jupyter configuration folder of ``role`` ("students" or "instructors")."""
    return state / "jupyter" / role


def is_instructor(user: str) -> bool:
    """Whether ``user`` is in the instructors' group (as a member or by primary group)."""
    try:
        group = grp.getgrnam(INSTRUCTORS)
        return user in group.gr_mem or pwd.getpwnam(user).pw_gid == group.gr_gid
    except KeyError:
        return False


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in _BUILT_FROM:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       ) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def _constraints_for(python: str, to: Path) -> Path:
    """constraints.txt without the pins ``python`` is too old for; written to ``to``."""
    version = tuple(int(part) for part in subprocess.run(
        [python, "-c", "import sys; print(*sys.version_info[:3])"], capture_output=True,
        text=True, check=True).stdout.split())
    too_new = {name for name, needs in NEEDS_NEWER_PYTHON.items() if version < needs}
    kept = [line for line in (ROOT / "constraints.txt").read_text().splitlines()
            if line.split("==")[0].strip().lower() not in too_new]
    to.write_text("\n".join(kept) + "\n")
    return to


def install(prefix: Path = PREFIX, python: str = SYSTEM_PYTHON) -> Path:
    """Build (or bring up to date) the shared environment; its prefix."""
    stamp = prefix / ".goroutine-leaks-installed"
    wanted = _fingerprint()
    if stamp.exists() and stamp.read_text() == wanted:
        return prefix
    if not (prefix / "bin" / "python").exists():
        subprocess.run([python, "-m", "venv", str(prefix)], check=True)
    python = str(prefix / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    constraints = _constraints_for(python, prefix / "constraints.txt")
    subprocess.run([*pip, "-c", str(constraints), f"{ROOT}[hub]"], check=True)
    # A copy of the course as it is now (pip keeps an installed copy of the same
    # version), not an editable install: users' servers must not run this checkout.
    subprocess.run([*pip, "--force-reinstall", "--no-deps", str(ROOT)], check=True)
    subprocess.run(["npm", "install", "--silent", "--no-fund", "--no-audit",
                    "--prefix", str(prefix / "proxy"), PROXY], check=True)
    subprocess.run(["chmod", "-R", "a+rX", str(prefix)], check=True)
    stamp.write_text(wanted)
    return prefix


def _nbgrader_settings(exchange: Path, instructor: bool) -> str:
    lines = ["# Written by python -m course_tools.hub.",
             "c = get_config()  # noqa: F821",
             f"c.CourseDirectory.course_id = {COURSE_ID!r}",
             f"c.Exchange.root = {str(exchange)!r}"]
    if instructor:
        lines += ["import os",
                  "# The course: a clone of the course's repository in the instructor's home.",
                  "c.CourseDirectory.root = os.path.expanduser('~/course')"]
    return "\n".join(lines) + "\n"


def prepare(state: Path, instructor: str) -> Path:
    """Make the exchange and the settings per role under ``state``; ``state``."""
    owner = pwd.getpwnam(instructor)  # KeyError: no such user, said by main()
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)
    exchange = state / "exchange"
    exchange.mkdir(exist_ok=True)
    exchange.chmod(0o1777)  # nbgrader checks only the 0o777 part
    course = exchange / COURSE_ID
    course.mkdir(exist_ok=True)
    os.chown(course, owner.pw_uid, owner.pw_gid)
    course.chmod(0o755)
    os.chmod(owner.pw_dir, 0o700)
    write_settings(state / "jupyter", exchange)
    return state


# Terminals run bash, not as a login shell: a login shell reads /etc/profile,
# which sets PATH anew and loses the environment's bin folder (and with it
# nbgrader and the course's python) that the hub gives every server.
TERMINALS = {"ServerApp": {"terminado_settings": {"shell_command": ["/bin/bash"]}}}


def write_settings(folder: Path, exchange: Path) -> Path:
    """The Jupyter settings of each role, in ``folder``/students and
    ``folder``/instructors, readable by all; ``folder``."""
    for role in ("students", "instructors"):
        settings = folder / role
        if settings.exists():
            shutil.rmtree(settings)
        settings.mkdir(parents=True)
        # Not in jupyter_server_config.d/: only extensions' switches are read there.
        (settings / "jupyter_server_config.json").write_text(
            json.dumps(TERMINALS, indent=2) + "\n")
        (settings / "nbgrader_config.py").write_text(
            _nbgrader_settings(exchange, role == "instructors"))
        if role == "students":
            learner_lab.write(settings, exchange=True)
    subprocess.run(["chmod", "-R", "a+rX", str(folder)], check=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.hub",
                                     description=__doc__.split("\n\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    making = steps.add_parser("install", help="the environment every user's server runs in")
    making.add_argument("prefix", nargs="?", type=Path, default=PREFIX)
    making.add_argument("--python", default=SYSTEM_PYTHON,
                        help="a Python every user can run (default: %(default)s)")
    preparing = steps.add_parser("prepare", help="the exchange and the settings per role")
    preparing.add_argument("state", nargs="?", type=Path, default=STATE)
    preparing.add_argument("--instructor", required=True,
                           help="the instructor's user name (in the group " + INSTRUCTORS + ")")
    writing = steps.add_parser("settings", help="only the Jupyter settings of each role")
    writing.add_argument("folder", type=Path)
    writing.add_argument("--exchange", type=Path, required=True,
                         help="the exchange's root, as users' servers see it")
    args = parser.parse_args(argv)
    if args.step == "settings":
        print(f"settings of each role: {write_settings(args.folder, args.exchange)}")
        return 0
    if os.geteuid() != 0:
        print("Run this as root: it makes folders for every user of the hub.", file=sys.stderr)
        return 1
    if args.step == "install":
        if not Path(args.python).exists():
            print(f"No Python at {args.python}: install Debian's python3-venv, or give "
                  "--python, a Python every user can run.", file=sys.stderr)
            return 1
        print(f"environment ready: {install(args.prefix, args.python)}")
        return 0
    try:
        print(f"hub state ready: {prepare(args.state, args.instructor)}")
    except KeyError:
        print(f"No user {args.instructor!r}: create the instructor first "
              f"(useradd -m -G {INSTRUCTORS} {args.instructor}).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
