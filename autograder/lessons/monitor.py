"""A live thread monitor for the notebook: counts that move as threads come and go.

    monitor = ThreadMonitor()
    monitor            # displays itself; updates five times a second

It counts from the same census the checks use (the threading registry
cross-checked with the OS thread list) and leaves its own thread out.
"""

from __future__ import annotations

import html
import threading

from ..threads import census
from ..threads.census import mark_own
from . import live_demos_enabled

REFRESH_SECONDS = 0.2


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
        wide = {"description_width": "initial"}  # labels in full, not cut off
        self.python = widgets.IntText(description="Python threads", disabled=True, style=wide)
        self.os = widgets.IntText(description="OS threads", disabled=True, style=wide)
        self.extra = widgets.IntText(description="since opened", disabled=True, style=wide)
        self.names = widgets.HTML()
        self.widget = widgets.VBox([widgets.HBox([self.python, self.os, self.extra]),
                                    self.names])
        self.history: list[int] = []
        self._stop = threading.Event()
        self.update()
        self._thread = None
        if live_demos_enabled():
            self._thread = mark_own(threading.Thread(
                target=self._run, name="autograder thread monitor", daemon=True))
            self._thread.start()

    def update(self) -> None:
        counts = census_counts()
        self.python.value = counts["python"] or 0
        self.os.value = counts["os"] if counts["os"] is not None else -1
        self.extra.value = self.python.value - self.baseline
        self.history.append(self.python.value)
        names = sorted(t.name for t in threading.enumerate() if not census.is_own(t))
        self.names.value = ("<small>" + ", ".join(html.escape(n) for n in names)
                            + "</small>")

    def _run(self) -> None:
        while not self._stop.wait(self.refresh):
            self.update()

    def stop(self) -> None:
        """Stop updating (the panel keeps its last values)."""
        self._stop.set()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
