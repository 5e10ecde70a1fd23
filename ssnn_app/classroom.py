"""What the sessions of one server share: finished runs, and plain runs in progress others may join.

Training is deterministic, so when a class trains the same settings the network is trained once:
sessions that press Train while an identical run trains follow it live, and sessions after it get
its result (and replay) at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from ssnn_core import Hyper

from . import runs
from .lifecycle import Status

SHARED_RESULTS = 32              # finished runs kept for sharing, at most
SHARED_BYTES = 48 * 2**20        # ... and at most this many bytes of parameters and replay between them


@dataclass(frozen=True)
class Finished:
    """A finished plain run, kept for sharing (its own Run, not held by any training process)."""

    run: runs.Run
    at: float                    # time.time() when it finished
    nbytes: int


def _nbytes(run: runs.Run) -> int:
    s = run.state
    return sum(a.nbytes for a in s.params.values()) + sum(x.W1.nbytes + x.W2.nbytes for x in s.replay)


class Classroom:
    def __init__(self):
        self._lock = threading.Lock()
        self._finished: OrderedDict = OrderedDict()     # key -> Finished, least recently used first
        self._training: dict = {}                        # key -> Run, plain runs in progress

    @staticmethod
    def key(hyper: Hyper, data: str) -> tuple:
        """Runs are shared by settings and by the data's content (its fingerprint), never by a file name:
        two different uploads called the same never follow each other's runs."""
        return (repr(hyper), data)

    @staticmethod
    def data_key(run: runs.Run) -> str:
        return getattr(run.pair, "digest", "") or run.source

    def claim(self, hyper: Hyper, data: str, make) -> tuple[str, runs.Run]:
        """For a Train click on fresh settings: ("shared", a copy of the finished result), ("follow", the
        identical run in progress) or ("new", make(), now joinable by others). Claimed before the new
        run even trains, so a class pressing Train together trains once."""
        key = self.key(hyper, data)
        with self._lock:
            done = self._finished.get(key)
            if done is not None:
                self._finished.move_to_end(key)
                return "shared", runs.adopted(done.run)
            leader = self._training.get(key)
            if leader is not None and (leader.status.active or leader.status is Status.NEW):
                return "follow", leader   # (NEW: claimed a moment ago, its Train is on the way)
            run = self._training[key] = make()
            return "new", run

    def leave(self, run: runs.Run) -> None:
        """`run` can no longer be joined as a plain run of its settings (paused, changed, ended)."""
        with self._lock:
            key = self.key(run.hyper, self.data_key(run))
            if self._training.get(key) is run:
                del self._training[key]

    def after_publish(self, run: runs.Run) -> None:
        """A run's owner published: keep it for sharing once it finished plainly; let go of it otherwise."""
        if run.status.active or run.status is Status.NEW:
            return
        self.leave(run)
        if run.plain():
            kept = runs.adopted(run)
            with self._lock:
                key = self.key(run.hyper, self.data_key(run))
                self._finished[key] = Finished(kept, time.time(), _nbytes(kept))
                self._finished.move_to_end(key)
                while len(self._finished) > SHARED_RESULTS or (
                        len(self._finished) > 1 and sum(f.nbytes for f in self._finished.values()) > SHARED_BYTES):
                    self._finished.popitem(last=False)

    def finished(self) -> list[Finished]:
        """The finished runs kept, oldest first."""
        with self._lock:
            return list(self._finished.values())

    def counts(self) -> dict:
        with self._lock:
            return {"finished": len(self._finished), "training": len(self._training),
                    "finished_bytes": sum(f.nbytes for f in self._finished.values())}

    def clear(self) -> None:
        with self._lock:
            self._finished.clear()
            self._training.clear()
