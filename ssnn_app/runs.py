"""A run as the server knows it: the latest state its owner published, and who watches it.

While the training process owns a run, the server never changes it: it keeps the latest `RunState`
the training process published (immutable, replaced whole), and every page reads that. Reading never
stops or slows training. Commands (commands.py) are messages to the owner.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import weakref
from dataclasses import dataclass, field, replace

import numpy as np

from ssnn_core import Hyper, Model, PairData, SsnnError, Standardiser, init_params
from ssnn_core.history import History, Snapshot

from . import classes, words
from . import protocol as p
from .i18n import _, pgettext
from .lifecycle import Event, Status, after

SNAPSHOT_BUDGET = 16 * 2**20     # bytes of W1 copies kept per run for the replay


def plan_for(hyper: Hyper) -> p.Plan:
    """Test figures 100 times per run; replay snapshots within SNAPSHOT_BUDGET bytes (8 to 60 of them)."""
    per = hyper.hidden * 784 * np.dtype(hyper.dtype).itemsize
    most = int(max(8, min(60, SNAPSHOT_BUDGET // per)))
    return p.Plan(max(1, hyper.iterations // 100), max(1, math.ceil(hyper.iterations / most)), most)


def _frozen(params: dict) -> dict:
    for a in params.values():
        a.flags.writeable = False
    return params


@dataclass(frozen=True)
class RunState:
    """A run at one moment, as its owner published it. Never changed: a new one replaces it."""

    version: int
    status: Status
    iteration: int
    target: int
    learning_rate: float
    params: dict                   # W1 (n1, 784), b1 (n1, 1), W2 (1, n1), b2 (1, 1); read-only
    history: History               # never appended to once published
    replay: tuple[Snapshot, ...] = ()
    snapshot_every: int = 0
    train_seconds: float = 0.0
    message: str | None = None     # why it diverged or failed
    queue_position: int = 0
    ack: int = 0
    starts: int = 0
    stops: int = 0
    error: SsnnError | None = None  # `message` as an SsnnError (English template + values), to show it translated

    @property
    def ms_per_iteration(self) -> float | None:
        return 1000 * self.train_seconds / self.iteration if self.iteration and self.train_seconds else None

    def state_dict(self) -> dict:
        """What Trainer.load_state_dict needs to carry this run on where it is."""
        return {"params": {k: v.copy() for k, v in self.params.items()}, "iteration": self.iteration,
                "history": self.history.copy(), "snapshots": list(self.replay),
                "snapshot_every": self.snapshot_every, "stopped_reason": None,
                "train_seconds": self.train_seconds, "learning_rate": self.learning_rate}

    def after(self, msg: p.Published) -> RunState:
        """This state with the owner's news applied."""
        h = self.history
        steps = {f: getattr(h, f)[:msg.steps_from] + list(v) for f, v in msg.steps.items()}
        evals = {f: getattr(h, f)[:msg.evals_from] + list(v) for f, v in msg.evals.items()}
        have = {s.iteration: s for s in (*self.replay, *msg.snapshots)}
        return RunState(self.version + 1, Status(msg.status), msg.iteration, msg.target, msg.learning_rate,
                        _frozen(msg.params), History(**steps, **evals),
                        tuple(have[i] for i in msg.replay if i in have), msg.snapshot_every, msg.train_seconds,
                        msg.message, msg.queue_position, msg.ack, msg.starts, msg.stops, msg.error)


_ids = itertools.count(1)


