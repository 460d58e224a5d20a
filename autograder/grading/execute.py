"""Run a submission so that nothing in it can stop the grading.

nbgrader's ``Execute`` gives up on a whole notebook when a cell ignores the
interrupt sent at its timeout, or when the kernel dies: no autograded
notebook is written and every test scores zero. ``ResilientExecute`` instead

* runs the kernel sealed off in the sandbox (``sandbox.py``), watched from
  outside for memory, threads and processes (``watchdog.py``);
* gives the whole notebook a wall-clock limit, not only each cell: a
  submission of many slow cells is stopped where the limit falls;
* kills a kernel that stays busy after the interrupt, and a kernel that died
  is simply gone; either way the cells after that point are marked as not
  run, so the tests before it keep their marks and the rest score zero;
* caps each cell's output while it streams, so a flood cannot fill memory;
* records each of these as an incident in the notebook.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import time
import weakref

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer, List, Unicode

from ..exercises import limits
from . import incidents, kernel_folder, sandbox
from .cells import error_output, grade_id
from .watchdog import Watchdog

TIMEOUT_ENAME = "CellTimeoutError"


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel sealed off in the sandbox, and watches it from outside.

    Its own network is a loopback nobody else shares, so the kernel talks to
    the grader over Unix sockets in a private folder (ZeroMQ's ``ipc``
    transport) that only this kernel's sandbox sees. Interrupts go as messages:
    a signal would reach bubblewrap, not the kernel.
    """

    memory_mib = Integer(sandbox.Limits.memory_mib,
                         help="Resident memory the kernel and its children may use, in MiB"
                         ).tag(config=True)
    tasks = Integer(sandbox.Limits.tasks,
                    help="Threads and processes the kernel may run").tag(config=True)
    cpu_seconds = Integer(sandbox.Limits.cpu_seconds,
                          help="CPU seconds each process may use").tag(config=True)
    scratch_mib = Integer(sandbox.Limits.scratch_mib,
                          help="Size of each private tmpfs (working folder, /tmp, home)"
                          ).tag(config=True)
    hidden_paths = List(Unicode(), help="More paths to hide from learner code").tag(config=True)

    _private: str | None = None
    _watchdog: Watchdog | None = None

    @property
    def limits(self) -> sandbox.Limits:
        return sandbox.Limits(memory_mib=self.memory_mib, tasks=self.tasks,
                              cpu_seconds=self.cpu_seconds, scratch_mib=self.scratch_mib)

    async def _async_start_kernel(self, **kw):
        self._workdir = kw.get("cwd") or os.getcwd()
        self._sealed = sandbox.require() is not None
        if self._sealed:
            # The kernel's sockets live in a folder it may write, inside one only
            # the grader can enter (0700): whatever the kernel puts there, a
            # set-uid file say, no other user of the machine can reach.
            self._outer = kernel_folder.make()
            # Removed at shutdown, or else when this manager goes or the grader exits.
            self._remove_folder = weakref.finalize(self, shutil.rmtree, self._outer,
                                                   ignore_errors=True)
            self._private = os.path.join(self._outer, "sockets")
            os.mkdir(self._private, 0o700)
            self.transport, self.ip = "ipc", os.path.join(self._private, "kernel")
            self.connection_file = os.path.join(self._private, "kernel.json")
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_start_kernel(**kw)

    start_kernel = _async_start_kernel  # AsyncKernelManager binds the base's at class level

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        hidden = tuple(self.hidden_paths) + sandbox.course_paths(self.config)
        return sandbox.command(super().format_kernel_cmd(extra_arguments),
                               workdir=self._workdir, limits=self.limits, hidden=hidden,
                               private=(self._private,) if self._private else ())

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if self._sealed:
            # A descriptor the kernel inherits reaches the host file behind it,
            # whatever the sandbox hides: the batch's log, say. Give it none.
            kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        await super()._async_launch_kernel(kernel_cmd, **kw)
        self._watchdog = Watchdog(self.provisioner.pid, memory_mib=self.memory_mib,
                                  tasks=self.tasks, what="the kernel",
                                  writable=(self._private,) if self._private else (),
                                  disk_mib=self.scratch_mib).start()

    @property
    def killed_because(self) -> str | None:
        """Why the watchdog ended the kernel, if it did."""
        return self._watchdog.reason if self._watchdog else None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        if self._watchdog is not None:
            self._watchdog.stop()
        await super()._async_cleanup_resources(restart=restart)
        if self._private and not restart:
            self._remove_folder()


