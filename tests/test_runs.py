"""A run as the server keeps it (ssnn_app/runs.py): the published state put together, and the Run around it."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from ssnn_app import protocol as p
from ssnn_app import runs
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, Standardiser
from ssnn_core.history import History, Snapshot
from ssnn_core.model_io import Model


@pytest.fixture
def pair(synthetic_pair):
    return synthetic_pair()


def fresh(pair, **settings) -> runs.Run:
    hyper = Hyper(**settings)
    return runs.new_run(hyper, pair, Standardiser.fit(pair.x_train, hyper.scaling))


def params(n1: int = 10, value: float = 0.0) -> dict:
    return {"W1": np.full((n1, 784), value, np.float32), "b1": np.zeros((n1, 1), np.float32),
            "W2": np.full((1, n1), value, np.float32), "b2": np.zeros((1, 1), np.float32)}


def published(iteration: int, steps_from: int, costs: list, evals_from: int = 0, evals=(), status="running",
              replay=(), snapshots=(), lr: float = 0.5, **extra) -> p.Published:
    """What the owner sends: the rows from `steps_from` on, one per cost."""
    first = steps_from + 1
    steps = {"iteration": list(range(first, first + len(costs))), "train_cost": list(costs),
             "train_accuracy": [0.9] * len(costs), "learning_rate": [lr] * len(costs)}
    ev = {"eval_iteration": [i for i, _ in evals], "test_cost": [c for _, c in evals],
          "test_accuracy": [0.8] * len(evals)}
    return p.Published(1, extra.pop("ack", 0), status, iteration, extra.pop("target", 100), lr, 0.1,
                       params(value=iteration), steps, steps_from, ev, evals_from, list(replay), list(snapshots),
                       10, **extra)


def test_new_run_starts_at_the_initial_parameters(pair):
    run = fresh(pair, iterations=40, hidden=12)
    s = run.state
    assert (s.version, s.status, s.iteration, s.target, s.learning_rate) == (0, Status.NEW, 0, 40, 0.5)
    assert s.params["W1"].shape == (12, 784) and not s.params["W1"].flags.writeable
    assert run.origin == "trained" and run.status is Status.NEW and not s.history.iteration


def test_after_appends_the_new_rows():
    s0 = runs.RunState(0, Status.QUEUED, 0, 100, 0.5, params(), History())
    s1 = s0.after(published(3, 0, [0.7, 0.6, 0.5], evals=[(0, 0.69)]))
    s2 = s1.after(published(5, 3, [0.4, 0.3], evals_from=1, evals=[(5, 0.31)], ack=4, queue_position=0))
    assert s2.history.iteration == [1, 2, 3, 4, 5] and s2.history.train_cost == [0.7, 0.6, 0.5, 0.4, 0.3]
    assert s2.history.eval_iteration == [0, 5] and s2.history.test_cost == [0.69, 0.31]
    assert (s2.version, s2.status, s2.iteration, s2.ack) == (2, Status.RUNNING, 5, 4)
    assert not s2.params["W1"].flags.writeable and s2.params["W1"][0, 0] == 5
    # states are never changed: the earlier ones are as they were
    assert s1.history.iteration == [1, 2, 3] and s0.history.iteration == [] and s1.params["W1"][0, 0] == 3


def test_after_cuts_the_history_back_when_a_run_diverged():
    s = runs.RunState(0, Status.RUNNING, 0, 100, 10.0, params(), History())
    s = s.after(published(3, 0, [0.7, 0.76, 0.9], evals=[(0, 0.69)]))
    # the third step is taken back: the owner says it keeps 2 of the rows the server has, and sends none
    s = s.after(published(2, 2, [], evals_from=1, evals=[(2, 0.8)], status="diverged", message="diverged: lr"))
    assert s.status is Status.DIVERGED and s.iteration == 2 and s.message == "diverged: lr"
    assert s.history.iteration == [1, 2] and s.history.train_cost == [0.7, 0.76]
    assert s.history.eval_iteration == [0, 2]
    assert len(s.history.train_accuracy) == len(s.history.learning_rate) == 2


def test_after_keeps_the_replay_snapshots_the_owner_still_has():
    snap = {i: Snapshot(i, np.full((10, 784), i, np.float32), np.zeros((1, 10), np.float32)) for i in (0, 10, 20, 30)}
    s = runs.RunState(0, Status.RUNNING, 0, 100, 0.5, params(), History())
    s = s.after(published(20, 0, [0.5] * 20, replay=[0, 10, 20], snapshots=[snap[0], snap[10], snap[20]]))
    assert [x.iteration for x in s.replay] == [0, 10, 20]
    # thinned out by the owner (every second one kept) and one new one sent
    s = s.after(published(30, 20, [0.4] * 10, replay=[0, 20, 30], snapshots=[snap[30]]))
    assert [x.iteration for x in s.replay] == [0, 20, 30] and s.replay[1] is snap[20]


def test_state_dict_is_what_a_trainer_carries_on_from():
    s = runs.RunState(0, Status.PAUSED, 0, 100, 0.5, params(), History()).after(
        published(2, 0, [0.7, 0.6], status="paused", lr=0.25))
    d = s.state_dict()
    assert d["iteration"] == 2 and d["learning_rate"] == 0.25 and d["history"].train_cost == [0.7, 0.6]
    d["params"]["W1"][...] = 9                                   # copies: the state is untouched
    assert s.params["W1"][0, 0] == 2


def test_run_compatible_plain_and_describe(pair):
    run = fresh(pair, iterations=3)
    assert run.compatible(run.hyper.replace(learning_rate=0.1, iterations=9))
    for change in ({"hidden": 11}, {"seed": 2}, {"digits": (3, 8)}, {"dtype": "float64"}, {"scaling": "seed"}):
        assert not run.compatible(run.hyper.replace(**change)), change
    assert not run.plain()                                       # not trained yet
    done = published(3, 0, [0.7, 0.6, 0.5], status="done", target=3)
    run.apply(done)
    assert run.plain() and run.status is Status.DONE
    assert "784→10→1, digits 0/1, lr 0.5, 3/3 iterations (done)" == run.describe()
    other = fresh(pair, iterations=3)
    other.apply(published(3, 0, [0.7, 0.6, 0.5], status="done", target=3, lr=0.1))   # trained with another rate
    assert not other.plain()
    assert not runs.adopted(run).plain() and runs.adopted(run).state is run.state


def test_uploaded_run(pair):
    model = Model(params(7), Standardiser.fit(pair.x_train, "safe"), Hyper(hidden=7, iterations=50), 42)
    run = runs.uploaded(model, pair)
    assert run.origin == "uploaded" and run.status is Status.DONE and run.state.iteration == 42
    assert "(uploaded)" in run.describe() and not run.plain()
    assert run.model().iteration == 42 and run.model().hyper.hidden == 7


def test_lost_fails_an_active_run_and_keeps_its_model(pair):
    run = fresh(pair)
    run.apply(published(4, 0, [0.7, 0.6, 0.5, 0.4]))
    before = run.state
    run.lost("killed")
    assert run.status is Status.FAILED and run.state.message == "training stopped unexpectedly: killed"
    assert run.state.params is before.params and run.state.iteration == 4 and run.state.version == before.version + 1
    resting = fresh(pair)
    resting.lost("killed")
    assert resting.status is Status.NEW and resting.state.message is None


def test_wait_returns_when_the_state_comes_or_on_timeout(pair):
    run = fresh(pair)
    t0 = time.monotonic()
    assert not run.wait(lambda s: s.iteration > 0, 0.05) and time.monotonic() - t0 >= 0.05
    threading.Timer(0.05, run.apply, [published(1, 0, [0.7])]).start()
    assert run.wait(lambda s: s.iteration == 1, 5)


def test_plan_keeps_replay_within_its_budget():
    for hidden, iterations in ((10, 500), (300, 5000), (10, 1), (300, 7)):
        plan = runs.plan_for(Hyper(hidden=hidden, iterations=iterations))
        assert plan.eval_every >= 1 and plan.snapshot_every >= 1 and 8 <= plan.max_snapshots <= 60
        assert plan.max_snapshots * hidden * 784 * 4 <= max(runs.SNAPSHOT_BUDGET, 8 * hidden * 784 * 4)
    assert runs.plan_for(Hyper(iterations=500)).eval_every == 5


def test_states_are_immutable():
    s = runs.RunState(0, Status.NEW, 0, 1, 0.5, params(), History())
    with pytest.raises(AttributeError):
        s.iteration = 3
    assert replace(s, iteration=3).iteration == 3 and s.iteration == 0
