"""Every page of the dashboard through Streamlit's AppTest, on the synthetic MNIST (no real data needed):
each opens without a model and with one, and its controls work. What needs the real digits (the
article's numbers, test #1749) is in test_app_real.py."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from ssnn_app import widgets
from ssnn_core import Hyper, load_mnist, select_digits
from tests.apptools import (
    DATA,
    HOME,
    HOWTO,
    MISTAKES,
    PAGES,
    TRAIN,
    TRYIT,
    WEIGHTS,
    app,
    array,
    click_train,
    figures,
    goto,
    texts,
    trained,
)

pytestmark = pytest.mark.usefixtures("app_synthetic")


@pytest.fixture
def pair(app_synthetic):
    return select_digits(load_mnist(app_synthetic), (0, 1))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_without_a_model(page):
    at = app(page)
    assert not at.error and not at.exception
    assert "No MNIST" not in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_with_a_trained_model(page):
    at = trained(page, iterations=30)
    assert not at.error and not at.exception
    assert "no trained network" not in texts(at)


def test_home_shows_the_network_and_the_data(pair):
    at = app()
    assert "784" in texts(at)
    assert f"{len(pair.y_train):,} training and {len(pair.y_test):,} test" in texts(at)
    assert any("7,861 trainable" in json.dumps(f) for f in figures(at))   # 784*10 + 10 + 10 + 1


# ------------------------------------------------------------------ Data


def grid_indices(at) -> list[int]:
    return [int(c.lstrip("#")) for c in at.image[0].captions]


def test_data_page_browses_and_shows_pixels(pair, monkeypatch):
    pictures = []
    real_png = widgets.digit_png
    monkeypatch.setattr(widgets, "digit_png", lambda px, scale=4: pictures.append((np.array(px), scale))
                        or real_png(px, scale))
    at = app(DATA)
    zeros, ones_test = np.flatnonzero(pair.y_train == 0), np.flatnonzero(pair.y_test == 1)
    assert grid_indices(at) == list(zeros[:40])
    assert "56 of the 784 pixels are blank in every training image" in texts(at)   # columns 0 and 1
    at.pagination(key="data_page_train_0").set_value(2).run()
    assert grid_indices(at) == list(zeros[40:80])
    at.radio(key="data_browse_split").set_value("test").run()
    at.radio(key="data_browse_digit").set_value(1).run()
    assert not at.exception
    assert at.pagination(key="data_page_test_1").value == 1           # a new class starts at page 1
    assert grid_indices(at) == list(ones_test[:30])
    at.radio(key="data_split").set_value("test").run()
    at.number_input(key="data_index").set_value(7).run()
    shown = at.dataframe[0].value.to_numpy()
    np.testing.assert_array_equal(shown, pair.x_test[7].reshape(28, 28))
    big = [px for px, scale in pictures if scale == 6]
    np.testing.assert_array_equal(big[-1], shown)                     # the picture beside the table is the same


def test_data_page_preset_shows_ink_on_a_blank_pixel(pair):
    at = app(DATA)
    at.number_input(key="data_index").set_value(150).run()
    at.button(key="b_data_preset").click().run()                     # -> test #1, the index is clamped first
    assert not at.exception
    assert at.radio(key="data_split").value == "test" and at.number_input(key="data_index").value == 1
    np.testing.assert_array_equal(at.dataframe[0].value.to_numpy(), pair.x_test[1].reshape(28, 28))
    warning = " ".join(w.value for w in at.warning)
    assert "test #1 has ink on 1 pixel(s)" in warning and "makes it **2e+11**" in warning
    at.radio(key="data_split").set_value("train").run()
    assert not at.exception


# ------------------------------------------------------------------ Weights and Mistakes


@pytest.mark.parametrize("page", [WEIGHTS, MISTAKES])
def test_inspection_pages_ask_for_a_model_first_and_train_one_here(page):
    at = app(page)
    assert "no trained network" in texts(at) and not at.get("plotly_chart")
    at.session_state["hyper"] = Hyper(iterations=12)
    button = next(b for b in at.button if b.key and b.key.startswith("b_") and "Train" in str(b.label))
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["run"].state.iteration == 12 and "no trained network" not in texts(at)


def test_weights_page_shows_every_neuron_and_one_up_close():
    at = trained(WEIGHTS, iterations=30)
    heat, labels = figures(at)[0]["data"][:2]
    assert heat["type"] == "heatmap" and heat["zmid"] == 0
    assert sorted(array(labels["customdata"]).tolist()) == list(range(10))
    assert np.count_nonzero(~np.isnan(array(heat["z"]))) == 10 * 784
    at.selectbox(key="w_neuron").set_value(7).run()
    assert not at.exception
    assert any("neuron 7" in json.dumps(f.get("layout", {}).get("title", {})) for f in figures(at))
    assert {m.label for m in at.metric} >= {"bias b1", "output weight W2", "votes for"}
    assert "excite neuron 7" in texts(at)
    at.radio(key="w_tiles_sort").set_value("abs").run()
    W2 = [float(o.split("W2 ")[1].split(" ")[0]) for o in at.selectbox(key="w_neuron").options]
    shown = array(figures(at)[0]["data"][1]["customdata"]).tolist()
    assert shown == sorted(range(10), key=lambda j: -abs(W2[j]))


def test_mistakes_page_without_mistakes_shows_the_closest_calls():
    at = trained(MISTAKES, iterations=30)
    view = at.session_state["run"]
    assert "No mistakes at all" in texts(at) and view.state.iteration == 30
    assert at.selectbox(key="w_mistake").options                         # the nearly-wrong ones


def test_mistakes_page_explains_a_wrong_digit():
    at = trained(MISTAKES, iterations=1, learning_rate=0.001, seed=3)  # barely trained: it gets many wrong
    box = at.selectbox(key="w_mistake")
    assert any(o.endswith("· wrong") for o in box.options) and "are misclassified" in texts(at)
    waterfall = next(f for f in figures(at) if f["data"][0]["type"] == "waterfall")["data"][0]
    y = array(waterfall["y"])
    assert y[:-1].sum() == pytest.approx(y[-1], abs=1e-6)
    at.radio(key="w_mistakes_class").set_value(1).run()
    assert not at.exception


def test_seed_scaling_blames_the_blank_pixel():
    at = trained(MISTAKES, iterations=30, scaling="seed", dtype="float64")
    box = at.selectbox(key="w_mistake")
    k = next(k for k, o in enumerate(box.options) if "#1 " in o)
    box.select_index(k).run()
    assert not at.exception
    assert "Blank pixels are to blame" in texts(at)
    assert (at.dataframe[0].value["standardised value"].astype(float) > 1e8).all()


# ------------------------------------------------------------------ How it works


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def gradcheck(at) -> float:
    at.button(key="b_gradcheck").click().run()
    assert not at.exception and at.success
    return float(metric(at, "worst relative error"))


def test_how_it_works_shapes_stages_and_gradient_check(pair):
    at = app(HOWTO)
    assert "freshly initialised network" in texts(at)
    assert "(10, 784)" in texts(at) and metric(at, "training images m") == f"{len(pair.y_train):,}"
    at.session_state["hyper"] = Hyper(hidden=37)
    at.run()
    assert "(37, 784)" in texts(at) and metric(at, "parameters") == f"{37 * 784 + 37 + 37 + 1:,}"
    assert any(r"(37,\ 784)" in latex.value for latex in at.latex)
    for name, label in {"Forward": "ReLUs active (Z1 > 0)", "Cost": "cost J", "Backward": None,
                        "Update": "cost after one step"}.items():
        at.segmented_control(key="howto_stage").set_value(name).run()
        assert not at.exception, name
        assert label is None or any(m.label == label for m in at.metric), name
    assert float(metric(at, "cost after one step")) < float(metric(at, "cost at iteration 0")) < 0.8
    assert gradcheck(at) < 1e-6


def test_how_it_works_on_a_trained_model():
    at = trained(HOWTO, iterations=30)
    assert "after 30 iterations" in texts(at)
    at.segmented_control(key="howto_stage").set_value("Update").run()
    assert float(metric(at, "cost at iteration 30")) < 0.1
    assert gradcheck(at) < 1e-6


# ------------------------------------------------------------------ Try it


def said(at) -> str | None:
    found = [m.value for m in at.metric if m.label == "The network says"]
    return found[0] if found else None


def png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def test_try_it_without_a_model_explains_and_trains_here():
    at = app(TRYIT)
    assert said(at) is None and any("trained network is needed" in w.value for w in at.warning)
    at.radio(key="w_try_source").set_value("Examples").run()
    assert at.button(key="b_try_noise") and said(at) is None
    at.session_state["hyper"] = Hyper(iterations=30)
    at.button(key="b_try_train").click().run()
    assert not at.exception and at.session_state["run"].state.iteration == 30
    assert said(at) in ("0", "1")


def test_try_it_presets_match_the_evaluation_and_noise_gets_an_answer():
    at = trained(TRYIT, iterations=30)
    at.radio(key="w_try_source").set_value("Examples").run()
    keys = [b.key for b in at.button if b.key and b.key.startswith("b_try_test_")]
    assert len(keys) >= 2
    from ssnn_app import readmodel
    run = at.session_state["run"]
    evaluation = readmodel.view_of(run).evaluation
    for key in keys:
        at.button(key=key).click().run()
        kind, idx, digits = at.session_state["try_example"]
        assert (kind, digits) == ("test", (0, 1))
        assert said(at) == str(digits[evaluation.predicted[idx]]), f"test image {idx}"
    at.button(key="b_try_noise").click().run()
    assert said(at) in ("0", "1") and any("random noise, not a digit" in w.value for w in at.warning)


def test_try_it_uploads_good_and_bad():
    at = trained(TRYIT, iterations=30)
    run = at.session_state["run"]
    state = run.state
    at.radio(key="w_try_source").set_value("Upload").run()
    one = np.full((120, 90), 250, np.uint8)
    one[15:105, 40:52] = 20                                            # a dark bar on white paper: a "1"
    at.file_uploader(key="try_upload").upload("one.png", png(one), "image/png").run()
    assert not at.exception and not at.error and said(at) == "1"
    at.file_uploader(key="try_upload").set_value(("fake.png", b"not an image at all", "image/png")).run()
    assert len(at.error) == 1 and at.error[0].value.startswith("This file cannot be used: ")
    assert said(at) is None and at.session_state["run"] is run and run.state is state   # the model untouched


# ------------------------------------------------------------------ between pages


def test_a_trained_model_is_the_one_every_page_shows():
    at = trained(iterations=25, hidden=13)
    run = at.session_state["run"]
    for page in (HOME, WEIGHTS, MISTAKES, HOWTO, TRYIT, TRAIN):
        goto(at, page)
        assert at.session_state["run"] is run
        if page != TRAIN:
            assert "784→13→1" in " ".join(c.value for c in at.sidebar.caption), page
    assert "Iteration 25 / 25" in texts(at)


def test_home_article_button_starts_training_on_the_train_page():
    at = app()
    click_train(at, "b_article")
    run = at.session_state["run"]
    assert (run.hyper.scaling, run.hyper.dtype, run.hyper.seed, run.state.iteration) == ("seed", "float64", 561, 500)
