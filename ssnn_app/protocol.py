"""The messages between the server and the training process (pickled over two pipes).

The training process owns every run while it exists there: it trains it, pauses it, steps it, and
publishes what the run is now (`Published`). The server sends commands and never trains.
Run ids are the server's. A command carries a `cmd` number; each `Published` says the last one the
training process has acted on (`ack`), so a page can wait for its own click to take effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ssnn_core import Hyper, PairData, SsnnError, Standardiser
from ssnn_core.history import Snapshot

# ------------------------------------------------------------------ server -> training process


@dataclass(frozen=True)
class Plan:
    """How a run records itself: test figures every `eval_every` iterations, replay snapshots."""

    eval_every: int
    snapshot_every: int
    max_snapshots: int


@dataclass(frozen=True)
class Data:
    """A digit pair the runs train on, sent once and kept under `key`."""

    key: tuple
    pair: PairData


@dataclass(frozen=True)
class Forget:
    key: tuple


@dataclass(frozen=True)
class Prepare:
    """Standardise this pair's training set now, so that a Train click starts training at once."""

    key: tuple
    scaler: Standardiser
    dtype: str


@dataclass(frozen=True)
class Create:
    """A run to own, at its initial parameters or (`state`, from Trainer.state_dict) where it was,
    in `status` (a Status value: new, paused, done or failed)."""

    run: int
    key: tuple
    hyper: Hyper
    scaler: Standardiser
    plan: Plan
    state: dict | None = None
    status: str = "new"


@dataclass(frozen=True)
class Fork:
    """A copy of run `source`, as it is now, under the id `run` (a session that changes a shared run)."""

    run: int
    source: int


@dataclass(frozen=True)
class Train:
    """Train on to `target` iterations with learning rate `lr` (or, with `steps`, that many more, then pause)."""

    run: int
    cmd: int
    lr: float
    target: int
    steps: int | None = None


@dataclass(frozen=True)
class Pause:
    run: int
    cmd: int


@dataclass(frozen=True)
class Configure:
    """A new learning rate or target for a run, applied from its next iteration. `keep_running`: the
    learner saw it training, so a run that reached its old target meanwhile goes on to the new one."""

    run: int
    cmd: int
    lr: float
    target: int
    keep_running: bool


@dataclass(frozen=True)
class Drop:
    """The server no longer has this run: forget it."""

    run: int


@dataclass(frozen=True)
class Query:
    """Ask for `Stats`."""

    cmd: int


# ------------------------------------------------------------------ training process -> server


@dataclass(frozen=True)
class Published:
    """A run as it is now. History rows and evaluations are the new ones only: the server keeps the
    first `steps_from` (`evals_from`) it has and appends these (a diverged run's history is cut back to
    its last good step). `replay`: the iterations of every replay snapshot kept now (they are thinned
    out as a run grows); `snapshots`: those of them the server does not have yet. `params`: the current
    parameters (copies). `starts`/`stops`: how many times the training process has started and stopped
    training this run (Train or Step; Pause, Step's end, finishing), its own count."""

    run: int
    ack: int
    status: str
    iteration: int
    target: int
    learning_rate: float
    train_seconds: float
    params: dict
    steps: dict
    steps_from: int
    evals: dict
    evals_from: int
    replay: list[int]
    snapshots: list[Snapshot]
    snapshot_every: int
    message: str | None = None     # why it diverged or failed
    queue_position: int = 0        # 1-based place among the runs waiting for a turn (0: not waiting)
    starts: int = 0
    stops: int = 0
    error: SsnnError | None = None  # `message` as an SsnnError (English template + values), to show it translated


@dataclass(frozen=True)
class Stats:
    """What the training process keeps (for the soak test and the load bench)."""

    cmd: int
    runs: int
    training: int
    queued: int
    pairs: int
    sets: int
    set_bytes: int
    made: list = field(default_factory=list)   # (pair key, scaling, dtype) of each training set made
