"""A model file carries its run's history (format version 2), and an uploaded model is carried on, not
thrown away (issue #15, items 2 and 10): its chart and final cost show at once, and Step and Train
continue that model (its parameters, standardiser and history) exactly as the run it was downloaded from
would have gone on. When they cannot, the Train page says so before anything is pressed.

The file format first (ssnn_core/model_io.py: history round trip, version 1 files still read, a bad
history refused), then the Train page through AppTest on the synthetic MNIST."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest

from ssnn_app import modelfiles, runs
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, ModelFileError, Standardiser, load_model
from ssnn_core.history import History
from ssnn_core.model_io import HISTORY, Model, to_bytes
from ssnn_core.network import init_params
from tests.apptools import TRAIN, app, charts, click_train, run_until_trained, texts, trained
from tests.test_model_io import make_model

HIST = History(iteration=[1, 2, 3], train_cost=[0.69, 0.41, 0.25], train_accuracy=[0.5, 0.875, 1.0],
               learning_rate=[0.5, 0.5, 0.1], eval_iteration=[0, 3], test_cost=[0.7, float("inf")],
               test_accuracy=[0.45, 0.95])


def with_history(history=HIST, iteration=3, seconds=1.25) -> Model:
    return replace(make_model(), iteration=iteration, history=history, train_seconds=seconds)


def arrays(model: Model) -> dict:
    with np.load(io.BytesIO(to_bytes(model)), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def header(a: dict, **changes) -> np.ndarray:
    h = json.loads(str(a["header"]))
    h.update(changes)
    return np.array(json.dumps(h))


def version1(model: Model) -> bytes:
    """The model as ssnn wrote it before files held the history."""
    a = {k: v for k, v in arrays(model).items() if not k.startswith("history_")}
    h = json.loads(str(a["header"]))
    del h["train_seconds"]
    a["header"] = np.array(json.dumps({**h, "version": 1}))
    return npz_bytes(a)


# ------------------------------------------------------------------ the file


def test_the_history_and_training_time_round_trip_exactly():
    model = with_history()
    back = load_model(to_bytes(model))
    assert back.history == HIST and back.train_seconds == 1.25 and back.iteration == 3
    assert json.loads(str(arrays(model)["header"]))["version"] == 2
    assert set(HISTORY) <= set(arrays(model))
    assert load_model(to_bytes(make_model())).history == History()          # no history: empty lists


def test_a_version_1_file_is_still_read_with_an_empty_history():
    model = with_history()
    back = load_model(version1(model))
    assert back.history == History() and back.train_seconds == 0 and back.iteration == 3
    for k, v in model.params.items():
        np.testing.assert_array_equal(back.params[k], v)


@pytest.mark.parametrize("changes, message", [
    ({"history_iteration": None}, "unexpected contents"),                 # half a history
    ({"history_test_cost": np.zeros((2, 1))}, "history_test_cost must be one-dimensional"),
    ({"history_train_cost": np.zeros(2)}, "lists differ in length"),
    ({"history_iteration": np.array([1.0, 2.0, 3.0])}, "history_iteration must be int32 or int64"),
    ({"history_iteration": np.array([1, 3, 2])}, "increasing whole numbers from 1 to 3"),
    ({"history_iteration": np.array([2, 3, 4])}, "increasing whole numbers from 1 to 3"),
    ({"history_iteration": np.array([0, 1, 2])}, "increasing whole numbers from 1 to 3"),
    ({"history_eval_iteration": np.array([-1, 3])}, "increasing whole numbers from 0 to 3"),
    ({"history_train_cost": np.array([0.1, np.nan, 0.2])}, "history_train_cost contains NaN"),
    ({"history_test_cost": np.array([-0.5, 0.1])}, "history_test_cost must be >= 0"),
    ({"history_train_accuracy": np.array([0.5, 1.5, 1.0])}, "between 0 and 1"),
    ({"history_learning_rate": np.array([0.5, 0.0, 0.5])}, "finite and > 0"),
    ({"history_learning_rate": np.array([0.5, np.inf, 0.5])}, "finite and > 0"),
    ({"history_train_cost": np.array(["a", "b", "c"])}, "must be float32 or float64"),
    ({"history_test_accuracy": np.array([{"x": 1}, 2], dtype=object)}, "pickled"),
    ({"header": "version=1"}, "unexpected contents"),                     # a version 1 header with a history
    ({"header": "version=3"}, "version 3 is not supported"),
    ({"header": "train_seconds=-1"}, "train_seconds in the header"),
    ({"header": "iteration=100001"}, "iteration in the header must be at most 100000"),
    ({"header": "train_seconds=nan"}, "train_seconds in the header"),
])
def test_a_bad_history_is_refused(changes, message):
    a = arrays(with_history())
    for k, v in changes.items():
        if k == "header":
            name, value = v.split("=")
            a[k] = header(a, **{name: float(value) if name == "train_seconds" else int(value)})
            if name == "iteration":
                a["history_iteration"] = np.array([1, 2, 3])
        elif v is None:
            del a[k]
        else:
            a[k] = v
    with pytest.raises(ModelFileError, match=message):
        load_model(npz_bytes(a))


def test_a_version_2_header_without_a_history_is_refused():
    raw = version1(with_history())
    with np.load(io.BytesIO(raw)) as npz:
        a = {k: npz[k] for k in npz.files}
    a["header"] = header(a, version=2)
    with pytest.raises(ModelFileError, match="unexpected contents"):
        load_model(npz_bytes(a))


# ------------------------------------------------------------------ the Train page


pytest_app = pytest.mark.usefixtures("app_synthetic")
N = 20


def download(at) -> bytes:
    """What 'Download model (.npz)' hands the browser: the session's run as it is now."""
    from ssnn_app import readmodel

    return readmodel.model_bytes(readmodel.view_of(at.session_state["run"]))


