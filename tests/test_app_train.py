"""The Train page and the commands behind it (ssnn_app/commands.py), through Streamlit's AppTest on the
synthetic MNIST, with the real training process beside the test: train, pause, step, reset, settings in
the URL, downloads and uploads, runs shared between sessions, a lost training process.

Long runs use 300 hidden neurons and 5000 iterations (minutes of training), so that they are still
training while a test clicks; they are paused or let go of at the end."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest

from ssnn_app import commands, pagesetup, readmodel, runs
from ssnn_app import protocol as p
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, Standardiser, Trainer, load_mnist, load_model, select_digits
from ssnn_core.model_io import Model, to_bytes
from tests.apptools import (
    ROOT,
    TRAIN,
    WEIGHTS,
    app,
    charts,
    click_train,
    goto,
    run_until_trained,
    texts,
    trained,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("app_synthetic")
LONG = {"iterations": 5000, "hidden": 300}


@pytest.fixture
def pair(app_synthetic):
    return select_digits(load_mnist(app_synthetic), (0, 1))


def start_training(**settings):
    """The Train page with these settings, Train pressed (not waited for): (AppTest, its run)."""
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(**settings)
    at.run()
    at.button(key="b_train").click().run()
    return at, at.session_state["run"]


def pressing_train_together(n: int, hyper: Hyper) -> list:
    """n sessions on the Train page with `hyper`, all drawn, then each pressing Train (not waited for)."""
    sessions = [app(TRAIN) for _ in range(n)]
    for at in sessions:
        at.session_state["hyper"] = hyper
        at.run()
    for at in sessions:
        at.button(key="b_train").click().run()
    return sessions


def solo(run: runs.Run, iterations: int | None = None) -> Trainer:
    """The run's settings trained alone by a Trainer in this process, as the training process plans it."""
    plan = run.plan
    t = Trainer(run.pair, run.hyper, eval_every=plan.eval_every, snapshot_every=plan.snapshot_every,
                max_snapshots=plan.max_snapshots, scaler=run.scaler)
    t.evaluate_now()
    t.run(iterations)
    return t


def same_numbers(state: runs.RunState, t: Trainer) -> None:
    assert state.iteration == t.iteration and state.history.train_cost == t.history.train_cost
    for k, v in t.current_params().items():
        assert np.array_equal(state.params[k], v), k


def test_train_page_before_training():
    at = app(TRAIN)
    assert "Not trained yet" in texts(at)
    assert at.button(key="b_pause").disabled and not at.button(key="b_train").disabled
    # the interactive chart is there, empty, from the start (the browser loads its library before the result)
    spec = next(s for s in charts(at).values() if any(t.get("name") == "train cost" for t in s["data"]))
    assert all(not t.get("y") for t in spec["data"]) and spec["layout"]["xaxis"]["range"] == [0, 500]
    assert spec["layout"]["yaxis"]["range"] == [-3, 0.3] and spec["layout"]["yaxis"]["type"] == "log"


def test_train_runs_to_the_end_and_reports(pair):
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(iterations=40)
    at.run()
    at.button(key="b_train").click().run()
    run = at.session_state["run"]
    assert run.status is not Status.NEW and run.state.ack > 0       # the click waited for the process's answer
    run_until_trained(at)
    assert run.status is Status.DONE and run.state.iteration == 40 and run.origin == "trained"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Misclassified"].endswith(f"of {len(pair.y_test)}")
    spec = next(s for s in charts(at).values() if any(t.get("name") == "train cost" for t in s["data"]))
    train = next(t for t in spec["data"] if t["name"] == "train cost")
    assert len(train["y"]) == 40 and train["y"][0] > train["y"][-1]
    assert "Iteration 40 / 40" in texts(at) and "done" in texts(at)
    same_numbers(run.state, solo(run))


