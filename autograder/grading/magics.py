"""Cell magics in the re-check, run the way the learner's kernel ran them.

The re-check (``recheck.py``) runs the notebook's code cells again in a plain
Python process, where ``get_ipython()`` is a stand-in that runs no magic.
IPython turns a cell that starts with ``%%time`` into
``get_ipython().run_cell_magic("time", "", body)``, so there the body would
never run: a right answer written under ``%%time`` or ``%%capture`` would
define nothing, and its test would fail in the re-check after passing in the
kernel. ``unwrap`` rewrites such a cell, before it is compiled, into what the
magic does to the notebook's namespace:

* ``%%time``, ``%%capture``, ``%%prun``: the body runs once in the namespace,
  as in the kernel (without the timing, capture or profile, which change
  nothing there). ``%%capture name`` also binds ``name``, to an empty capture.
* ``%%timeit``: IPython runs the body inside a function of its own, many
  times; names it assigns are that function's and are not kept. Here the body
  runs once, in a function too, so it keeps no more names than it did in the
  kernel. Its setup statement (after the options) is not run.
* magics whose body is not Python for this process (``%%bash``, ``%%html``,
  ``%%writefile``, ``%%script`` and the like) stay as they are: the stand-in
  runs nothing, as it runs no shell command; any file was written by the kernel.
* any other cell magic (one from an extension, say) is taken to run its body
  as Python in the namespace, as most that take Python do, and so its body is
  run like ``%%time``'s. A body that is not Python makes that cell end in an
  error, which costs nothing by itself: only test cells are scored.

The magic's line becomes a comment and the body keeps its lines, so a report
still names a line as the notebook shows it ("In [7], line 4").
"""

from __future__ import annotations

import re
import textwrap

IN_NAMESPACE = frozenset({"time", "capture", "prun"})
OWN_SCOPE = frozenset({"timeit"})
NOT_PYTHON = frozenset({
    "bash", "sh", "script", "sx", "system", "perl", "ruby", "python", "python2",
    "python3", "pypy", "html", "HTML", "javascript", "js", "latex", "markdown", "svg",
    "writefile", "file"})
_TIMEIT_FUNCTION = "_autograder_timeit_body"


class EmptyCapture:
    """What ``%%capture name`` binds ``name`` to here: nothing was captured."""

    stdout = stderr = ""
    outputs: list = []

    def show(self) -> None:
        pass

    __call__ = show


def unwrap(source: str) -> str:
    """``source`` with a leading cell magic replaced by what it does here."""
    lines = source.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not lines[first].startswith("%%") \
            or re.match(r"%%\w+\?", lines[first]):
        return source  # no cell magic (IPython's own test, after leading blank lines)
    name, _, argument = lines[first][2:].rstrip().partition(" ")
    if name in NOT_PYTHON:
        return source
    head, body = lines[:first], "".join(lines[first + 1:])
    note = f"# %%{name} {argument}".rstrip() + " (the body runs as in the kernel)\n"
    if name in OWN_SCOPE:
        inner = textwrap.indent(body, "    ") if body.strip() else "    pass\n"
        inner += "" if inner.endswith("\n") else "\n"
        return "".join(head) + f"def {_TIMEIT_FUNCTION}():  {note}{inner}" + \
            f"{_TIMEIT_FUNCTION}(); del {_TIMEIT_FUNCTION}\n"
    if name == "capture" and (output := _capture_variable(argument)):
        note = (f"{output} = __import__('autograder.grading.magics', fromlist=['_'])"
                f".EmptyCapture()  {note}")
    return "".join(head) + note + body


def _capture_variable(argument: str) -> str | None:
    """The name ``%%capture [--no-stdout ...] name`` stores the capture in."""
    names = [word for word in argument.split() if not word.startswith("-")]
    return names[-1] if names and names[-1].isidentifier() else None