def upload(at, raw: bytes, name: str = "ssnn-model.npz"):
    at.file_uploader(key="model_upload").upload(name, raw, "application/octet-stream").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def fresh_upload(raw: bytes):
    """A new session (another browser) on the Train page that uploads `raw`."""
    return upload(app(TRAIN), raw)


def cost_chart(at) -> dict:
    return next(fig for key, fig in charts(at).items() if "cost_chart" in key)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest_app
def test_an_uploaded_model_shows_its_chart_and_final_cost():
    first = trained(iterations=N)
    raw, h = download(first), first.session_state["run"].state.history
    at = fresh_upload(raw)
    run = at.session_state["run"]
    assert run.origin == "uploaded" and run.state.history == h and run.state.iteration == N
    assert "once training starts" not in texts(at)
    assert metric(at, "Final train cost") == f"{h.train_cost[-1]:.6f}"
    fig = cost_chart(at)
    assert len(fig["data"][0]["x"]) == N                  # the train cost of every one of its N steps
    assert modelfiles.note(run, at.session_state["hyper"]) is None   # nothing to warn about


@pytest_app
def test_step_1_on_an_uploaded_model_carries_it_on_exactly_as_its_run_would_have():
    first = trained(iterations=N)
    at = fresh_upload(download(first))
    uploaded = at.session_state["run"]
    at.button(key="b_step1").click().run()
    run_until_trained(at)
    run = at.session_state["run"]
    assert run.origin == "continued" and run.state.iteration == N + 1 and run.status is Status.DONE
    assert "Iteration 21 / 21" in texts(at) and "uploaded" not in texts(at).split("·")[1]
    h = run.state.history
    assert h.iteration == list(range(1, N + 2)) and h.train_cost[:N] == uploaded.state.history.train_cost
    assert len(cost_chart(at)["data"][0]["x"]) == N + 1
    # the session it came from, stepping on, gets the very same model: nothing was started anew
    first.button(key="b_step1").click().run()
    run_until_trained(first)
    theirs = first.session_state["run"].state
    assert theirs.iteration == N + 1 and theirs.history.train_cost == h.train_cost
    for k, v in theirs.params.items():
        np.testing.assert_array_equal(run.state.params[k], v, err_msg=k)


@pytest_app
def test_train_on_an_uploaded_model_trains_it_on_to_the_target():
    first = trained(iterations=N)
    at = fresh_upload(download(first))
    at.sidebar.slider(key="w_iterations").set_value(30).run()
    click_train(at)
    run = at.session_state["run"]
    assert run.origin == "continued" and run.state.iteration == 30 and run.status is Status.DONE
    assert run.state.history.iteration == list(range(1, 31))
    assert run.state.history.train_cost[:N] == first.session_state["run"].state.history.train_cost


