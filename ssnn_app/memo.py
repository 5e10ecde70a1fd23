"""Two small caches: one shared by every session of the server (bounded, thread-safe), one per session.

(What every watcher of a run shows at one moment, its chart, status line and evaluation, is kept on the
run itself: runs.Run.memo.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import streamlit as st


class Shared:
    """A least-recently-used map of at most `size` entries, for all sessions (any thread)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        """The value for `key`, made by `make()` if absent (two threads may both make it; one wins)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def in_session(name: str, key, make):
    """`make()` for this session, kept under `name` until called with another `key`."""
    slot = f"_memo_{name}"
    cached = st.session_state.get(slot)
    if cached is None or cached[0] != key:
        cached = (key, make())
        st.session_state[slot] = cached
    return cached[1]
