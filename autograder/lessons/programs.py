"""Run a lesson's program in a child Python process, so its leaks and hangs
cannot poison the learner's kernel, and show it beside the Go original."""

from __future__ import annotations

import html
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"


def source_of(name: str) -> str:
    """The text of ``programs/<name>`` (a .py port or a .go original)."""
    return (PROGRAMS / name).read_text()


def _title(name: str) -> str:
    if name.endswith(".go"):
        return "Go (the book)"
    return "Python, asyncio tasks" if name.endswith("_tasks.py") else "Python (the port)"


def side_by_side(go_name: str, *python_names: str):
    """An HTML display of the Go original beside its Python ports (threads,
    tasks: each titled by its file name's ending)."""
    from IPython.display import HTML
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import GoLexer, PythonLexer

    formatter = HtmlFormatter(nowrap=False, style="default")
    columns = []
    for name in (go_name, *python_names):
        lexer = GoLexer() if name.endswith(".go") else PythonLexer()
        code = highlight(source_of(name), lexer, formatter)
        columns.append(f'<div style="flex:1;min-width:20em;overflow:auto">'
                       f'<b>{html.escape(_title(name))}</b>{code}</div>')
    style = f"<style>{formatter.get_style_defs('.highlight')}</style>"
    return HTML(style + '<div style="display:flex;flex-wrap:wrap;gap:1em">'
                + "".join(columns) + "</div>")


@dataclass
class Finished:
    """How a child process ended: its output, and whether it hung."""

    stdout: str
    stderr: str
    returncode: int | None  # None: it did not exit and was killed
    hung: bool


def run_python(code: str, timeout: float, stdin: str = "",
               args: Sequence[str] = ()) -> Finished:
    """Run ``code`` (with ``args`` in its ``sys.argv``) in a fresh interpreter;
    kill it if it outlives ``timeout``."""
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(stdin, timeout=timeout)
        return Finished(out, err, process.returncode, hung=False)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        return Finished(out, err, None, hung=True)


def start_program(name: str) -> subprocess.Popen:
    """Start ``programs/<name>`` with pipes for a conversation, line by line."""
    return subprocess.Popen(
        [sys.executable, "-u", str(PROGRAMS / name)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)


def memory_kib(pid: int) -> dict[str, int]:
    """Resident and virtual memory of a process, from /proc/<pid>/status."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmSize", "Threads"):
            values[key] = int(rest.split()[0])
    return values