@dataclass(eq=False)
class Run:
    """One network being trained (or trained, shared, uploaded) and the sessions that show it.

    hyper: the settings it was made with (its target and learning rate now are in `state`);
    origin: "trained" here, "shared" (the result of an identical earlier run), "uploaded" (a model file, as
    it was uploaded), or "continued" (an uploaded model trained on since);
    held: for an uploaded model, why Train and Step cannot carry it on here (see HELD), else None."""

    hyper: Hyper
    source: str                                   # where its data came from
    pair: PairData | None
    scaler: Standardiser
    state: RunState
    origin: str = "trained"
    held: str | None = None
    id: int = field(default_factory=lambda: next(_ids))
    watchers: weakref.WeakSet = field(default_factory=weakref.WeakSet, repr=False)
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    drawn: dict = field(default_factory=dict, repr=False)   # kind -> (key, value): see memo()

    @property
    def status(self) -> Status:
        return self.state.status

    @property
    def plan(self) -> p.Plan:
        return plan_for(self.hyper)

    @property
    def others_watching(self) -> int:
        return max(0, len(self.watchers) - 1)

    def memo(self, kind: str, key, make):
        """What every session showing this run draws of it (`kind`: its evaluation, chart, status line),
        made once per `key` (which includes the state's version); only the latest of each kind is kept,
        and it goes when the run goes."""
        slot = self.drawn.get(kind)
        if slot is not None and slot[0] == key:
            return slot[1]
        value = make()
        self.drawn[kind] = (key, value)
        return value

    def compatible(self, hyper: Hyper) -> bool:
        """True when `hyper` differs from this run at most in learning rate and iterations."""
        a, b = self.hyper, hyper
        return (a.digits, a.hidden, a.seed, a.dtype, a.scaling) == (b.digits, b.hidden, b.seed, b.dtype, b.scaling)

    def plain(self) -> bool:
        """Trained from the start with its own settings, untouched: identical to any run of those settings."""
        s, h = self.state, self.state.history
        return (self.origin == "trained" and s.status is Status.DONE and s.iteration == self.hyper.iterations
                and all(lr == self.hyper.learning_rate for lr in h.learning_rate))

    def model(self) -> Model:
        """The model as it is now, with its history: what a download holds. Its settings are those in
        force (the learning rate and target it trains with now), so that uploading it carries it on so."""
        s = self.state
        return Model(s.params, self.scaler,
                     self.hyper.replace(iterations=max(s.target, 1), learning_rate=s.learning_rate),
                     s.iteration, s.history, s.train_seconds)

    def describe(self) -> str:
        """One line for the sidebar, in the caller's language (made when asked, never kept on the run)."""
        h, s = self.hyper, self.state
        where = pgettext("run status", "uploaded") if self.origin == "uploaded" else s.status.label
        a, b = self.names()
        if words.digit_names((a, b)):
            text = _("784→{n1}→1, digits {a}/{b}, lr {lr:g}, {iteration}/{target} iterations ({status})")
        else:
            text = _("784→{n1}→1, classes {a}/{b}, lr {lr:g}, {iteration}/{target} iterations ({status})")
        return text.format(n1=h.hidden, a=a, b=b, lr=s.learning_rate, iteration=s.iteration, target=s.target,
                           status=where)

    def names(self) -> tuple[str, str]:
        """The two classes it tells apart, by name in the current language: its data's, else its digits."""
        if self.pair is not None:
            return classes.pair_names(self.pair)
        return tuple(str(d) for d in self.hyper.digits)

    # ------------------------------------------------------------ from the owner (listener thread)

    def apply(self, msg: p.Published) -> None:
        with self.changed:
            self.state = self.state.after(msg)
            self.changed.notify_all()

    def lost(self, reason: str | SsnnError) -> None:
        """The training process that had this run died: the model stays as last published."""
        with self.changed:
            status = after(self.state.status, Event.LOST)
            if status is not self.state.status:
                self.state = replace(self.state, version=self.state.version + 1, status=status,
                                     message=f"training stopped unexpectedly: {reason}",
                                     error=SsnnError("training stopped unexpectedly: {reason}", reason=reason))
            self.changed.notify_all()

    def wait(self, done, timeout: float) -> bool:
        """Wait until done(state) is true (for the owner's answer to a click); False on timeout."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not done(self.state):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True


def new_run(hyper: Hyper, pair: PairData, scaler: Standardiser) -> Run:
    """A run at its initial parameters (the training process creates its trainer when it first trains)."""
    params = _frozen(init_params(hyper.hidden, hyper.seed, dtype=np.dtype(hyper.dtype)))
    state = RunState(0, Status.NEW, 0, hyper.iterations, hyper.learning_rate, params, History())
    return Run(hyper, pair.source, pair, scaler, state)


def adopted(run: Run) -> Run:
    """A session's own run holding the result of `run` (finished, shared): same state, no copy."""
    return Run(run.hyper, run.source, run.pair, run.scaler, run.state, origin="shared")


# why an uploaded model cannot be trained on here (Run.held)
NO_DATA = "no data"          # this session's data set has no images of its classes
OTHER_DATA = "other data"    # its standardiser is not this data set's: it was trained on other images
NOT_ITS_START = "not its start"   # untrained, but not at its seed's initial weights (a run starts there)
HELD = (NO_DATA, OTHER_DATA, NOT_ITS_START)


def uploaded(model: Model, pair: PairData | None, held: str | None = None) -> Run:
    """A model file as a run: where it was (its parameters, history, learning rate), done (new if untrained).
    Train and Step carry it on (`continued`) unless `held` says why they cannot."""
    h, it = model.hyper, model.iteration
    status, target = (Status.DONE, it) if it else (Status.NEW, h.iterations)
    s = RunState(0, status, it, target, h.learning_rate, _frozen({k: np.array(v) for k, v in model.params.items()}),
                 model.history.copy(), snapshot_every=plan_for(h).snapshot_every, train_seconds=model.train_seconds)
    return Run(h, "uploaded model", pair, model.scaler, s, origin="uploaded", held=held)


def continued(run: Run) -> Run:
    """A session's own run carrying the uploaded model `run` on from where it is (a run of its own: the
    training process has never had it, and is given it where the file left it)."""
    assert run.origin == "uploaded" and run.held is None and run.pair is not None
    return Run(run.hyper, run.source, run.pair, run.scaler, run.state, origin="continued")
