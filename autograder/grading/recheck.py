"""Run a notebook again, sealed off, for the judge to question.

    python -I -m autograder.grading.recheck   < plan.json

Started by ``VerifyOutsideKernel``, in the sandbox. It imports the grader and
snapshots it before any learner code runs, then runs the notebook's code
cells in order. At each test cell it puts back whatever learner code changed
in the grader (and says so), then stops and answers the judge on the channel
(a Unix socket, one JSON line per message):

* ``{"call": probe, "args": {...}}``: run that probe (``autograder.probes``)
  on the learner's functions; answer ``{"step": ...}`` (then wait for
  ``{"resume": true}``), ``{"result": ...}`` or ``{"error": ...}``;
* ``{"next": true}``: the judge has decided this test; go on;
* ``{"run": true}``: an exercise without a judge: run the instructor's test
  cell here with the real ``check`` and answer ``{"verdict": index, ...}``.

A call may carry ``"descriptors": n``: the judge has sent n open files on the
descriptors channel (SCM_RIGHTS), and the probe gets their numbers here as
its argument ``descriptors`` (it owns them). The other way, a probe's step
may name ``"handing": [fd, ...]``: those files go to the judge on the same
channel, are closed here, and the step says ``"handed": n``.

Everything learner code prints goes nowhere. The plan: ``{"channel_fd",
"descriptors_fd", "cell_timeout", "cells": [{"index", "label", "source", "test"}]}``.
"""

from __future__ import annotations

import builtins
import inspect
import io
import json
import linecache
import os
import socket
import sys

from autograder.grading import integrity
from autograder.grading.handing import MOST, receive_files

integrity.import_whole_grader()  # the snapshot (at the end of this module) covers it all

from autograder.learner import check as _real_check  # noqa: E402
from autograder.probes import PROBES, error_text  # noqa: E402
from autograder.threads import DeadlineExceeded, call_with_deadline  # noqa: E402

# The grader's own encoder and decoder, made before learner code runs (json.dumps
# and json.loads look the module's classes up at every call).
_encode, _decode = json.JSONEncoder(default=repr).encode, json.JSONDecoder().decode
_REAL_PROBES = dict(PROBES)  # the snapshot restores modules, not a register's contents
_recv_fds, _send_fds = socket.recv_fds, socket.send_fds


class Channel:
    """The judge's line to this process."""

    def __init__(self, fd: int, descriptors_fd: int | None = None) -> None:
        self.socket = socket.socket(fileno=fd)
        self.reader = self.socket.makefile("rb")
        self.descriptors = None if descriptors_fd is None else \
            socket.socket(fileno=descriptors_fd)

    def send(self, **message) -> None:
        self.socket.sendall(_encode(message).encode() + b"\n")

    def receive(self) -> dict:
        line = self.reader.readline()
        if not line:
            os._exit(0)  # the judge is gone: nothing more to do
        return _decode(line.decode())

    def files(self, count: object) -> list[int]:
        """The ``count`` open files the judge sent with its call."""
        if self.descriptors is None or type(count) is not int or not 0 < count <= MOST:
            raise ValueError("no descriptors channel, or a bad count")
        return receive_files(self.descriptors, count, 5.0, recv=_recv_fds)

    def hand(self, step: object) -> object:
        """A step that names files to hand over: sent, closed here, counted."""
        if not isinstance(step, dict) or "handing" not in step:
            return step
        fds = [fd for fd in step.pop("handing") if type(fd) is int]
        try:
            if self.descriptors is None or not 0 < len(fds) <= MOST:
                raise ValueError("no descriptors channel, or nothing to hand over")
            _send_fds(self.descriptors, [b"H"], fds)
        finally:
            for fd in fds:
                os.close(fd)
        return dict(step, handed=len(fds))


