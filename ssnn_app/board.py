"""The class board: the runs that ended on this server recently, as settings and results only.

A run is entered once, when it ends (done or diverged), by the listener that hears its owner publish.
An entry holds no parameters, no names and nothing a student typed: the settings, the test error, the
costs, the iterations and when. Shared copies of a run and uploaded models are not entered again.
The server option SSNN_CLASS_BOARD=off turns the board off (the page leaves the navigation).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass

from ssnn_core import Hyper

from . import classes as class_names
from .i18n import N_, _
from .lifecycle import Status

BOARD_SIZE = 200           # entries kept, newest first
ENDED = (Status.DONE, Status.DIVERGED)
# a row's keys (English, the page sorts by them) -> the column header shown, with _()
COLUMNS = {"digits": N_("digits"), "hidden n1": N_("hidden n1"), "learning rate": N_("learning rate"),
           "iterations": N_("iterations"), "test error %": N_("test error %"),
           "final train cost": N_("final train cost"), "test cost": N_("test cost"), "result": N_("result"),
           "seed": N_("seed"), "precision": N_("precision"), "scaling": N_("scaling"), "ended": N_("ended")}
RESULTS = {Status.DONE.value: N_("done"), Status.DIVERGED.value: N_("diverged")}   # a run's status, shown with _()


def enabled() -> bool:
    """False when the server was started with SSNN_CLASS_BOARD=off (or 0, no, false)."""
    return os.environ.get("SSNN_CLASS_BOARD", "on").strip().lower() not in ("off", "0", "no", "false")


@dataclass(frozen=True)
class Entry:
    """One ended run. test_error in [0, 1]; costs are the last measured (None if never measured)."""

    hyper: Hyper
    status: str
    iterations: int
    learning_rate: float           # the rate it ended with (a run may have changed it on the way)
    test_error: float | None
    train_cost: float | None
    test_cost: float | None
    train_seconds: float
    ended_at: float                # time.time()
    classes: tuple[str, ...] = ()  # the two classes' English names (its data's), () for the digits themselves

    def names(self) -> tuple[str, str]:
        """Its two classes by name, in the current language ('0', '1'; 'T-shirt/top', 'Trouser')."""
        if len(self.classes) == 2:
            return tuple(class_names.translate(c) for c in self.classes)
        return tuple(str(d) for d in self.hyper.digits)

    def pair(self) -> str:
        """'0 vs 1', 'T-shirt/top vs Trouser'."""
        a, b = self.names()
        return _("{a} vs {b}").format(a=a, b=b)

    def row(self, now: float) -> dict:
        h = self.hyper
        ago = max(0.0, now - self.ended_at)
        return {"digits": self.pair(), "hidden n1": h.hidden,
                "learning rate": self.learning_rate, "iterations": self.iterations,
                "test error %": None if self.test_error is None else 100 * self.test_error,
                "final train cost": self.train_cost, "test cost": self.test_cost,
                "result": _(RESULTS[self.status]) if self.status in RESULTS else self.status, "seed": h.seed,
                "precision": h.dtype, "scaling": h.scaling,
                "ended": _("just now") if ago < 60 else _("{minutes:.0f} min ago").format(minutes=ago / 60)}


def entry_of(run) -> Entry:
    s, h = run.state, run.state.history
    return Entry(run.hyper, s.status.value, s.iteration, s.learning_rate,
                 1 - h.test_accuracy[-1] if h.test_accuracy else None,
                 h.train_cost[-1] if h.train_cost else None, h.test_cost[-1] if h.test_cost else None,
                 s.train_seconds, time.time(), tuple(getattr(run.pair, "classes", ()) or ()))


class Board:
    def __init__(self, size: int = BOARD_SIZE):
        self._lock = threading.Lock()
        self._entries: deque[Entry] = deque(maxlen=size)
        self._seen: deque[tuple] = deque(maxlen=4 * size)     # (run id, iteration) entered already
        self.version = 0                                     # grows with every entry (pages redraw on it)

    def after_publish(self, run) -> None:
        """Enter `run` if it has just ended here (not a shared copy, not an uploaded model)."""
        if run.origin != "trained" or run.status not in ENDED or run.state.iteration == 0:
            return
        mark = (run.id, run.state.iteration)
        with self._lock:
            if mark in self._seen:
                return
            self._seen.append(mark)
            self._entries.appendleft(entry_of(run))
            self.version += 1

    def entries(self) -> list[Entry]:
        """Newest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seen.clear()
            self.version += 1
