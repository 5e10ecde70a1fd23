"""Home and Train pages through Streamlit's AppTest, on the real data."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ssnn_core import Hyper
from ssnn_core.model_io import Model, to_bytes
from tests.apptools import click_train

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.mnist


@pytest.fixture(autouse=True)
def _data(mnist_path, monkeypatch):
    monkeypatch.setenv("SSNN_MNIST", str(mnist_path))


def app(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error])


def charts(at) -> dict:
    """Plotly figures on the page by element key (they show up as UnknownElement in AppTest)."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[el.proto.id] = spec
    return out


def trained(iterations=40, **settings) -> AppTest:
    at = app("pages/2_Train.py")
    at.session_state["hyper"] = Hyper(iterations=iterations, **settings)
    at.run()
    click_train(at)
    assert not at.exception, at.exception
    return at


def test_home_renders_network_and_data():
    at = app()
    assert "784" in texts(at) and "12,665 training" in "\n".join(s.value for s in at.success)
    figs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    assert any("7,861 trainable" in json.dumps(f) for f in figs)  # 784*10 + 10 + 10 + 1


def test_article_button_trains_with_the_article_settings():
    at = app()
    click_train(at, "b_article")
    assert not at.exception
    run = at.session_state["run"]
    assert (run.hyper.scaling, run.hyper.dtype, run.iteration, run.status) == ("seed", "float64", 500, "done")
    assert round(run.get_history().train_cost[-1], 6) == 0.000849


def test_train_page_before_training():
    at = app("pages/2_Train.py")
    assert "Not trained yet" in texts(at)
    assert at.button(key="b_pause").disabled and not at.button(key="b_train").disabled
    # the interactive chart is there, empty, from the start (the browser loads its library before the result)
    spec = next(s for s in charts(at).values() if any(t.get("name") == "train cost" for t in s["data"]))
    assert all(not t.get("y") for t in spec["data"]) and spec["layout"]["xaxis"]["range"] == [0, 500]
    assert spec["layout"]["yaxis"]["range"] == [-3, 0.3] and spec["layout"]["yaxis"]["type"] == "log"


def test_train_runs_to_the_end_and_reports():
    at = trained(40)
    run = at.session_state["run"]
    assert run.status == "done" and run.iteration == 40
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Misclassified"].endswith("of 2115")
    spec = next(s for s in charts(at).values() if any(t.get("name") == "train cost" for t in s["data"]))
    train = next(t for t in spec["data"] if t["name"] == "train cost")
    assert len(train["y"]) == 40 and train["y"][0] > train["y"][-1]
    assert "Iteration 40 / 40" in texts(at)


def test_step_pause_resume_reset_and_live_learning_rate():
    at = app("pages/2_Train.py")
    at.session_state["hyper"] = Hyper(iterations=60)
    at.run()
    at.button(key="b_step1").click().run()
    assert at.session_state["run"].iteration == 1
    at.number_input(key="w_step_n").set_value(4).run()
    at.button(key="b_stepn").click().run()
    run = at.session_state["run"]
    assert run.iteration == 5 and run.status == "paused"
    # a learning-rate change applies from the next iteration and keeps progress
    at.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    at.button(key="b_step1").click().run()
    run = at.session_state["run"]
    assert run.iteration == 6 and run.get_history().learning_rate[-2:] == [0.5, 0.1]
    # pause: a running run that is paused stays where it is on the next rerun
    run.status = "running"
    at.session_state["run"] = run
    from ssnn_app import state
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state, "get_run", lambda: run)
        state.pause()
    assert run.status == "paused"
    at.run()
    assert at.session_state["run"].iteration == 6
    click_train(at)  # resume to the target
    assert at.session_state["run"].iteration == 60
    at.button(key="b_reset").click().run()
    assert at.session_state["run"].iteration == 0 and at.session_state["run"].status == "ready"


def test_architecture_change_asks_for_a_new_network():
    at = trained(20)
    at.sidebar.slider(key="w_hidden").set_value(25).run()
    assert "settings changed" in texts(at)
    click_train(at)
    run = at.session_state["run"]
    assert run.hyper.hidden == 25 and run.trainer.params["W1"].shape == (25, 784)


def test_diverging_run_stops_explains_and_keeps_last_good_state():
    at = app("pages/2_Train.py")
    at.session_state["hyper"] = Hyper(learning_rate=10, iterations=50)
    at.run()
    click_train(at)
    run = at.session_state["run"]
    assert run.status == "diverged"
    assert any("learning rate is probably too high" in e.value for e in at.error)
    for v in run.trainer.current_params().values():
        assert (abs(v) < 1e6).all()


def test_url_parameters_restore_settings_and_bad_ones_are_reported():
    at = app("pages/2_Train.py", n1="37", lr="0.1", iters="120", seed="7", digits="3-8", scaling="seed")
    assert at.session_state["hyper"] == Hyper(digits=(3, 8), hidden=37, learning_rate=0.1, iterations=120,
                                              seed=7, scaling="seed")
    assert at.sidebar.slider(key="w_hidden").value == 37
    bad = app(n1="abc", lr="-1", iters="99999", digits="4-4", dtype="../etc")
    assert bad.session_state["hyper"] == Hyper()
    assert len(bad.warning) == 5 and not bad.exception
    assert all("ignored" in w.value for w in bad.warning)


