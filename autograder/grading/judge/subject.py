"""The judge's view of the learner's process: a channel, and ``/proc``.

The judge talks to the sealed-off re-check over a Unix socket, one JSON line
per message, decoded strictly (no NaN, no objects that could lie about
equality: only JSON's own types). What it needs to know about threads it
does not ask: it reads the process's task list in ``/proc/<pid>/task`` and
maps the thread ids the probe names (ids inside the sandbox's pid namespace)
to the host's through each task's ``NSpid``.
"""

from __future__ import annotations

import json
import os
import socket
import time

from ..handing import receive_files
from ..watchdog import PROC_TEXT


# join() returns once Python is done with a thread; the OS tears the thread down
# a moment later, and until then /proc still lists it. The judge allows this
# long before it counts a joined thread as still running; every probe's
# stand-ins linger after their last line for longer than the grace it uses.
TEARDOWN = 0.04


class Rejected(Exception):
    """The judge does not confirm a test; the message says why, in plain words."""


class SubjectGone(Rejected):
    """The learner's process stopped answering or ended."""


def _no_constants(name: str):
    raise ValueError(f"{name} is not plain data")


def decode(line: bytes) -> dict:
    message = json.loads(line, parse_constant=_no_constants)
    if not isinstance(message, dict):
        raise ValueError("a message must be a JSON object")
    return message