def test_step_pause_resume_reset_and_live_learning_rate():
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(**LONG)
    at.run()
    at.button(key="b_step1").click().run()
    run_until_trained(at)
    assert at.session_state["run"].state.iteration == 1
    at.number_input(key="w_step_n").set_value(4).run()
    at.button(key="b_stepn").click().run()
    run_until_trained(at)
    run = at.session_state["run"]
    assert run.state.iteration == 5 and run.status is Status.PAUSED
    # a learning-rate change applies from the next iteration and keeps progress
    at.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    at.button(key="b_step1").click().run()
    run_until_trained(at)
    assert at.session_state["run"] is run and run.state.iteration == 6
    assert run.state.history.learning_rate[-2:] == [0.5, 0.1]
    # Pause: a training run stops after the iteration in flight, and stays there
    at.button(key="b_train").click().run()
    wait_for(lambda: run.state.iteration >= 9, what="training")
    at.button(key="b_pause").click().run()
    assert run.status is Status.PAUSED and not at.button(key="b_train").disabled
    paused_at = run.state.iteration
    at.run()
    assert run.state.iteration == paused_at and 9 <= paused_at < 5000
    # Train resumes it to the (now lower) target
    at.sidebar.slider(key="w_iterations").set_value(paused_at + 7).run()
    click_train(at)
    assert at.session_state["run"] is run and run.state.iteration == paused_at + 7 and run.status is Status.DONE
    assert (run.state.starts, run.state.stops) == (5, 5)
    at.button(key="b_reset").click().run()
    fresh = at.session_state["run"]
    assert fresh is not run and fresh.state.iteration == 0 and fresh.status is Status.NEW


def test_reset_while_training_stops_the_old_run():
    at, run = start_training(**LONG)
    wait_for(lambda: run.state.iteration >= 2, what="training")
    at.button(key="b_reset").click().run()
    fresh = at.session_state["run"]
    assert fresh is not run and fresh.status is Status.NEW
    assert run.wait(lambda s: s.status is Status.PAUSED, 10)       # nobody else watched it
    assert not at.button(key="b_train").disabled and "Iteration 0 / 5000" in texts(at)


def test_changing_the_learning_rate_while_training_applies_from_the_next_iteration():
    at, run = start_training(**LONG)
    wait_for(lambda: run.state.iteration >= 2, what="training")
    at.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    assert at.session_state["run"] is run                      # nobody else watches: no copy
    wait_for(lambda: 0.1 in run.state.history.learning_rate, what="the new rate")
    at.button(key="b_pause").click().run()
    lr = run.state.history.learning_rate
    k = lr.index(0.1)
    assert k >= 2 and lr[:k] == [0.5] * k and lr[k:] == [0.1] * (len(lr) - k)


def test_architecture_change_asks_for_a_new_network():
    at = trained(iterations=20)
    at.sidebar.slider(key="w_hidden").set_value(25).run()
    assert "settings changed" in texts(at)
    click_train(at)
    run = at.session_state["run"]
    assert run.hyper.hidden == 25 and run.state.params["W1"].shape == (25, 784) and run.status is Status.DONE


def test_diverging_run_stops_explains_and_keeps_last_good_state():
    at = trained(learning_rate=10, iterations=50)
    run = at.session_state["run"]
    assert run.status is Status.DIVERGED and run.state.iteration < 50
    assert any("learning rate is probably too high" in e.value for e in at.error)
    for v in run.state.params.values():
        assert np.isfinite(v).all() and (abs(v) < 1e6).all()
    # it cannot be trained on: Train starts a new network
    at.sidebar.select_slider(key="w_lr").set_value(0.5).run()
    click_train(at)
    assert at.session_state["run"] is not run and at.session_state["run"].status is Status.DONE


def test_url_parameters_restore_settings_and_bad_ones_are_reported():
    at = app(TRAIN, n1="37", lr="0.1", iters="120", seed="7", digits="3-8", scaling="seed")
    assert at.session_state["hyper"] == Hyper(digits=(3, 8), hidden=37, learning_rate=0.1, iterations=120,
                                              seed=7, scaling="seed")
    assert at.sidebar.slider(key="w_hidden").value == 37
    at.sidebar.slider(key="w_hidden").set_value(40).run()   # the URL follows the settings
    assert at.query_params["n1"] == "40"
    bad = app(n1="abc", lr="-1", iters="99999", digits="4-4", dtype="../etc")
    assert bad.session_state["hyper"] == Hyper()
    assert len(bad.warning) == 5 and not bad.exception
    assert all("ignored" in w.value for w in bad.warning)


# ------------------------------------------------------------------ downloads and uploads


