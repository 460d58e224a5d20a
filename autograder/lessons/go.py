"""Build and run the book's Go programs beside their Python ports.

Plumbing, not a lesson: the notebook cell says what is fed to the program
and what to look for; this module compiles the program once (cached), runs
it in a child process with a deadline, and hands back what it printed.

Where no Go toolchain is installed, or while nbgrader grades the notebook
(grading never runs Go), a cell gets the output recorded when the course was
built, labelled with the Go version and machine it came from. Recordings are
keyed by the program's source and the run's parameters, so a changed cell
cannot show a stale recording: ``make go-recordings`` writes them again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import live_demos_enabled
from .programs import PROGRAMS, source_of

RECORDED = PROGRAMS / "recorded"
BOOK_ADDRESS = '"www.163.com:80"'  # programs C and D dial the book's web server
KEEP_LINES = 12  # of a program's output, the first lines kept (and its last)
# Set to "write" by `make go-recordings`: each run is recorded.
RECORDINGS_ENV = "GO_RECORDINGS"


@dataclass
class GoRun:
    """What one run of a Go program printed, and how it ended."""

    first_lines: list[str]
    last_line: str
    lines: int
    returncode: int | None  # None: still running at its deadline, and killed
    seconds: float
    rss_kib: int  # resident memory just before it ended or was killed
    ran_with: str  # "go1.27.3 linux/amd64, 2 CPUs" and, when recorded, "(recorded)"
    extra: dict = field(default_factory=dict)

    @property
    def killed(self) -> bool:
        return self.returncode is None

    @property
    def recorded(self) -> bool:
        """Shown from a recording: it ran elsewhere, and dialled no server here."""
        return "(recorded)" in self.ran_with


def toolchain() -> str | None:
    """The `go` command, if one is installed and works."""
    go = shutil.which("go")
    if go is None:
        return None
    try:
        subprocess.run([go, "version"], capture_output=True, check=True, timeout=30,
                       env=_go_env())
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.abspath(go)


def run_go(program: str, feed: list[str] = (), *, pause: float = 0.05,
           close_input: bool = True, seconds: float = 1.0, address: tuple | None = None,
           gomaxprocs: int | None = None) -> GoRun:
    """Run ``programs/<program>``: write each line of ``feed`` to its input,
    ``pause`` seconds apart, close the input if ``close_input``, and kill it
    ``seconds`` after the last line if it has not ended. ``address`` replaces
    the book's web server in programs C and D; ``gomaxprocs`` sets GOMAXPROCS.
    """
    params = dict(program=program, feed=list(feed), pause=pause, close_input=close_input,
                  seconds=seconds, gomaxprocs=gomaxprocs, source=_digest(source_of(program)))
    go = toolchain() if live_demos_enabled() else None
    if go is None:
        return _recorded(params)
    binary = build(program, go)
    run = _run(binary, params, address)
    if os.environ.get(RECORDINGS_ENV) == "write":
        _record(params, run)
    return run


def build(program: str, go: str) -> Path:
    """Compile ``programs/<program>`` (cached by its source and Go's version).

    The book's address is read from the GO_DIAL_ADDRESS variable instead, so
    one binary serves every run; nothing else of the program changes.
    """
    source = source_of(program).replace(BOOK_ADDRESS, 'os.Getenv("GO_DIAL_ADDRESS")')
    if source != source_of(program):
        source = source.replace("import (", 'import (\n\t"os"', 1)
    version = subprocess.run([go, "version"], capture_output=True, text=True,
                             env=_go_env()).stdout
    folder = _cache() / _digest(source + version)
    binary = folder / program.removesuffix(".go")
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.go").write_text(source)
        (folder / "VERSION").write_text(version)
        built = subprocess.run([go, "build", "-o", binary.name, "main.go"], cwd=folder,
                               capture_output=True, text=True, env=_go_env(), timeout=600)
        if built.returncode != 0:
            raise RuntimeError(f"go build {program} failed:\n{built.stderr}")
    return binary


def _run(binary: Path, params: dict, address: tuple | None) -> GoRun:
    env = dict(os.environ)
    if address is not None:
        env["GO_DIAL_ADDRESS"] = f"{address[0]}:{address[1]}"
    if params["gomaxprocs"] is not None:
        env["GOMAXPROCS"] = str(params["gomaxprocs"])
    started = time.monotonic()
    process = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env)
    printed = _Printed()
    reader = threading.Thread(target=printed.read, args=(process.stdout,), daemon=True)
    reader.start()
    try:
        for line in params["feed"]:
            process.stdin.write(f"{line}\n".encode())
            process.stdin.flush()
            time.sleep(params["pause"])
        if params["close_input"]:
            process.stdin.close()
    except BrokenPipeError:
        pass
    try:
        returncode = process.wait(params["seconds"])
        rss = 0
    except subprocess.TimeoutExpired:
        rss = _rss_kib(process.pid)
        process.kill()
        process.wait()
        returncode = None
    elapsed = time.monotonic() - started
    reader.join(5)
    return GoRun(printed.first, printed.last, printed.count, returncode, round(elapsed, 2),
                 rss, _machine(binary))


class _Printed:
    """A program's output, counted without keeping it all (program A prints
    tens of thousands of lines a second once its input has ended)."""

    def __init__(self) -> None:
        self.first: list[str] = []
        self.last = ""
        self.count = 0
        self._partial = b""

    def read(self, stream) -> None:
        while chunk := stream.read1(65536):
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            for line in lines[:max(0, KEEP_LINES - len(self.first))]:
                self.first.append(line.decode(errors="replace"))
            if lines:
                self.last = lines[-1].decode(errors="replace")
            self.count += len(lines)


# --- recordings --------------------------------------------------------------------

def _key(params: dict) -> str:
    return f"{params['program'].removesuffix('.go')}-{_digest(json.dumps(params, sort_keys=True))}"


_calls: dict[str, int] = {}  # key -> runs so far in this process: the n-th gets the n-th


def _record(params: dict, run: GoRun) -> None:
    """Keep ``run``; repeated runs of one call (program B's ten) are kept in order."""
    key = _key(params)
    path = RECORDED / f"{key}.json"
    runs = json.loads(path.read_text())["runs"] if key in _calls else []
    _calls[key] = _calls.get(key, 0) + 1
    RECORDED.mkdir(exist_ok=True)
    path.write_text(json.dumps({"params": params, "runs": runs + [asdict(run)]},
                               indent=1) + "\n")


def _recorded(params: dict) -> GoRun:
    key = _key(params)
    path = RECORDED / f"{key}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"No Go toolchain here, and no recorded output for this run of "
            f"{params['program']} ({path.name}): a maintainer runs `make go-recordings`.")
    runs = json.loads(path.read_text())["runs"]
    run = GoRun(**runs[_calls.get(key, 0) % len(runs)])
    _calls[key] = _calls.get(key, 0) + 1
    run.ran_with += " (recorded)"
    return run


def _machine(binary: Path) -> str:
    """The Go version ``binary`` was built with, and this machine's CPUs."""
    version = (binary.parent / "VERSION").read_text().split()
    return f"{' '.join(version[2:4])}, {os.cpu_count()} CPUs, {platform.machine()}"


def _go_env() -> dict:
    """Go's environment for building here: this toolchain, offline, quiet."""
    return dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOTELEMETRY="off",
                GOFLAGS="", GOCACHE=str(_cache() / "build"), GO111MODULE="on")


def _cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "goroutine-leaks-go"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def build_all() -> int:
    """Compile every Go program of the course now, so no lesson waits for it."""
    go = toolchain()
    if go is None:
        print("no Go toolchain: the lessons will show recorded Go output")
        return 0
    for path in sorted(PROGRAMS.glob("*.go")):
        build(path.name, go)
    print(f"Go programs built with {go} (cached in {_cache()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(build_all())