class FakeUpload:
    def __init__(self, name, data):
        self.name, self._data, self.size, self.file_id = name, data, len(data), name

    def getvalue(self):
        return self._data


def test_bad_model_upload_keeps_the_trained_model_and_good_one_loads():
    from ssnn_app import state

    at = trained(20, seed=4242)  # settings no other test trains, so this run is not a shared one
    before = at.session_state["run"]
    session = {"run": before, "hyper": before.hyper}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state.st, "session_state", session)
        mp.setattr(state, "sync_url", lambda: None)
        for data in (b"not a zip", b"PK\x03\x04garbage", (ROOT / "README.md").read_bytes()):
            assert state.load_uploaded_model(FakeUpload("x.npz", data))
            assert session["run"] is before
        params = before.trainer.current_params()
        good = to_bytes(Model(params, before.trainer.scaler, before.hyper, 20))
        assert state.load_uploaded_model(FakeUpload("m.npz", good)) is None
        assert session["run"].status == "uploaded"


def test_identical_runs_are_shared_between_sessions():
    first = trained(35, seed=99)
    assert not first.session_state["run"].from_shared
    second = trained(35, seed=99)
    run = second.session_state["run"]
    assert run.from_shared and run.status == "done" and run.iteration == 35
    assert run.get_history().train_cost == first.session_state["run"].get_history().train_cost
    # stepping on from a shared result continues it, exactly as the first session would have
    second.button(key="b_step1").click().run()
    first.button(key="b_step1").click().run()
    a, b = first.session_state["run"], second.session_state["run"]
    assert b.iteration == 36 and b.get_history().train_cost == a.get_history().train_cost
    assert (a.trainer.current_params()["W1"] == b.trainer.current_params()["W1"]).all()


def test_history_csv_has_every_iteration():
    from ssnn_app import state

    at = trained(25)
    csv = state.history_csv(at.session_state["run"].get_history())
    lines = csv.strip().splitlines()
    assert lines[0].startswith("iteration,train_cost") and len(lines) == 26


def wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def start_training(**settings):
    """The Train page with these settings, Train pressed (not waited for): (AppTest, its run)."""
    at = app("pages/2_Train.py")
    at.session_state["hyper"] = Hyper(**settings)
    at.run()
    at.button(key="b_train").click().run()
    return at, at.session_state["run"]


def test_training_runs_in_the_server_without_reruns_and_survives_leaving_the_page():
    from ssnn_app import state

    at, run = start_training(iterations=400, hidden=40, seed=4243)
    assert run.status == "running" and run.remote
    wait_for(lambda: run.iteration >= 5)  # no script run in between: the training process goes on
    stops = []
    engine = state.trainproc.engine()
    real_stop = engine.stop
    engine.stop = lambda r: (stops.append(r), real_stop(r))
    try:
        at.run()                          # a whole run of the Train page does not pause training to read it
    finally:
        del engine.stop
    assert stops == [] and run.status == "running" and not at.exception
    assert "downloaded once the run is paused or finished" in texts(at)
    at.switch_page("pages/3_Weights.py").run()  # looking at the tiles does not stop it
    assert not at.exception
    wait_for(lambda: not run.remote, 300)
    assert run.status == "done" and run.iteration == 400
    from ssnn_app import state
    trainer = state._new_trainer(run.hyper)
    trainer.run()
    # training in the other process, stopped and resumed for the Weights page, changes nothing
    assert trainer.history.train_cost == run.get_history().train_cost
    assert (trainer.current_params()["W1"] == run.trainer.current_params()["W1"]).all()
    mine, theirs = run.get_snapshots(), trainer.snapshots
    assert [s.iteration for s in mine] == [s.iteration for s in theirs] and len(mine) > 2
    assert all((a.W1 == b.W1).all() for a, b in zip(mine, theirs))