@pytest.fixture
def downloads(monkeypatch):
    """What the page offers for download, by label: recorded as each download button is drawn."""
    from streamlit.delta_generator import DeltaGenerator

    offered = {}
    real = DeltaGenerator.download_button

    def record(self, label, data, *args, **kwargs):
        offered[label] = data
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    return offered


def test_downloads_are_the_run_itself(downloads):
    at = trained(iterations=25, hidden=12)
    run = at.session_state["run"]
    model = load_model(downloads["Download model (.npz)"])
    assert model.iteration == 25 and model.hyper == run.hyper
    for k, v in run.state.params.items():
        assert np.array_equal(model.params[k], v), k
    lines = downloads["Download history (CSV)"].strip().splitlines()
    assert lines[0].startswith("iteration,train_cost") and len(lines) == 26
    assert [float(line.split(",")[1]) for line in lines[1:]] == pytest.approx(run.state.history.train_cost, rel=1e-9)


def test_no_download_while_training(downloads):
    at, run = start_training(**LONG)
    assert run.status.active and "downloaded once the run is paused or finished" in texts(at)
    assert not downloads
    at.button(key="b_pause").click().run()
    assert "Download model (.npz)" in downloads


def test_bad_model_upload_keeps_the_trained_model_and_good_one_loads():
    at = trained(iterations=20)
    before = at.session_state["run"]
    state = before.state
    for k, data in enumerate((b"not a zip", b"PK\x03\x04garbage", (ROOT / "README.md").read_bytes())):
        at.file_uploader(key="model_upload").upload(f"x{k}.npz", data, "application/octet-stream").run()
        assert not at.exception
        assert any(e.value.startswith("Model not loaded, the current one is kept: ") for e in at.error)
        assert at.session_state["run"] is before and before.state is state
    model = Model({k: v * 2 for k, v in state.params.items()}, before.scaler, before.hyper.replace(hidden=10), 20)
    at.file_uploader(key="model_upload").upload("m.npz", to_bytes(model), "application/octet-stream").run()
    assert not at.exception and not at.error
    run = at.session_state["run"]
    assert run is not before and run.origin == "uploaded" and run.status is Status.DONE
    assert np.array_equal(run.state.params["W1"], state.params["W1"] * 2) and "uploaded" in texts(at)
    # Train carries the uploaded model on (tests/test_model_history.py): already at its 20 iterations, it stays
    click_train(at)
    run = at.session_state["run"]
    assert run.origin == "continued" and run.state.iteration == 20
    assert np.array_equal(run.state.params["W1"], state.params["W1"] * 2)


def test_valid_model_outside_the_ui_ranges_keeps_the_page_working():
    at = trained(iterations=20)
    hyper = at.session_state["hyper"]
    small = Hyper(hidden=5, iterations=9000)
    params = {k: np.zeros(s, np.float32) for k, s in (("W1", (5, 784)), ("b1", (5, 1)), ("W2", (1, 5)), ("b2", (1, 1)))}
    scaler = at.session_state["run"].scaler
    at.file_uploader(key="model_upload").upload("small.npz", to_bytes(Model(params, scaler, small, 3)),
                                                "application/octet-stream").run()
    assert not at.exception, at.exception
    run = at.session_state["run"]
    assert run.hyper == small and run.origin == "uploaded" and at.session_state["hyper"] == hyper
    goto(at, WEIGHTS)


# ------------------------------------------------------------------ one classroom


def test_identical_runs_are_shared_between_sessions():
    first = trained(iterations=35)
    assert first.session_state["run"].origin == "trained"
    second = trained(iterations=35)
    run = second.session_state["run"]
    assert run.origin == "shared" and run.status is Status.DONE and run.state.iteration == 35
    assert run.state is first.session_state["run"].state               # the result itself, not trained again
    assert len(run.state.replay) > 2                                   # and its replay, for the Weights page
    assert "shared by an identical earlier run" in texts(second)
    # stepping on from a shared result continues it, exactly as the first session would have
    second.button(key="b_step1").click().run()
    first.button(key="b_step1").click().run()
    a, b = first.session_state["run"], second.session_state["run"]
    for r in (a, b):
        r.wait(lambda s: s.iteration == 36 and not s.status.active, 30)
    assert b.state.iteration == 36 and b.state.history.train_cost == a.state.history.train_cost
    assert np.array_equal(a.state.params["W1"], b.state.params["W1"])


