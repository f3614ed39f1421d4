"""The hand-offs between pipeline threads: a bounded queue that makes the producer wait (file
export: no frame is ever dropped) or a latest-only slot that replaces what the consumer has
not taken yet (live: latency stays bounded; every replaced item is counted)."""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

END = object()   # what get() returns once the producer has closed and everything is taken


class Aborted(Exception):
    """The pipeline stopped on an error or a cancel elsewhere; the waiting thread should leave."""


class Handoff:
    def __init__(self, capacity: int, latest_only: bool = False):
        self.capacity = 1 if latest_only else max(1, capacity)
        self.latest_only = latest_only
        self.dropped = 0
        self._items: deque = deque()
        self._cond = threading.Condition()
        self._closed = self._aborted = False

    def put(self, item: Any) -> None:
        with self._cond:
            if self.latest_only:
                while len(self._items) >= self.capacity:
                    self._items.popleft()
                    self.dropped += 1
            while len(self._items) >= self.capacity and not self._aborted:
                self._cond.wait()
            if self._aborted:
                raise Aborted
            self._items.append(item)
            self._cond.notify_all()

    def get(self) -> Any:
        """The next item, END after close, or Aborted."""
        with self._cond:
            while not self._items and not self._closed and not self._aborted:
                self._cond.wait()
            if self._aborted:
                raise Aborted
            if not self._items:
                return END
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """No more puts; the consumer gets what is left, then END."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def abort(self) -> None:
        """Wake every waiter with Aborted; items still held are let go."""
        with self._cond:
            self._aborted = True
            self._items.clear()
            self._cond.notify_all()
