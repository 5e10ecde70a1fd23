"""Everything a learner can do to a run: Train, Pause, Step N, a new learning rate or target, Reset,
upload a model. The one module that changes runs; each change is a message to the run's owner, the
training process (see worker.py), and the page waits briefly for its answer so that what it draws
next is the run after the click.

A session that changes a run other sessions watch first gets a copy of its own (`_own`): the others
carry on as they were. An uploaded model is carried on the same way: Train and Step continue it from
the file's parameters, standardiser and history (the training process is given it where the file left
it), when this session's data is what it was trained on and the settings are its own.
"""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from ssnn_core import DataError, Hyper, Model, init_params
from ssnn_core.config import ITERATIONS_RANGE

from . import data as app_data
from . import protocol as p
from . import runs
from .board import Board
from .board import enabled as board_enabled
from .classroom import Classroom
from .engine import Engine
from .lifecycle import Status

ANSWER_SECONDS = 2.0     # how long a click waits for the training process to act on it
STEP_SECONDS = 1.0       # how long Step N waits for its steps to be done (then they show live)

_lock = threading.Lock()
_shared: dict = {}


def board() -> Board:
    """The class board of this server (see board.py)."""
    with _lock:
        if "board" not in _shared:
            _shared["board"] = Board()
        return _shared["board"]


def classroom() -> Classroom:
    with _lock:
        if "classroom" not in _shared:
            _shared["classroom"] = Classroom()
        return _shared["classroom"]


def engine() -> Engine:
    """The server's training process (one for every session)."""
    with _lock:
        if "engine" not in _shared:
            _shared["engine"] = Engine(on_publish=_after_publish)
        return _shared["engine"]


def forget_shared_runs() -> None:
    """Start the classroom afresh (tests: no run of one test is shared with the next), the board too."""
    classroom().clear()
    board().clear()


def _after_publish(run: runs.Run) -> None:
    if run.status.active and not run.watchers:   # every session that watched it has gone
        engine().command(run, lambda c: p.Pause(run.id, c))
    classroom().after_publish(run)
    if board_enabled():
        board().after_publish(run)


# ------------------------------------------------------------------ this session's run


class _Token:
    """One per browser session; runs hold their watchers' tokens weakly, so a closed session stops counting."""


def _token() -> _Token:
    ss = st.session_state
    if "_token" not in ss:
        ss["_token"] = _Token()
    return ss["_token"]


def current_run() -> runs.Run | None:
    return st.session_state.get("run")


def _set_run(run: runs.Run | None) -> None:
    ss, token = st.session_state, _token()
    old = ss.get("run")
    if old is not None and old is not run:
        old.watchers.discard(token)
    if run is None:
        ss.pop("run", None)
    else:
        run.watchers.add(token)
        ss["run"] = run


def _own(run: runs.Run) -> runs.Run:
    """This session's run, about to be changed: a copy when others watch it too; either way no longer
    one a new session may join as a plain run of its settings. An uploaded model becomes a run of this
    session's, continued from where the file left it."""
    if run.origin == "uploaded":
        mine = runs.continued(run)
        _set_run(mine)
        return mine
    if run.others_watching == 0:
        classroom().leave(run)
        return run
    mine = runs.Run(run.hyper, run.source, run.pair, run.scaler, run.state, origin=run.origin)
    engine().fork(run, mine)
    _set_run(mine)
    return mine


def continues(run: runs.Run | None, hyper: Hyper) -> bool:
    """Train or Step with `hyper` carries `run` on (rather than starting a new network): also an uploaded
    model, unless it is held (see runs.HELD). Never on other data: after the session uploads another data
    set, Train trains on it (a run whose data's fingerprint differs starts anew)."""
    if run is None or run.held is not None or not run.status.can_continue or not run.compatible(hyper) \
            or run.pair is None:
        return False
    pair = app_data.pair(hyper.digits)
    return pair is not None and (getattr(pair, "digest", "") or "") == (getattr(run.pair, "digest", "") or "")


def _fresh(hyper: Hyper) -> runs.Run | None:
    pair = app_data.pair(hyper.digits)
    if pair is None:
        return None
    return runs.new_run(hyper, pair, app_data.scaler(pair, hyper.scaling))


def _tell(run: runs.Run, make, done, seconds: float = ANSWER_SECONDS) -> None:
    cmd = engine().command(run, make)
    run.wait(lambda s: s.ack >= cmd and done(s), seconds)


# ------------------------------------------------------------------ the actions


def prepare(hyper: Hyper) -> None:
    """Have the training process standardise these settings' training set now, not at the click."""
    pair = app_data.pair(hyper.digits)
    if pair is not None:
        engine().prepare(pair, app_data.scaler(pair, hyper.scaling), hyper.dtype)