def test_identical_runs_started_together_are_trained_once():
    first, second, third = pressing_train_together(3, Hyper(**LONG))
    leader = first.session_state["run"]
    assert leader.status.active
    assert second.session_state["run"] is leader and third.session_state["run"] is leader
    assert "2 other sessions watch this run" in texts(second.run())
    wait_for(lambda: leader.state.iteration >= 3, what="training")
    # the third session pauses: it gets a copy of its own; the others train on
    third.button(key="b_pause").click().run()
    mine = third.session_state["run"]
    assert mine is not leader and mine.status is Status.PAUSED and leader.status.active
    paused_at = mine.state.iteration
    assert paused_at >= 3
    # the second one changes the learning rate: a copy of its own trains on with it, the leader keeps 0.5
    second.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    theirs = second.session_state["run"]
    assert theirs is not leader and theirs.status.active and theirs.state.learning_rate == 0.1
    assert leader.status.active and leader.state.learning_rate == 0.5 and first.session_state["run"] is leader
    forked_at = theirs.state.iteration
    wait_for(lambda: theirs.state.iteration >= forked_at + 3 and leader.state.iteration >= forked_at + 3)
    second.button(key="b_pause").click().run()
    first.button(key="b_pause").click().run()           # alone now: the run itself stops
    assert first.session_state["run"] is leader and leader.status is Status.PAUSED
    lead, their = leader.state.history, theirs.state.history
    # every copy starts from the very numbers of the run it came from
    assert mine.state.history.train_cost == lead.train_cost[:paused_at]
    split = their.learning_rate.index(0.1)
    assert split >= paused_at and their.train_cost[:split + 1] == lead.train_cost[:split + 1]
    assert their.learning_rate[split:] == [0.1] * (len(their.learning_rate) - split)


def test_a_session_stepping_a_shared_run_gets_a_copy():
    first, second = pressing_train_together(2, Hyper(**LONG))
    leader = first.session_state["run"]
    assert second.session_state["run"] is leader
    first.button(key="b_pause").click().run()           # first gets a paused copy; second follows the leader
    copy = first.session_state["run"]
    assert copy is not leader and copy.status is Status.PAUSED and leader.status.active
    at_copy = copy.state.iteration
    first.button(key="b_step1").click().run()
    run_until_trained(first)
    assert first.session_state["run"] is copy and copy.state.iteration == at_copy + 1
    second.button(key="b_pause").click().run()
    assert leader.status is Status.PAUSED and second.session_state["run"] is leader


def test_leaving_a_shared_run_does_not_stop_it_for_the_others():
    first, second = pressing_train_together(2, Hyper(**LONG))
    leader = second.session_state["run"]
    assert first.session_state["run"] is leader
    first.button(key="b_reset").click().run()           # the first session goes back to a fresh network
    assert first.session_state["run"] is not leader and leader.status.active
    at_reset = leader.state.iteration
    wait_for(lambda: leader.state.iteration > at_reset + 2, what="the leader training on")
    assert "other session" not in texts(second.run())   # the second one watches it alone now
    second.button(key="b_pause").click().run()
    assert second.session_state["run"] is leader and leader.status is Status.PAUSED


def test_a_session_following_a_run_claimed_a_moment_ago_draws_it_training(pair):
    """A class pressing Train together: the first press claims the run before its Train reaches the
    training process; a second press in that moment follows it, and must get the live panel."""
    hyper = Hyper(**LONG)
    scaler = Standardiser.fit(pair.x_train, hyper.scaling)
    kind, leader = commands.classroom().claim(hyper, pair.digest, lambda: runs.new_run(hyper, pair, scaler))
    assert kind == "new" and leader.status is Status.NEW

    def first_press_arrives():
        time.sleep(0.5)
        commands.engine().command(leader, lambda c: p.Train(leader.id, c, hyper.learning_rate, hyper.iterations))

    at = app(TRAIN)
    at.session_state["hyper"] = hyper
    at.run()
    threading.Thread(target=first_press_arrives, daemon=True).start()
    at.button(key="b_train").click().run()
    assert at.session_state["run"] is leader and leader.status.active
    assert "ssnnLiveChart" in "".join(str(m.value) for m in at.markdown)     # the live panel, redrawing
    at.button(key="b_pause").click().run()


