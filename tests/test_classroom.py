"""What sessions share (ssnn_app/classroom.py): a run in progress to follow, a finished result to take."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ssnn_app import classroom as cr
from ssnn_app import runs
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, Standardiser
from ssnn_core.history import History, Snapshot


@pytest.fixture
def pair(synthetic_pair):
    return synthetic_pair()


@pytest.fixture
def room():
    return cr.Classroom()


def maker(pair, hyper, made: list):
    def make():
        run = runs.new_run(hyper, pair, Standardiser.fit(pair.x_train, hyper.scaling))
        made.append(run)
        return run
    return make


def set_status(run: runs.Run, status: Status, iteration: int | None = None, lr: float | None = None,
               replay=()) -> runs.Run:
    """As if the owner had published `status` at `iteration` (trained all along with `lr`)."""
    h = run.hyper
    it = h.iterations if iteration is None else iteration
    lr = h.learning_rate if lr is None else lr
    history = History(list(range(1, it + 1)), [0.5] * it, [0.9] * it, [lr] * it)
    run.state = replace(run.state, status=status, iteration=it, history=history, replay=tuple(replay),
                        version=run.state.version + 1)
    return run


def test_claim_new_then_follow_then_shared(room, pair):
    hyper, made = Hyper(iterations=20), []
    kind, leader = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    assert kind == "new" and made == [leader] and room.counts()["training"] == 1
    set_status(leader, Status.RUNNING, 3)
    kind, run = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    assert kind == "follow" and run is leader and len(made) == 1       # pressed together: trained once
    # other settings or other data are other runs
    assert room.claim(hyper.replace(seed=2), pair.digest, maker(pair, hyper, made))[0] == "new"
    assert room.claim(hyper, "uploaded.npz", maker(pair, hyper, made))[0] == "new"
    # it finishes plainly: kept; a later session gets a copy of the result at once, replay and all
    set_status(leader, Status.DONE)
    room.after_publish(leader)
    kind, run = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    assert kind == "shared" and run is not leader and run.origin == "shared" and run.state is leader.state
    assert run.status is Status.DONE and len(made) == 3
    assert room.counts()["finished"] == 1 and room.finished()[0].run.state is leader.state


def test_a_run_left_or_changed_is_not_joined_or_kept(room, pair):
    hyper, made = Hyper(iterations=20), []
    _, leader = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    set_status(leader, Status.RUNNING, 3)
    room.leave(leader)                                   # its learner paused it, or changed it
    kind, other = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    assert kind == "new" and other is not leader
    room.leave(leader)                                   # leaving a run that is no longer the one: harmless
    assert room.counts()["training"] == 1
    # finished, but not plainly (another learning rate on the way, or paused short of the target): not kept
    room.after_publish(set_status(leader, Status.DONE, lr=0.1))
    room.after_publish(set_status(other, Status.PAUSED, 7))
    assert room.counts() == {"finished": 0, "training": 0, "finished_bytes": 0}
    # still training: nothing happens
    _, third = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    room.after_publish(set_status(third, Status.RUNNING, 2))
    assert room.counts()["training"] == 1


def test_a_run_claimed_a_moment_ago_is_followed(room, pair):
    """The leader's Train is on its way to the training process (status still NEW): followed, not trained twice;
    a publication of it while NEW does not unlist it."""
    hyper, made = Hyper(iterations=20), []
    _, first = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    room.after_publish(first)
    kind, second = room.claim(hyper, pair.digest, maker(pair, hyper, made))
    assert kind == "follow" and second is first and len(made) == 1


def finished_run(room, pair, seed: int, hidden: int = 10, replay: int = 0) -> runs.Run:
    hyper = Hyper(iterations=5, seed=seed, hidden=hidden)
    _, run = room.claim(hyper, pair.digest, maker(pair, hyper, []))
    snaps = [Snapshot(i, np.zeros((hidden, 784), np.float32), np.zeros((1, hidden), np.float32))
             for i in range(replay)]
    room.after_publish(set_status(run, Status.DONE, replay=snaps))
    return run


def test_finished_runs_are_bounded_in_number_and_bytes(room, pair, monkeypatch):
    one = finished_run(room, pair, 1)
    per = room.counts()["finished_bytes"]
    assert per == sum(a.nbytes for a in one.state.params.values())
    monkeypatch.setattr(cr, "SHARED_RESULTS", 3)
    for seed in range(2, 6):
        finished_run(room, pair, seed)
    assert [f.run.hyper.seed for f in room.finished()] == [3, 4, 5]        # the oldest went first
    # taking a result makes it the most recently used one
    room.claim(Hyper(iterations=5, seed=3), pair.digest, lambda: pytest.fail("made a run"))
    finished_run(room, pair, 6)
    assert [f.run.hyper.seed for f in room.finished()] == [5, 3, 6]
    # the byte bound: replay counts too; the newest is kept even when it alone is over it
    monkeypatch.setattr(cr, "SHARED_RESULTS", 32)
    monkeypatch.setattr(cr, "SHARED_BYTES", 4 * per)
    finished_run(room, pair, 7)
    assert [f.run.hyper.seed for f in room.finished()] == [5, 3, 6, 7]
    finished_run(room, pair, 8, replay=3)                                 # 1 + 3 * (W1 + W2) ~ 4 runs' worth
    assert [f.run.hyper.seed for f in room.finished()] == [8]
    assert room.counts()["finished_bytes"] <= 5 * per
    room.clear()
    assert room.counts() == {"finished": 0, "training": 0, "finished_bytes": 0}