def train(hyper: Hyper) -> None:
    """Train button: carry on this session's run, else start anew; take a shared result when one exists,
    or follow an identical run another session is training."""
    run = current_run()
    if not continues(run, hyper) or run.status is Status.NEW:
        pair = app_data.pair(hyper.digits)
        if pair is None:
            return
        kind, run = classroom().claim(hyper, pair.digest or pair.source, lambda: _fresh(hyper))
        _set_run(run)
        if kind == "follow":  # a run claimed a moment ago may not be queued yet: draw it once it is
            run.wait(lambda s: s.status is not Status.NEW, ANSWER_SECONDS)
        elif kind == "new":
            try:
                _tell(run, lambda c: p.Train(run.id, c, hyper.learning_rate, hyper.iterations), lambda s: True)
            except BaseException:  # also Streamlit's rerun/stop: a run nobody will train may not stay joinable
                classroom().leave(run)
                raise
        if run.status is Status.NEW:  # its Train never took effect (the training process died meanwhile)
            classroom().leave(run)
        return
    elif run.status.active:
        return
    else:
        run = _own(run)
    _tell(run, lambda c: p.Train(run.id, c, hyper.learning_rate, hyper.iterations), lambda s: True)


def pause() -> None:
    """Stop training after the iteration in flight; waits for it, so what is drawn next is final."""
    run = current_run()
    if run is None or not run.status.active:
        return
    run = _own(run)
    _tell(run, lambda c: p.Pause(run.id, c), lambda s: not s.status.active)


def step(n: int, hyper: Hyper) -> Hyper:
    """Exactly n more iterations (also past the target), then paused. Returns the settings in force
    (the number of iterations grows when the steps go past it)."""
    run = current_run()
    if not continues(run, hyper):
        run = _fresh(hyper)
        if run is None:
            return hyper
        _set_run(run)
    n = min(n, ITERATIONS_RANGE[1] - run.state.iteration)   # a run ends at the core's most iterations
    if run.status.active or n <= 0:
        return hyper
    run = _own(run)
    target = max(hyper.iterations, run.state.iteration + n)
    _tell(run, lambda c: p.Train(run.id, c, hyper.learning_rate, target, steps=n),
          lambda s: not s.status.active, STEP_SECONDS)
    return hyper.replace(iterations=target)


def configure(hyper: Hyper) -> None:
    """New settings: a training run takes a new learning rate or number of iterations from its next
    iteration (other changes wait for Train or Reset, which start a new network)."""
    run = current_run()
    if run is None or not run.status.active or not run.compatible(hyper):
        return
    s = run.state
    if (hyper.learning_rate, hyper.iterations) == (s.learning_rate, s.target):
        return
    mine = _own(run)
    if mine is not run:  # the copy starts paused: it trains on with the new settings
        _tell(mine, lambda c: p.Train(mine.id, c, hyper.learning_rate, hyper.iterations), lambda s: True)
    else:
        _tell(mine, lambda c: p.Configure(mine.id, c, hyper.learning_rate, hyper.iterations, True),
              lambda s: True)


def _abandon(run: runs.Run | None) -> None:
    """This session is leaving `run`: stop its training unless other sessions watch it."""
    if run is not None and run.others_watching == 0 and run.status.active:
        classroom().leave(run)
        _tell(run, lambda c: p.Pause(run.id, c), lambda s: not s.status.active)


def reset(hyper: Hyper) -> None:
    """Back to the initial parameters of the current settings."""
    _abandon(current_run())
    _set_run(_fresh(hyper))


def install_model(model: Model) -> None:
    """Make an uploaded model this session's run (the one it had is let go of): Train and Step carry it
    on, unless it is held (see runs.HELD)."""
    _abandon(current_run())
    try:
        pair = app_data.pair(model.hyper.digits)
    except DataError:       # this session's data set has no such classes (a user's images): a model without data
        pair = None
    _set_run(runs.uploaded(model, pair, _held(model, pair)))


def _held(model: Model, pair) -> str | None:
    """Why Train and Step cannot carry `model` on with this session's `pair` (None: they can)."""
    if pair is None:
        return runs.NO_DATA
    ours, its = app_data.scaler(pair, model.hyper.scaling), model.scaler
    if not all(np.array_equal(getattr(ours, k), getattr(its, k)) for k in ("mean", "scale", "blank")):
        return runs.OTHER_DATA      # the training set standardised as it was would not be the one it saw
    if model.iteration == 0:        # a run at iteration 0 starts from its seed's initialisation
        h = model.hyper
        start = init_params(h.hidden, h.seed, dtype=np.dtype(h.dtype))
        if not all(np.array_equal(start[k], model.params[k]) for k in start):
            return runs.NOT_ITS_START
    return None


def wait_until_stopped(run: runs.Run, timeout: float = 3600) -> bool:
    """Block until the run is no longer training (done, paused, diverged or failed)."""
    return run.wait(lambda s: not s.status.active, timeout)
