"""Run a submission so that nothing in it can stop the grading.

nbgrader's ``Execute`` gives up on a whole notebook when a cell ignores the
interrupt sent at its timeout, or when the kernel dies: no autograded
notebook is written and every test scores zero. ``ResilientExecute`` instead

* runs the kernel under the sandbox's resource limits;
* kills a kernel that stays busy after the interrupt, and a kernel that died
  is simply gone; either way the cells after that point are marked as not
  run, so the tests before it keep their marks and the rest score zero;
* caps each cell's output while it streams, so a flood cannot fill memory;
* records each of these as an incident in the notebook.
"""

from __future__ import annotations

import json
import queue
import time

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Float, Integer

from . import incidents, sandbox
from .cells import error_output, grade_id

TIMEOUT_ENAME = "CellTimeoutError"


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel through the sandbox, under its resource limits."""

    memory_mib = Integer(sandbox.DEFAULT_MEMORY_MIB,
                         help="Address-space limit of the kernel, in MiB").tag(config=True)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        return sandbox.command(super().format_kernel_cmd(extra_arguments), self.memory_mib)


class ResilientExecute(Execute):
    max_output_bytes = Integer(
        200_000, help="Output kept per cell; the rest is dropped as it arrives").tag(config=True)
    interrupt_grace = Float(
        5.0, help="Seconds a kernel has to answer after the timeout interrupt").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._stopped: str | None = None
        self._index = -1  # the cell being run
        try:
            return super().preprocess(nb, resources, km)
        except Exception as error:  # noqa: BLE001 - the kernel failed outside a cell
            notebook = getattr(self, "nb", nb)
            if self._stopped is None:
                incidents.record(notebook, "crash", f"the kernel failed: {error!r}")
                self._stop_remaining(notebook, f"the kernel failed ({type(error).__name__})")
            return notebook, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
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
            cell.outputs.append(error_output(
                "KernelDied", "the kernel died while running this cell "
                "(os._exit(), a crash, or running out of memory)"))
            self._stop(cell, "crash", "the kernel died in this cell")
            return cell, resources
        if self._timed_out(cell):
            if self._kernel_answers():
                incidents.record(self.nb, "timeout", f"the cell ran past {self.timeout} s "
                                 "and was interrupted", cell=grade_id(cell))
            else:
                self._kill_kernel()
                self._stop(cell, "timeout", f"the cell ran past {self.timeout} s and "
                                            "ignored the interrupt, so its kernel was killed")
        return result

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
        if msg.get("msg_type") in ("stream", "display_data", "execute_result", "update_display_data"):
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
