"""Bounded work: a small gate in front of expensive computations.

At most ``running`` computations run at once and at most ``waiting`` more wait, each for at
most ``wait`` seconds; anything beyond is refused at once with
:class:`~leftbehind.errors.Overloaded` (the web app answers 503 with ``Retry-After``), so a
burst of expensive requests never holds more than ``running + waiting`` worker threads and the
cheap pages keep answering.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from leftbehind.errors import Overloaded


class Gate:
    """A concurrency limit with a short queue (thread-safe)."""

    def __init__(
        self, what: str, running: int = 1, waiting: int = 2, wait: float = 1.0,
        retry_after: int = 5,
    ) -> None:  # fmt: skip
        if running < 1 or waiting < 0 or wait < 0:
            raise ValueError("a gate needs running >= 1, waiting >= 0 and wait >= 0")
        self.what = what
        self.running = running
        self.waiting = waiting
        self.wait = wait
        self.retry_after = retry_after
        self._slots = threading.BoundedSemaphore(running)
        self._lock = threading.Lock()
        self._inside = 0  # running + waiting

    @property
    def inside(self) -> int:
        """Computations running or waiting now."""
        return self._inside

    def _busy(self) -> Overloaded:
        return Overloaded(
            f"the server is busy with other {self.what} (at most {self.running} at a time and "
            f"{self.waiting} waiting); try again in {self.retry_after} seconds",
            retry_after=self.retry_after,
        )

    @contextmanager
    def enter(self) -> Iterator[None]:
        """Run the block when a slot is free within ``wait`` seconds, else :class:`Overloaded`."""
        with self._lock:
            if self._inside >= self.running + self.waiting:
                raise self._busy()
            self._inside += 1
        try:
            if not self._slots.acquire(timeout=self.wait):
                raise self._busy()
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._inside -= 1