def test_different_runs_wait_their_turn_and_the_page_says_so():
    from ssnn_app import worker

    sessions = [start_training(**LONG, seed=k)[0] for k in range(worker.MAX_TRAINING + 2)]
    runs_ = [at.session_state["run"] for at in sessions]
    waiting = runs_[worker.MAX_TRAINING:]
    assert all(r.wait(lambda s: s.status is Status.RUNNING, 30) for r in runs_[:worker.MAX_TRAINING])
    assert all(r.wait(lambda s, k=k: s.queue_position == k, 30) for k, r in enumerate(waiting, 1))
    assert all(r.status is Status.QUEUED for r in waiting)
    assert "starts next" in texts(sessions[-2].run())
    assert "waiting for its turn: 1 run(s) ahead" in texts(sessions[-1].run())
    sessions[0].button(key="b_pause").click().run()       # a slot frees: the first in the queue trains
    assert waiting[0].wait(lambda s: s.status is Status.RUNNING, 30)
    assert waiting[1].wait(lambda s: s.queue_position == 1, 30)
    for at in sessions[1:]:
        at.button(key="b_pause").click().run()
    assert not any(r.status.active for r in runs_)


def test_a_run_nobody_watches_stops(pair):
    hyper = Hyper(**LONG)
    run = runs.new_run(hyper, pair, Standardiser.fit(pair.x_train, hyper.scaling))    # no session holds it
    commands.engine().command(run, lambda c: p.Train(run.id, c, hyper.learning_rate, hyper.iterations))
    assert run.wait(lambda s: s.status is Status.PAUSED, 30)
    assert run.state.iteration < 5000


def test_a_dead_training_process_fails_its_runs_with_a_message_and_a_new_one_takes_over():
    at, run = start_training(**LONG)
    engine = commands.engine()
    pid = engine.pid
    wait_for(lambda: run.state.iteration >= 3, what="training")
    engine.kill()                                       # e.g. killed for memory by the system
    assert run.wait(lambda s: s.status is Status.FAILED, 30)
    at.run()
    assert "training stopped unexpectedly" in run.state.message and not at.exception
    assert any("training stopped unexpectedly" in e.value and "The model is kept" in e.value for e in at.error)
    kept = run.state.iteration                          # the state the server last had, intact
    assert kept == len(run.state.history.train_cost) >= 3
    at.button(key="b_train").click().run()              # a new training process continues the run
    wait_for(lambda: run.state.iteration >= kept + 3, what="training in the new process")
    assert engine.pid != pid
    at.button(key="b_pause").click().run()
    assert run.status is Status.PAUSED and run.state.message is None and run.state.iteration >= kept + 3
    assert run.state.history.train_cost[:kept] == solo(run, kept).history.train_cost
    same_numbers(run.state, solo(run, run.state.iteration))


# ------------------------------------------------------------------ the training process


def test_training_runs_in_the_training_process_without_reruns_and_survives_leaving_the_page(monkeypatch):
    at, run = start_training(iterations=400, hidden=200)
    assert run.status.active
    wait_for(lambda: run.state.iteration >= 5, what="training")   # no script run in between: it goes on
    engine = commands.engine()
    sent = []
    real = engine.command
    monkeypatch.setattr(engine, "command", lambda r, make: (sent.append(make(0)), real(r, make))[1])
    at.run()                             # a whole run of the Train page sends nothing to the training process
    assert sent == [] and not at.exception
    goto(at, WEIGHTS)                    # looking at the tiles does not stop it
    monkeypatch.undo()
    assert run.wait(lambda s: s.status is Status.DONE, 300)
    assert run.state.iteration == 400 and (run.state.starts, run.state.stops) == (1, 1)
    t = solo(run)
    same_numbers(run.state, t)
    assert run.state.history.test_cost == t.history.test_cost
    mine, theirs = run.state.replay, t.snapshots
    assert [s.iteration for s in mine] == [s.iteration for s in theirs] and len(mine) > 2
    assert all((a.W1 == b.W1).all() for a, b in zip(mine, theirs))


