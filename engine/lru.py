"""A small thread-safe LRU map: the one cache helper the engine and the app share."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class LRU:
    """At most `maxsize` entries, least recently used dropped first. Values are computed outside the
    lock (a race computes twice); a value whose computation raises is not kept."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        value = make()
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.maxsize:
                self.data.popitem(last=False)
        return value

    def peek(self, key: Hashable) -> Any:
        """The value kept for `key`, or None (its recency unchanged)."""
        with self.lock:
            return self.data.get(key)

    def clear(self) -> None:
        with self.lock:
            self.data.clear()