class Subject:
    """One re-check process, as the judge sees it."""

    def __init__(self, channel: socket.socket, pid_of, reply_timeout: float = 10.0,
                 descriptors: socket.socket | None = None) -> None:
        self.channel, self._pid_of, self.reply_timeout = channel, pid_of, reply_timeout
        self.descriptors = descriptors  # hands open files over (SCM_RIGHTS), see call()
        self._buffer = b""
        self.pid: int | None = None

    # --- the channel ----------------------------------------------------------

    def send(self, **message) -> None:
        try:
            self.channel.sendall(json.dumps(message).encode() + b"\n")
        except OSError as error:
            raise SubjectGone(f"the re-check process is gone ({error})") from None

    def receive(self, timeout: float | None = None) -> dict:
        """The next message; SubjectGone at end of file or after ``timeout``."""
        end = time.monotonic() + (self.reply_timeout if timeout is None else timeout)
        while b"\n" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise SubjectGone("the re-check process did not answer in time")
            self.channel.settimeout(left)
            try:
                chunk = self.channel.recv(65536)
            except TimeoutError:
                continue
            except OSError as error:
                raise SubjectGone(f"the re-check process is gone ({error})") from None
            if not chunk:
                raise SubjectGone("the re-check process ended")
            self._buffer += chunk
            if len(self._buffer) > 1 << 22:
                raise SubjectGone("the re-check process sent more than a probe's answer")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            return decode(line)
        except (ValueError, RecursionError) as error:
            raise Rejected(f"the re-check process answered with something that is not "
                           f"plain data ({error})") from None

    def call(self, probe: str, handing: tuple[int, ...] = (), **args) -> tuple[str, dict]:
        """Ask for a probe; return ("step" or "result", its data).

        ``handing``: open descriptors of the judge's (its end of a socket
        pair, say) passed to the subject on the descriptors channel; the probe
        gets its own numbers for them as the argument ``descriptors``. The
        judge keeps its copies, and should close them once handed over.
        """
        if handing:
            if self.descriptors is None:
                raise SubjectGone("the re-check process has no descriptors channel")
            try:
                socket.send_fds(self.descriptors, [b"D"], list(handing))
            except OSError as error:
                raise SubjectGone(f"the re-check process is gone ({error})") from None
            self.send(call=probe, args=args, descriptors=len(handing))
        else:
            self.send(call=probe, args=args)
        return self._reply(probe)

    def take_files(self, step: dict, count: int, what: str) -> list[int]:
        """The ``count`` open files a probe's step handed over (``"handed": n``)."""
        if self.descriptors is None or step.get("handed") != count:
            raise Rejected(f"the re-check process did not hand over {what}")
        try:
            return receive_files(self.descriptors, count, self.reply_timeout)
        except OSError as error:
            raise SubjectGone(f"the re-check process is gone ({error})") from None
        except ValueError as error:
            raise Rejected(f"the re-check process did not hand over {what} ({error})") from None

    def resume(self, probe: str) -> tuple[str, dict]:
        self.send(resume=True)
        return self._reply(probe)

    def _reply(self, probe: str) -> tuple[str, dict]:
        message = self.receive()
        for kind in ("step", "result"):
            if isinstance(message.get(kind), dict):
                data = message[kind]
                if isinstance(data.get("missing"), list):
                    raise Rejected(f"{', '.join(map(str, data['missing']))} is not defined "
                                   "where this test runs.")
                return kind, data
        if isinstance(message.get("error"), str):
            raise Rejected(f"the {probe} probe failed: {message['error']}")
        raise Rejected(f"the re-check process gave no answer to the {probe} probe")

    # --- /proc ------------------------------------------------------------------

    def process(self) -> int:
        if self.pid is None:
            self.pid = self._pid_of()
            if self.pid is None:
                raise SubjectGone("the re-check process could not be found")
        return self.pid

    def tasks(self, pid: int | None = None) -> dict[int, int]:
        """Thread ids as the process sees them (innermost namespace) -> host
        ids, of the subject or of its process ``pid`` (a host id)."""
        base = f"/proc/{self.process() if pid is None else pid}/task"
        try:
            tids = os.listdir(base)
        except OSError:
            raise SubjectGone("the re-check process ended") from None
        return {inner: int(tid) for tid in tids
                if (inner := _inner_id(f"{base}/{tid}/status")) is not None}

    def child(self, inner_pid: object, script: str) -> int:
        """The host id of the subject's child process that its own namespace
        calls ``inner_pid`` and that runs ``script``; Rejected if none does."""
        base = f"/proc/{self.process()}/task"
        try:
            children = [int(pid) for tid in os.listdir(base)
                        for pid in _read(f"{base}/{tid}/children").split()]
        except OSError:
            raise SubjectGone("the re-check process ended") from None
        for pid in children:
            if type(inner_pid) is int and _inner_id(f"/proc/{pid}/status") == inner_pid:
                command = _read(f"/proc/{pid}/cmdline").split("\0")
                if len(command) > 2 and os.path.basename(command[2]) == script:
                    return pid
        raise Rejected(f"the judge sees no process {inner_pid!r} running {script} "
                       "started by the re-check process")

    def alive(self, host_tid: int, pid: int | None = None) -> bool:
        return os.path.exists(f"/proc/{self.process() if pid is None else pid}/task/{host_tid}")

    def started(self, inner_tids: object, before: dict[int, int], count: int,
                what: str) -> list[int]:
        """The host ids of threads a probe says it started: exactly ``count``,
        each alive now and new since ``before``."""
        if not (isinstance(inner_tids, list) and all(type(t) is int for t in inner_tids)):
            raise Rejected(f"the probe did not say which threads run {what}")
        now = self.tasks()
        fresh = [now.get(tid) for tid in inner_tids]
        if len(set(inner_tids)) != count or None in fresh or \
                any(tid in before for tid in inner_tids):
            raise Rejected(f"{count} new thread{'s' if count != 1 else ''} should be running "
                           f"{what}; the judge sees {sum(f is not None for f in fresh)}.")
        return fresh  # type: ignore[return-value]

    def still_running(self, host_tids: list[int], grace: float = TEARDOWN) -> list[int]:
        """The threads still there once a joined thread would have been torn down."""
        return self.wait_gone(host_tids, grace)

    def wait_gone(self, host_tids: list[int], seconds: float,
                  pid: int | None = None) -> list[int]:
        """Wait up to ``seconds`` for the threads (of the subject, or of its
        process ``pid``) to end; return those still alive."""
        end, pause = time.monotonic() + seconds, 0.001
        while True:
            alive = [tid for tid in host_tids if self.alive(tid, pid)]
            if not alive or time.monotonic() >= end:
                return alive
            time.sleep(min(pause, max(0.0, end - time.monotonic())))
            pause = min(pause * 2, 0.05)


def _read(path: str) -> str:
    """A /proc file's text; empty if the process or thread has gone."""
    try:
        with open(path, encoding=PROC_TEXT) as file:
            return file.read()
    except OSError:
        return ""


def _inner_id(status_path: str) -> int | None:
    """The id a task has in its innermost pid namespace (last on ``NSpid:``)."""
    for line in _read(status_path).splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    return None