def test_step_trains_in_the_training_process_not_in_the_server(monkeypatch):
    """The trainer is broken in this process (the server's); Step 10 still trains 10 iterations, because
    the training process, another interpreter, does it."""
    def broken(*args, **kwargs):
        raise AssertionError("the server trained")

    monkeypatch.setattr(Trainer, "run", broken)
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(iterations=40)
    at.run()
    at.number_input(key="w_step_n").set_value(10).run()
    at.button(key="b_stepn").click().run()
    run_until_trained(at)
    run = at.session_state["run"]
    assert not at.exception and run.status is Status.PAUSED and run.state.iteration == 10
    at.button(key="b_stepn").click().run()
    run_until_trained(at)
    assert run.state.iteration == 20 and "Iteration 20 / 40" in texts(at)


def test_runs_of_one_pair_share_the_training_set_the_train_page_prepared():
    """Opening the Train page has the training process standardise the training set; runs of any width
    on that pair, scaling and precision then train on that one copy (none is made at Train)."""
    engine = commands.engine()
    settings = {"digits": (2, 7), "scaling": "seed", "dtype": "float64"}     # no other test trains these

    def made():
        stats = engine.stats()
        return [m for m in stats.made if m[0][2] == (2, 7) and m[1:] == ("seed", "float64")]

    before = len(made())
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(iterations=30, hidden=14, **settings)
    at.run()
    wait_for(lambda: len(made()) > before, 60, "the training set")
    assert len(made()) == before + 1
    click_train(at)
    other = app(TRAIN)
    other.session_state["hyper"] = Hyper(iterations=30, hidden=41, **settings)
    other.run()
    click_train(other)
    for t in (at, other):
        assert t.session_state["run"].status is Status.DONE and not t.exception
    assert len(made()) == before + 1
    run = other.session_state["run"]
    same_numbers(run.state, solo(run))


def test_garbage_is_collected_when_a_page_opens_not_on_a_click(monkeypatch):
    """A full collection takes 0.1 s or more in a busy server: it may come with opening a page, never
    between a click (Pause) and its answer."""
    calls = []
    real = gc.collect
    monkeypatch.setattr(pagesetup, "GC_SECONDS", 0.0)
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(1) or real(*a))
    at = app(TRAIN)                                      # Home, then Train: two pages opened
    assert len(calls) == 2
    at.button(key="b_step1").click().run()
    at.toggle(key="w_log").set_value(False).run()
    at.run()
    assert len(calls) == 2 and not at.exception
    goto(at, WEIGHTS)
    assert len(calls) == 3


def test_what_the_inspection_pages_read_is_made_once_per_state():
    at = trained(iterations=20)
    run = at.session_state["run"]
    view = readmodel.view_of(run)
    assert readmodel.view_of(run) is view and view.key == (run.id, run.state.version)
    assert readmodel.model_bytes(view) is readmodel.model_bytes(view)
    assert view.evaluation is not None and view.X_test.shape == (784, len(run.pair.y_test))


def test_the_training_process_forgets_a_run_the_server_no_longer_holds(pair):
    """When the last session holding a run has gone (and a collection ran), the training process is told
    to drop it. (An AppTest keeps old session values for its own checks, so the run is made here.)"""
    engine = commands.engine()
    hyper = Hyper(iterations=20)
    run = runs.new_run(hyper, pair, Standardiser.fit(pair.x_train, hyper.scaling))
    run_id = run.id
    engine.command(run, lambda c: p.Train(run_id, c, hyper.learning_rate, hyper.iterations))
    # nobody watches it, so it is paused as soon as it is published (perhaps before a first iteration)
    assert run.wait(lambda s: s.version > 0 and not s.status.active, 30)
    held = engine.stats().runs
    del run

    def dropped() -> bool:
        gc.collect()                        # (the server collects when a page opens)
        return engine.stats().runs < held

    wait_for(dropped, 10, "the training process to drop the run")
    assert all(r.id != run_id for r in engine.runs())


def test_steps_past_the_iterations_slider_keep_the_page_and_its_settings():
    at = trained(iterations=4995)
    at.number_input(key="w_step_n").set_value(10).run()
    at.button(key="b_stepn").click().run()
    run = at.session_state["run"]
    run.wait(lambda s: not s.status.active, 30)
    at.run()
    assert not at.exception and run.state.iteration == 5005
    assert at.session_state["hyper"].iterations == 4995     # the slider ends at 5000; it is left as it was
    assert "Iteration 5005 / 5005" in texts(at)
