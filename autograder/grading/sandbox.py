"""Seal off a process that runs learner code, with bubblewrap.

A submission's code runs on the grader's machine, and anything it can reach it
can change: the gradebook, the grader's own source, other students' files, the
processes that grade them. ``command()`` wraps a program (the learner's kernel,
the re-check) so that, inside the sandbox:

* the file system starts empty: only the system's programs and libraries
  (``/usr``, ``/etc`` less its secrets), the Python environment and the
  grader's package are there, read-only; the course directory (gradebook,
  ``source/``, the ledger, every student's files), homes, ``/run`` (database
  sockets), the host's ``/tmp`` and everything else do not exist there;
* writes go to a private working folder, ``/tmp``, ``/dev/shm`` and home, each a
  size-bounded tmpfs that vanishes with the sandbox;
* the network is a loopback of its own (lesson 02 needs loopback sockets);
* processes live in a pid namespace of their own: when the sandbox ends,
  everything started in it ends too, ``setsid`` or not, and nothing outside
  can be seen or signalled;
* the environment holds only what a kernel needs (no passwords, no tokens);
* per-process limits (``prlimit``): CPU seconds, file size, no core files.

Memory and the number of threads and processes are watched from outside by
``watchdog.Watchdog``, which counts what is used rather than reserved.

Graded runs refuse to start without bubblewrap, unless the instructor sets
``AUTOGRADER_UNSAFE_NO_SANDBOX=1``: then the same limits apply, nothing else.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

UNSAFE_VARIABLE = "AUTOGRADER_UNSAFE_NO_SANDBOX"
MIB = 1024 * 1024

# What a kernel needs of the grader's environment; everything else is dropped.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "MPLBACKEND",
                  "NBGRADER_EXECUTION", "PYTHONUNBUFFERED", "PYTHONHASHSEED",
                  "PYDEVD_DISABLE_FILE_VALIDATION", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                  "OMP_NUM_THREADS", "JPY_SESSION_NAME",
                  "AUTOGRADER_CALL_DEADLINE", "AUTOGRADER_EXIT_DEADLINE",
                  "AUTOGRADER_HIDDEN_CASES_ELSEWHERE")
# The only parts of the machine a sandbox shows, read-only (symbolic links, as
# /bin -> usr/bin, are made again). Everything else is simply not there.
SYSTEM_FOLDERS_SHOWN = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What /etc holds that nobody's code needs: password hashes, keys, sudo rules.
SECRETS = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/ssh",
           "/etc/ssl/private", "/etc/sudoers", "/etc/sudoers.d", "/etc/security/opasswd",
           "/etc/krb5.keytab", "/etc/postgresql", "/etc/jupyter", "/etc/nbgrader")
# Never hidden, even when grading is started from one of them.
SYSTEM_FOLDERS = ("/", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/proc", "/sys",
                  "/dev", "/var", "/opt", "/home")


class SandboxMissing(RuntimeError):
    """Grading would run learner code unsealed; refuse, saying how to fix it."""


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use. Memory and tasks are enforced by the watchdog."""

    memory_mib: int = 2048       # resident memory of every process in the sandbox
    tasks: int = 2048            # threads and processes, all together
    cpu_seconds: int = 600       # per process; a busy loop is killed after this
    scratch_mib: int = 256       # each of: working folder, /tmp, /dev/shm, home
    file_mib: int = 256          # the largest file a process may write


def unsafe_requested() -> bool:
    return os.environ.get(UNSAFE_VARIABLE, "") not in ("", "0")