class ResilientExecute(Execute):
    max_output_bytes = Integer(
        200_000, help="Output kept per cell; the rest is dropped as it arrives").tag(config=True)
    interrupt_grace = Float(
        5.0, help="Seconds a kernel has to answer after the timeout interrupt").tag(config=True)
    call_deadline = Float(
        limits.CALL_DEADLINE, help="Seconds a check gives one call into learner code "
        "(kernel and re-check)").tag(config=True)
    exit_deadline = Float(
        limits.EXIT_DEADLINE, help="Seconds a check gives threads told to stop to end "
        "(kernel and re-check)").tag(config=True)
    notebook_timeout = Float(
        90.0, help="Seconds the whole notebook may run (the reference notebooks take "
        "10-20 s); the cell running when it is up is stopped like a cell past its "
        "timeout, and the cells after it are not run").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped: str | None = None
        self._index = -1  # the cell being run
        self._ends_at = time.monotonic() + self.notebook_timeout
        self.export_limits()
        try:
            return super().preprocess(nb, resources, km)
        except Exception as error:  # noqa: BLE001 - the kernel failed outside a cell
            notebook = getattr(self, "nb", nb)
            if self._stopped is None:
                incidents.record(notebook, "crash", f"the kernel failed: {error!r}")
                self._stop_remaining(notebook, f"the kernel failed ({type(error).__name__})")
            return notebook, resources

    def export_limits(self) -> None:
        """The checks read their limits at import, in the kernel and in the
        re-check (which may start first): hand them over in the environment."""
        os.environ[limits.CALL_VARIABLE] = repr(self.call_deadline)
        os.environ[limits.EXIT_VARIABLE] = repr(self.exit_deadline)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is None and time.monotonic() >= self._ends_at:
            self._kill_kernel()
            self._stop(cell, "timeout", self._out_of_time())
        if self._stopped is not None:
            cell.outputs = [error_output("NotRun", f"not run: {self._stopped}")]
            cell.execution_count = None
            return cell, resources
        self._index, self._output_bytes, self._output_capped = index, 0, False
        try:
            result = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:  # no output came after the interrupt either
            if not self._timed_out(cell):
                cell.outputs.append(error_output(TIMEOUT_ENAME, f"no reply in {self.timeout} s"))
            result = cell, resources
        except DeadKernelError:
            why = getattr(self.km, "killed_because", None)
            detail = f"the kernel was stopped: {why}" if why else (
                "the kernel died while running this cell "
                "(os._exit(), a crash, or running out of memory)")
            cell.outputs.append(error_output("KernelDied", detail))
            self._stop(cell, "limit" if why else "crash", detail)
            return cell, resources
        if self._timed_out(cell):
            if time.monotonic() >= self._ends_at:
                self._kill_kernel()
                self._stop(cell, "timeout", self._out_of_time())
            elif self._kernel_answers():
                incidents.record(self.nb, "timeout", f"the cell ran past {self.timeout} s "
                                 "and was interrupted", cell=grade_id(cell))
            else:
                self._kill_kernel()
                self._stop(cell, "timeout", f"the cell ran past {self.timeout} s and "
                                            "ignored the interrupt, so its kernel was killed")
        return result

    def _get_timeout(self, cell):
        """A cell's timeout, cut short where the notebook's own time runs out."""
        timeout = super()._get_timeout(cell)
        left = max(1, int(self._ends_at - time.monotonic()) + 1)
        return left if timeout is None else min(timeout, left)

    def _out_of_time(self) -> str:
        return (f"the notebook ran past its time limit of {self.notebook_timeout:g} s, "
                "so its kernel was stopped")

    # --- what happens when a cell goes wrong ---------------------------------

    def _stop(self, cell: NotebookNode, kind: str, detail: str) -> None:
        label = grade_id(cell) or f"cell {self.nb.cells.index(cell) + 1}"
        incidents.record(self.nb, kind, detail, cell=grade_id(cell))
        self._stopped = f"the notebook stopped at {label}: {detail}"

    def _stop_remaining(self, notebook: NotebookNode, reason: str) -> None:
        """Mark the cells from the one being run onwards as not run."""
        self._stopped = reason
        for cell in notebook.cells[max(self._index, 0):]:
            if cell.cell_type == "code":
                cell.outputs.append(error_output("NotRun", f"not run: {reason}"))

    @staticmethod
    def _timed_out(cell: NotebookNode) -> bool:
        return any(out.get("ename") == TIMEOUT_ENAME for out in cell.get("outputs", []))

    def _kernel_answers(self) -> bool:
        """Does the kernel answer a kernel_info request after the interrupt?

        A cell that swallows KeyboardInterrupt keeps the kernel busy for good;
        stale replies to the interrupted cell are read and dropped here.
        """
        msg_id = self.kc.kernel_info()
        end = time.monotonic() + self.interrupt_grace
        while (left := end - time.monotonic()) > 0:
            try:
                reply = run_sync(self.kc.get_shell_msg)(timeout=left)
            except queue.Empty:
                return False
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

    def _kill_kernel(self) -> None:
        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - it may be gone already
            pass

    # --- output, capped as it arrives ------------------------------------------

    def output(self, outs, msg, display_id, cell_index):
        if msg.get("msg_type") == "error":  # kept, whatever its size: it says the cell failed
            msg["content"] = _shortened_error(msg.get("content", {}))
        if msg.get("msg_type") in ("stream", "display_data", "execute_result",
                                   "update_display_data"):
            self._output_bytes += len(json.dumps(msg.get("content", {}), default=str))
            if self._output_bytes > self.max_output_bytes:
                if not self._output_capped:
                    self._output_capped = True
                    cell = self.nb.cells[cell_index]
                    incidents.record(self.nb, "output", f"more than {self.max_output_bytes} "
                                     "bytes of output; the rest was dropped",
                                     cell=grade_id(cell))
                    outs.append(NotebookNode(
                        output_type="stream", name="stderr",
                        text=f"[output cut: more than {self.max_output_bytes} bytes]\n"))
                return None
        return super().output(outs, msg, display_id, cell_index)


ERROR_TEXT = 2_000  # characters of an error's message, and of each traceback line
ERROR_LINES = 40  # traceback lines kept (the last ones: where it was raised)


def _shortened_error(content: dict) -> dict:
    """An error output at a bounded size: learner code chooses an exception's
    message, and an uncapped one is a way to write a gigabyte into the notebook."""
    def cut(text: object) -> str:
        text = str(text)
        return text if len(text) <= ERROR_TEXT else text[:ERROR_TEXT] + " [...cut]"
    traceback = content.get("traceback")
    traceback = traceback if isinstance(traceback, list) else []
    return dict(content, ename=cut(content.get("ename", "")),
                evalue=cut(content.get("evalue", "")),
                traceback=[cut(line) for line in traceback[-ERROR_LINES:]])