@pytest_app
def test_a_model_at_a_changed_learning_rate_comes_back_at_it():
    first = trained(iterations=N)
    first.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    first.button(key="b_step1").click().run()
    run_until_trained(first)
    model = load_model(download(first))
    assert model.hyper.learning_rate == 0.1 and model.history.learning_rate[-1] == 0.1
    at = fresh_upload(download(first))
    assert at.session_state["hyper"].learning_rate == 0.1 and at.session_state["run"].state.learning_rate == 0.1


@pytest_app
def test_an_old_file_without_history_is_carried_on_and_says_why_its_chart_starts_empty():
    first = trained(iterations=N)
    old = version1(load_model(download(first)))
    at = fresh_upload(old)
    run = at.session_state["run"]
    assert run.state.iteration == N and not run.state.history.iteration
    assert "holds no history" in modelfiles.note(run, at.session_state["hyper"])
    at.button(key="b_step1").click().run()
    run_until_trained(at)
    run = at.session_state["run"]
    assert run.origin == "continued" and run.state.iteration == N + 1 and run.state.history.iteration == [N + 1]


@pytest_app
def test_what_cannot_be_carried_on_is_said_before_anything_is_pressed():
    first = trained(iterations=N)
    model = load_model(download(first))
    # trained on other images (another standardiser): Step starts a new network, as the note says first
    other = replace(model, scaler=Standardiser(model.scaler.mean + 1, model.scaler.scale, model.scaler.blank,
                                               model.scaler.mode))
    at = fresh_upload(to_bytes(other))
    run = at.session_state["run"]
    assert run.held == runs.OTHER_DATA
    note = modelfiles.note(run, at.session_state["hyper"])
    assert "trained on other images" in note and "starts a new network" in note
    at.button(key="b_step1").click().run()
    run_until_trained(at)
    assert at.session_state["run"].origin == "trained" and at.session_state["run"].state.iteration == 1
    # its own data, but the settings on the left changed since the upload
    at = fresh_upload(to_bytes(model))
    at.sidebar.slider(key="w_hidden").set_value(25).run()
    note = modelfiles.note(at.session_state["run"], at.session_state["hyper"])
    assert "not the uploaded model's" in note and "10 hidden neurons" in note
    at.sidebar.slider(key="w_hidden").set_value(10).run()                  # set back: carried on again
    assert modelfiles.note(at.session_state["run"], at.session_state["hyper"]) is None
    # 5 hidden neurons: beyond the slider, so looked at only
    small = Hyper(hidden=5, iterations=9000)
    params = {k: np.zeros(s, np.float32) for k, s in (("W1", (5, 784)), ("b1", (5, 1)), ("W2", (1, 5)),
                                                     ("b2", (1, 1)))}
    at = fresh_upload(to_bytes(Model(params, model.scaler, small, 3)))
    assert "5 hidden neurons, fewer than the slider offers" in modelfiles.note(at.session_state["run"],
                                                                               at.session_state["hyper"])
    # untrained, but not at its seed's start
    start = init_params(10, 561, dtype=np.float32)
    at = fresh_upload(to_bytes(Model({k: v + 1 for k, v in start.items()}, model.scaler, Hyper(), 0)))
    assert at.session_state["run"].held == runs.NOT_ITS_START
    at = fresh_upload(to_bytes(Model(start, model.scaler, Hyper(), 0)))
    assert at.session_state["run"].held is None


@pytest_app
def test_the_train_page_shows_the_note():
    """The page draws modelfiles.note above the chart (pages/2_Train.py)."""
    first = trained(iterations=N)
    at = fresh_upload(to_bytes(replace(load_model(download(first)), history=History())))
    assert any("holds no history" in i.value for i in at.info)
    at.sidebar.slider(key="w_hidden").set_value(25).run()
    assert any("not the uploaded model's" in i.value for i in at.info)


@pytest_app
def test_step_on_a_model_at_the_most_iterations_keeps_the_page():
    """A model trained to the core's 100,000 iterations (the command line can): Step has nowhere to go."""
    first = trained(iterations=N)
    at = fresh_upload(to_bytes(replace(load_model(download(first)), iteration=100_000)))
    at.button(key="b_step1").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["run"].state.iteration == 100_000