@functools.lru_cache(maxsize=1)
def bubblewrap() -> str | None:
    """The path of a ``bwrap`` that works here, or None."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    probe = [path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/",
             "--proc", "/proc", "--dev", "/dev", "--", "true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return path if ok else None


def require() -> str | None:
    """The bwrap to use; None when the instructor explicitly chose to go without.

    Raises SandboxMissing when there is none and no such choice was made.
    """
    if unsafe_requested():
        warnings.warn(f"{UNSAFE_VARIABLE} is set: learner code runs WITHOUT a sandbox and "
                      "can read and change anything this user can.", stacklevel=2)
        return None
    path = bubblewrap()
    if path is None:
        raise SandboxMissing(
            "Grading runs learner code, and needs bubblewrap to seal it off: "
            "install it (Debian: apt-get install bubblewrap) and check that `bwrap "
            "--unshare-all --ro-bind / / true` runs. To grade without a sandbox anyway, "
            f"on a machine you do not mind learners changing, set {UNSAFE_VARIABLE}=1.")
    return path


def command(program: list[str], *, workdir: str | os.PathLike, limits: Limits = Limits(),
            hidden: tuple[str, ...] = (), private: tuple[str, ...] = (),
            env: dict[str, str] | None = None) -> list[str]:
    """``program`` wrapped so that it runs sealed off, in ``workdir``.

    ``hidden``: more paths to hide (the course directory, a gradebook file).
    ``private``: host folders the program may write (the kernel's sockets).
    The files already in ``workdir`` are visible there read-only.
    """
    limited = prlimit(program, limits)
    path = require()
    if path is None:
        return limited
    return [path, *bwrap_arguments(Path(workdir), limits, hidden, private, env), "--", *limited]


def prlimit(program: list[str], limits: Limits) -> list[str]:
    return ["prlimit", f"--cpu={limits.cpu_seconds}", "--core=0",
            f"--fsize={limits.file_mib * MIB}", "--", *program]


def bwrap_arguments(workdir: Path, limits: Limits, hidden: tuple[str, ...],
                    private: tuple[str, ...], env: dict[str, str] | None) -> list[str]:
    """The sandbox starts from an empty root: only the system's programs and
    libraries, Python and the grader are shown, read-only; nothing else of the
    machine (the course, other students, homes, /work, /srv...) exists there."""
    size = str(limits.scratch_mib * MIB)
    home = Path.home()
    args = ["--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    for folder in SYSTEM_FOLDERS_SHOWN:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    args += ["--dev", "/dev", "--proc", "/proc"]
    for scratch in ("/tmp", "/var/tmp", "/dev/shm", str(home)):
        args += ["--size", size, "--tmpfs", scratch]
    for hide in _existing(hidden):  # within what is shown below, that stays shown
        args += _hiding(hide)
    for show in _existing(shown_read_only()):
        args += ["--ro-bind", show, show]
    for hide in _existing(SECRETS):
        args += _hiding(hide)
    args += ["--size", size, "--tmpfs", str(workdir)]
    for entry in _files_in(workdir):
        args += ["--ro-bind", str(entry), str(entry)]
    for folder in private:
        args += ["--bind", folder, folder]
    args += ["--clearenv", "--setenv", "HOME", str(home), "--setenv", "TMPDIR", "/tmp",
             "--setenv", "MALLOC_ARENA_MAX", "2"]
    source = os.environ if env is None else env
    for name in KEPT_VARIABLES:
        if name in source:
            args += ["--setenv", name, source[name]]
    return args + ["--chdir", str(workdir)]


def _hiding(path: str) -> list[str]:
    return (["--size", "4096", "--tmpfs", path] if os.path.isdir(path)
            else ["--ro-bind", "/dev/null", path])


def course_paths(config=None) -> tuple[str, ...]:
    """The course directory (where grading runs) and a gradebook kept elsewhere."""
    from nbgrader.coursedir import CourseDirectory

    course = CourseDirectory(config=config) if config is not None else None
    paths = [os.getcwd()] + ([course.root] if course else [])
    url = course.db_url if course else ""
    if url.startswith("sqlite:///"):
        paths.append(os.path.abspath(url[len("sqlite:///"):].split("?")[0]))
    return tuple(p for p in paths if p not in SYSTEM_FOLDERS)


def shown_read_only() -> list[str]:
    """What learner code may read although it lies in a hidden place: Python,
    its packages, the grader, and matplotlib's font cache (rebuilding it would
    cost every kernel seconds)."""
    import autograder

    paths = {sys.prefix, sys.base_prefix, os.path.realpath(sys.executable),
             str(Path(autograder.__file__).resolve().parent)}
    paths |= {p for p in sys.path if p and Path(p).is_dir() and "site-packages" in p}
    home = Path.home()
    paths |= {str(home / ".cache" / "matplotlib"), str(home / ".config" / "matplotlib")}
    return sorted(paths)


def _existing(paths) -> list[str]:
    seen: list[str] = []
    for path in paths:
        path = os.path.realpath(path)
        if os.path.lexists(path) and not os.path.islink(path) and path not in seen:
            seen.append(path)
    return seen


def _files_in(folder: Path, at_most: int = 200) -> list[Path]:
    """The regular files of the submission's folder (its notebook, data files)."""
    try:
        entries = sorted(folder.iterdir())[:at_most]
    except OSError:
        return []
    return [e for e in entries if e.is_file() and not e.is_symlink()]
