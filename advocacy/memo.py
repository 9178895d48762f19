"""A small in-process cache: bounded, oldest out first, optionally with a time to live.

For values that are the same for everyone and cheap to get wrong by a few minutes at most
(where a tracked link leads, how a public story looks in the feed); each process keeps its
own, so nothing here needs to be shared or invalidated across machines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    def __init__(self, max_entries: int, ttl: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[K, tuple[float, V]] = {}
        self.lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._get(key, self.clock() - self.ttl if self.ttl is not None else None)

    def _get(self, key: K, oldest: float | None) -> V | None:
        found = self.entries.get(key)
        if found is None:
            return None
        stored, value = found
        if oldest is not None and stored < oldest:
            return None
        return value

    def put(self, key: K, value: V) -> None:
        with self.lock:
            self.entries.pop(key, None)
            while len(self.entries) >= self.max_entries:  # dicts keep insertion order
                del self.entries[next(iter(self.entries))]
            self.entries[key] = (self.clock(), value)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def many(self, keys: Iterable[K], make: Callable[[list[K]], dict[K, V]]) -> list[V]:
        """The values of ``keys`` in order; the missing ones made by ``make`` in one go."""
        wanted = list(keys)
        oldest = self.clock() - self.ttl if self.ttl is not None else None  # one clock read
        found = {key: value for key in wanted if (value := self._get(key, oldest)) is not None}
        missing = [key for key in wanted if key not in found]
        if missing:
            made = make(missing)
            for key in missing:
                self.put(key, made[key])
            found.update(made)
        return [found[key] for key in wanted]
