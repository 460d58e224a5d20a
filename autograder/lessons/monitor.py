"""A live thread monitor for the notebook: counts that move as threads come and go.

    monitor = ThreadMonitor()
    monitor            # displays itself; updates five times a second

It counts from the same census the checks use (the threading registry
cross-checked with the OS thread list) and leaves its own thread out. A line
under the numbers shows the Python thread count over the last minute, so a
pile-up and its fall are seen, not only read.
"""

from __future__ import annotations

import html
import threading
from collections import deque

from ..threads import census
from ..threads.census import mark_own
from . import live_demos_enabled

REFRESH_SECONDS = 0.2
HISTORY_SECONDS = 60


def census_counts() -> dict[str, int | None]:
    """Python threads, OS threads, and threads of learner code, ours left out."""
    snapshot = census.take()
    python = [t for t in snapshot.threads.values()
              if t.thread is not None and not census.is_own(t.thread)]
    os_total = len(snapshot.threads) - sum(
        1 for t in snapshot.threads.values() if census.is_own(t.thread))
    return {"python": len(python), "os": os_total if snapshot.os_checked else None}


class ThreadMonitor:
    """An ipywidgets panel with the kernel's thread counts and names."""

    def __init__(self, refresh: float = REFRESH_SECONDS) -> None:
        import ipywidgets as widgets

        self.refresh = refresh
        self.baseline = census_counts()["python"] or 0
        # The numbers are HTML, not disabled IntText boxes: nothing a learner
        # can type into, and nothing the page sends back. An IntText's value
        # can stop updating on the page when the front end waits for the
        # kernel's echo of a change of its own (seen with JupyterLab's comms
        # over kernel subshells), while HTML beside it went on updating.
        self.counts: dict[str, int] = {}
        self.numbers = widgets.HTML()
        self.names = widgets.HTML()
        self.line = widgets.HTML()
        self.widget = widgets.VBox([self.numbers, self.line, self.names])
        self.history: deque[int] = deque(maxlen=round(HISTORY_SECONDS / refresh))
        self._stop = threading.Event()
        self.update()
        self._thread = None
        if live_demos_enabled():
            self._thread = mark_own(threading.Thread(
                target=self._run, name="autograder thread monitor", daemon=True))
            self._thread.start()

    def update(self) -> None:
        counts = census_counts()
        python = counts["python"] or 0
        self.counts = {"Python threads": python,
                       "OS threads": counts["os"] if counts["os"] is not None else -1,
                       "since opened": python - self.baseline}
        self.numbers.value = numbers_html(self.counts)
        self.history.append(python)
        self.line.value = sparkline_svg(list(self.history), self.history.maxlen)
        names = sorted(t.name for t in threading.enumerate() if not census.is_own(t))
        self.names.value = ("<small>" + ", ".join(html.escape(n) for n in names)
                            + "</small>")

    def _run(self) -> None:
        # One failed count must not freeze the panel on old numbers that look
        # live: say so where the names go, and count again next time.
        while not self._stop.wait(self.refresh):
            try:
                self.update()
            except Exception as error:  # noqa: BLE001 - shown, then retried
                self.names.value = (f"<small>this count failed ({html.escape(repr(error))});"
                                    " trying again</small>")

    def stop(self) -> None:
        """Stop updating (the panel keeps its last values)."""
        self._stop.set()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def numbers_html(counts: dict[str, int]) -> str:
    """The counts side by side, each a large number over its name (-1: not known
    here, shown as a dash)."""
    cells = "".join(
        f'<span style="display:inline-block;margin-right:2em;text-align:center">'
        f'<b data-count="{html.escape(name)}" style="font-size:1.6em">'
        f'{value if value >= 0 or name == "since opened" else "–"}</b><br>'
        f'<small>{html.escape(name)}</small></span>' for name, value in counts.items())
    return f'<div class="thread-counts">{cells}</div>'


def sparkline_svg(counts: list[int], slots: int, width: int = 480, height: int = 64) -> str:
    """An inline SVG line of ``counts`` (the newest at the right edge, ``slots``
    samples across), scaled from 0 to the highest count, which is labelled."""
    top = max(max(counts, default=0), 1)
    step = width / max(slots - 1, 1)
    start = width - step * (len(counts) - 1)
    points = " ".join(f"{start + i * step:.1f},{height - 2 - (height - 14) * c / top:.1f}"
                      for i, c in enumerate(counts))
    return (f'<svg class="thread-history" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Python threads over the last {HISTORY_SECONDS} s" '
            f'data-counts="{" ".join(map(str, counts))}">'
            f'<rect width="{width}" height="{height}" fill="none" stroke="#ccc"/>'
            f'<text x="4" y="11" font-size="10" fill="#666">max {top} threads; '
            f'last {HISTORY_SECONDS} s</text>'
            f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{points}"/>'
            f'</svg>')
