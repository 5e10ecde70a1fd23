"""What the inspection pages look at: the current model of this session's run, with its test data.

Built from the run's latest published state, so looking never stops or slows a run that trains;
made once per run and state for every session that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ssnn_core import Evaluation, Model, PairData, evaluate
from ssnn_core.history import History
from ssnn_core.model_io import to_bytes

from . import classes, commands, history_log, words
from . import data as app_data
from .memo import Shared
from .runs import Run, new_run

_initial = Shared(8)     # (repr(hyper), id(pair)) -> the View of an untrained network
_files = Shared(8)       # (kind, run id, state version) -> a download's bytes


@dataclass(frozen=True)
class View:
    """A model with the data to look at it: what the Weights, Mistakes, How it works and Try it pages use."""

    model: Model                     # params W1 (n1, 784), b1 (n1, 1), W2 (1, n1), b2 (1, 1); scaler; hyper
    history: History
    snapshots: tuple                 # replay snapshots (ssnn_core.trainer.Snapshot)
    pair: PairData | None            # the digits it tells apart, from this session's data (None if none)
    X_test: np.ndarray | None        # (784, m_test) standardised with the model's scaler
    evaluation: Evaluation | None    # on the test set
    source: str
    key: tuple                       # (run id, state version): what it was made from
    learning_rate: float

    @property
    def params(self) -> dict:
        return self.model.params

    @property
    def scaler(self):
        return self.model.scaler

    @property
    def hyper(self):
        return self.model.hyper

    @property
    def iteration(self) -> int:
        return self.model.iteration

    @property
    def names(self) -> tuple[str, str]:
        """The two classes it tells apart, by name in the current language ('3', '8'; 'T-shirt/top',
        'Trouser'): its data's, else (an uploaded model without data) its digits."""
        return classes.pair_names(self.pair) if self.pair is not None else tuple(str(d) for d in self.hyper.digits)

    @property
    def digit_words(self) -> bool:
        """Its classes are digits: sentences may say 'digit' and 'a 3'."""
        return words.digit_names(self.names)


def view_of(run: Run) -> View:
    s = run.state

    def make() -> View:
        model = run.model()
        X_test = evaluation = None
        if run.pair is not None:
            X_test = app_data.test_inputs(run.pair, run.scaler, s.params["W1"].dtype)
            evaluation = evaluate(s.params, X_test, run.pair.y_test)
        return View(model, s.history, s.replay, run.pair, X_test, evaluation, run.source, (run.id, s.version),
                    s.learning_rate)

    return run.memo("view", s.version, make)


def initial(hyper) -> View | None:
    """The network `hyper` starts from, before any training (None without data)."""
    pair = app_data.pair(hyper.digits)
    if pair is None:
        return None
    return _initial.get((repr(hyper), id(pair)),
                      lambda: view_of(new_run(hyper, pair, app_data.scaler(pair, hyper.scaling))))


def current() -> View | None:
    """This session's model, as it is now (None before there is one)."""
    run = commands.current_run()
    return None if run is None else view_of(run)


def model_bytes(view: View) -> bytes:
    """The model as an .npz file (made once per model state)."""
    return _files.get(("model", *view.key), lambda: to_bytes(view.model))


def history_file(view: View) -> str:
    """The history as CSV text (made once per model state)."""
    return _files.get(("history", *view.key), lambda: history_log.history_csv(view.history))