def test_identical_runs_started_together_are_trained_once():
    from ssnn_app import state

    hyper = Hyper(iterations=5000, hidden=60, seed=4244)   # long: it is still running throughout
    first, second, third = (app("pages/2_Train.py") for _ in range(3))
    for at in (first, second, third):
        at.session_state["hyper"] = hyper
        at.run()
    first.button(key="b_train").click().run()
    leader = first.session_state["run"]
    assert leader.status == "running"
    second.button(key="b_train").click().run()
    third.button(key="b_train").click().run()
    assert second.session_state["run"] is leader and third.session_state["run"] is leader
    assert "2 other sessions watch this run" in texts(second.run())
    wait_for(lambda: leader.iteration >= 3)
    # the third session pauses: it gets a copy of its own; the others train on
    third.button(key="b_pause").click().run()
    mine = third.session_state["run"]
    assert mine is not leader and mine.status == "paused" and leader.status == "running"
    paused_at = mine.iteration
    assert paused_at >= 3 and not mine.remote
    # the second one changes the learning rate: a copy of its own trains on with it, the leader keeps 0.5
    second.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    theirs = second.session_state["run"]
    assert theirs is not leader and theirs.status == "running" and theirs.current_lr() == 0.1
    assert leader.status == "running" and leader.current_lr() == 0.5 and first.session_state["run"] is leader
    forked_at = theirs.trainer.iteration    # the server's copy stays at the fork while the process trains it
    wait_for(lambda: theirs.iteration >= forked_at + 3 and leader.iteration >= forked_at + 3)
    second.button(key="b_pause").click().run()
    first.button(key="b_pause").click().run()   # alone now: the run itself stops
    assert first.session_state["run"] is leader and leader.status == "paused" and not leader.remote
    lead_cost, their = leader.get_history().train_cost, theirs.get_history()
    # every copy starts from the very numbers of the run it came from
    assert mine.get_history().train_cost == lead_cost[:paused_at]
    split = their.learning_rate.index(0.1)
    assert split == forked_at >= paused_at and their.train_cost[:split + 1] == lead_cost[:split + 1]
    assert their.learning_rate[split:] == [0.1] * (len(their.learning_rate) - split)
    for run in (leader, theirs, mine):
        state.trainproc.engine().drop(run)    # free what the training process keeps for them


def test_a_run_nobody_watches_stops():
    from ssnn_app import data as app_data
    from ssnn_app import state

    at = app("pages/2_Train.py")
    hyper = Hyper(iterations=5000, hidden=20, seed=4245)
    trainer = state._new_trainer(hyper)
    run = state.Run(hyper, "test", trainer, "running", pair=app_data.pair(hyper.digits))  # no session holds it
    state._launch(run)
    assert run.remote
    wait_for(lambda: not run.remote, 30)
    assert run.status == "paused" and 0 < run.iteration < 5000
    assert not at.exception
    state.trainproc.engine().drop(run)


def test_a_dead_training_process_stops_its_runs_with_a_message_and_a_new_one_takes_over():
    from ssnn_app import state

    at, run = start_training(iterations=5000, hidden=20, seed=4246)
    wait_for(lambda: run.iteration >= 3)
    state.trainproc.engine()._proc.kill()          # e.g. killed for memory by the system
    wait_for(lambda: not run.remote, 30)
    at.run()
    assert run.status == "paused" and "training stopped unexpectedly" in run.failure and not at.exception
    assert any("training stopped unexpectedly" in e.value for e in at.error)
    kept = run.iteration                             # the state the server last had, intact
    assert kept == len(run.get_history().train_cost)
    at.button(key="b_train").click().run()           # a new training process continues the run
    wait_for(lambda: run.iteration >= kept + 3)
    at.button(key="b_pause").click().run()
    assert run.status == "paused" and run.failure is None and run.iteration >= kept + 3
    state.trainproc.engine().drop(run)


def test_runs_of_one_pair_share_the_training_set_the_train_page_prepared():
    """Opening the Train page has the training process standardise the training set; runs of any width
    on that pair, scaling and precision then train on that one copy (none is made at Train)."""
    from ssnn_app import state

    engine = state.trainproc.engine()
    settings = {"digits": (2, 7), "scaling": "seed", "dtype": "float64"}   # no other test trains these
    at = app("pages/2_Train.py")
    at.session_state["hyper"] = Hyper(iterations=30, hidden=14, seed=4247, **settings)
    at.run()
    pair = state.app_data.pair((2, 7))

    def made():
        return [m for m in engine.made if m[0][0] == id(pair) and m[1:3] == ("seed", "float64")]

    wait_for(lambda: made(), 60)
    m = len(pair.y_train)
    assert len(made()) == 1 and made()[0][3] > m * 500 * 8   # (k + 1) x m float64 values, k the pixels that vary
    click_train(at)
    other = app("pages/2_Train.py")
    other.session_state["hyper"] = Hyper(iterations=30, hidden=41, seed=4248, **settings)
    other.run()
    click_train(other)
    for t in (at, other):
        assert t.session_state["run"].status == "done" and not t.exception
    assert len(made()) == 1
    solo = state._new_trainer(other.session_state["run"].hyper)
    solo.run()
    assert solo.history.train_cost == other.session_state["run"].get_history().train_cost


def test_garbage_is_collected_when_a_page_opens_not_on_a_click(monkeypatch):
    """A full collection takes 0.1 s or more in a busy server: it may come with opening a page, never
    between a click (Pause) and its answer."""
    from ssnn_app import state

    calls = []
    monkeypatch.setattr(state, "_collect_garbage", lambda: calls.append(1))
    at = app("pages/2_Train.py")                      # Home, then Train: two pages opened
    assert len(calls) == 2
    at.button(key="b_step1").click().run()
    at.toggle(key="w_log").set_value(False).run()
    at.run()
    assert len(calls) == 2 and not at.exception
    at.switch_page("pages/3_Weights.py").run()
    assert len(calls) == 3
