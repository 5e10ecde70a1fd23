"""Everything a learner can do to a run: Train, Pause, Step N, a new learning rate or target, Reset,
upload a model. The one module that changes runs; each change is a message to the run's owner, the
training process (see worker.py), and the page waits briefly for its answer so that what it draws
next is the run after the click.

A session that changes a run other sessions watch first gets a copy of its own (`_own`): the others
carry on as they were.
"""

from __future__ import annotations

import threading

import streamlit as st

from ssnn_core import Hyper, Model

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
    one a new session may join as a plain run of its settings."""
    if run.others_watching == 0:
        classroom().leave(run)
        return run
    mine = runs.Run(run.hyper, run.source, run.pair, run.scaler, run.state, origin=run.origin)
    engine().fork(run, mine)
    _set_run(mine)
    return mine


def _continues(run: runs.Run | None, hyper: Hyper) -> bool:
    """Train or Step with `hyper` carries `run` on (rather than starting a new network)."""
    return (run is not None and run.origin != "uploaded" and run.status.can_continue and run.compatible(hyper)
            and run.pair is not None)


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
    if not _continues(run, hyper) or run.status is Status.NEW:
        pair = app_data.pair(hyper.digits)
        if pair is None:
            return
        kind, run = classroom().claim(hyper, pair.source, lambda: _fresh(hyper))
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
    if not _continues(run, hyper):
        run = _fresh(hyper)
        if run is None:
            return hyper
        _set_run(run)
    if run.status.active:
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
    """Make an uploaded model this session's run (the one it had is let go of)."""
    _abandon(current_run())
    _set_run(runs.uploaded(model, app_data.pair(model.hyper.digits)))


def wait_until_stopped(run: runs.Run, timeout: float = 3600) -> bool:
    """Block until the run is no longer training (done, paused, diverged or failed)."""
    return run.wait(lambda s: not s.status.active, timeout)