def serve(channel: Channel, namespace: dict, probes: dict) -> str:
    """Answer the judge's probes until it says "next" or "run".

    ``probes`` is the register as it was before learner code ran, a copy no
    name in any module refers to: re-installing a probe in ``PROBES``, even
    from a background thread, does not reach it.
    """
    active = None  # a probe waiting for the judge to look, then resume
    while True:
        message = channel.receive()
        if message.get("resume") and active is not None:
            active = _advance(channel, active)
            continue
        if active is not None:  # the judge decided before the probe ended
            active.close()
            active = None
        if "call" in message:
            probe = probes.get(message["call"])
            try:
                args = message.get("args", {})
                if "descriptors" in message:
                    args = dict(args, descriptors=channel.files(message["descriptors"]))
                outcome = probe(namespace, **args)
            except BaseException as error:  # noqa: BLE001 - reported to the judge
                channel.send(error=error_text(error))
                continue
            if inspect.isgenerator(outcome):
                active = _advance(channel, outcome)
            else:
                channel.send(result=outcome)
        elif message.get("next"):
            return "next"
        elif message.get("run"):
            return "run"


def _advance(channel: Channel, probe):
    """Run a probe to its next step; the probe if it waits, else None."""
    try:
        channel.send(step=channel.hand(next(probe)))
        return probe
    except StopIteration as end:
        channel.send(result=end.value or {})
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        channel.send(error=error_text(error))
    return None


class _NoIPython:
    """Stands in for get_ipython(): magics such as %matplotlib do nothing here."""

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, *args, **kwargs):
        return None

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def _compile(source: str, label: str):
    from IPython.core.inputtransformer2 import TransformerManager

    from autograder.grading.magics import unwrap  # %%time and the like: as in the kernel

    python = TransformerManager().transform_cell(unwrap(source))
    filename = f"<ipython-input-{label}-recheck>"  # shown as "In [N]" in reports
    linecache.cache[filename] = (len(python), None, python.splitlines(True), filename)
    return compile(python, filename, "exec")


# Taken before any learner code runs, of the grader and of this module itself:
# learner code may rebind serve() or the probes' register here too.
_SNAPSHOT = integrity.Snapshot.take(also=(__name__,))


def main() -> None:
    # Bound once, before any learner code: nothing it rebinds reaches these.
    restore, serve_, probes = _SNAPSHOT.restore, serve, PROBES
    real_probes = dict(_REAL_PROBES)  # referred to by no module
    plan = json.loads(sys.stdin.read())
    timeout = plan["cell_timeout"]
    channel = Channel(plan["channel_fd"], plan.get("descriptors_fd"))
    namespace = {"__name__": "__main__", "__builtins__": builtins,
                 "get_ipython": _NoIPython}
    sys.stdout = sys.stderr = io.StringIO()  # learner output is not the verdict
    for cell in plan["cells"]:
        if cell["test"]:
            changed = restore()  # before compiling: the compiler is the grader's too
            if probes != real_probes:
                probes.clear()
                probes.update(real_probes)
                changed.append("autograder.probes.PROBES")
            if changed:
                channel.send(tampered=changed, before=cell["index"])
            channel.send(at=cell["index"])
            if serve_(channel, namespace, real_probes) == "next":
                continue
        try:
            code = _compile(cell["source"], cell["label"])
        except SyntaxError as error:
            if cell["test"]:
                channel.send(verdict=cell["index"], passed=False,
                             message=f"SyntaxError: {error}")
            continue
        if cell["test"]:
            namespace["check"] = _real_check
            printed = sys.stdout = sys.stderr = io.StringIO()
        try:
            call_with_deadline(exec, code, namespace, timeout=timeout,
                               what=f"cell {cell['label']}")
            failure = None
        except DeadlineExceeded as error:
            failure = str(error).splitlines()[0]
            if not cell["test"]:
                channel.send(stopped=f"cell {cell['label']} did not finish in {timeout:g} s")
                break
        except BaseException as error:  # noqa: BLE001 - learner code may raise anything
            failure = f"{type(error).__name__}: {error}"
        if cell["test"]:
            verdicts = [line for line in printed.getvalue().splitlines()
                        if line.startswith(("\N{CROSS MARK}", "\N{WHITE HEAVY CHECK MARK}"))]
            channel.send(verdict=cell["index"], passed=failure is None, message=failure,
                         verdicts=verdicts)
    channel.send(done=True)
    os._exit(0)  # learner threads may still run; they must not hold the process


if __name__ == "__main__":
    main()
