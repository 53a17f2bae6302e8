"""A small progress line for long runs, written to a stream (stderr) at a bounded rate."""

from __future__ import annotations

import time
from typing import TextIO


class Progress:
    """Counts rows and redraws ``\\r<rows> rows, <rate> rows/s`` at most every ``interval`` s.

    Silent unless ``enabled``; the command line enables it when stderr is a terminal or when
    asked (``--progress``).
    """

    def __init__(
        self, stream: TextIO, *, enabled: bool, label: str = "rows", interval: float = 0.5
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.label = label
        self.interval = interval
        self.count = 0
        self._start = time.perf_counter()
        self._last = 0.0

    def update(self, added: int = 1) -> None:
        """Count ``added`` more rows and redraw if it is time."""
        self.count += added
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = max(now - self._start, 1e-9)
        self.stream.write(
            f"\r{self.count:,} {self.label}, {self.count / elapsed:,.0f} {self.label}/s"
        )
        self.stream.flush()

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self._start

    def close(self) -> None:
        """Draw the final count and end the line."""
        if self.enabled:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
