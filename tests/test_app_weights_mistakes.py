"""Weights and Mistakes pages through Streamlit's AppTest, on the real data."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ssnn_core import Hyper
from tests.apptools import click_train

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.mnist
WEIGHTS, MISTAKES = "pages/3_Weights.py", "pages/4_Mistakes.py"


@pytest.fixture(autouse=True)
def _data(mnist_path, monkeypatch):
    monkeypatch.setenv("SSNN_MNIST", str(mnist_path))


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def trained(**settings) -> AppTest:
    """A session whose Train page has trained `Hyper(**settings)` to completion."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.session_state["hyper"] = Hyper(**settings)
    goto(at, "pages/2_Train.py")
    click_train(at)
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success])


def figures(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A Plotly data array from the spec: a plain list, or Plotly's base64 typed-array encoding."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value)


@pytest.mark.parametrize("page", [WEIGHTS, MISTAKES])
def test_pages_ask_for_a_model_first(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    goto(at, page)
    assert "no trained network" in texts(at)
    assert not at.get("plotly_chart")


@pytest.fixture(scope="module")
def run38() -> AppTest:
    return trained(digits=(3, 8), iterations=50)


def test_weights_page_shows_every_neuron_and_one_up_close(run38):
    at = goto(run38, WEIGHTS)
    tiles = figures(at)[0]
    heat, labels = tiles["data"][:2]
    assert heat["type"] == "heatmap" and heat["zmid"] == 0
    assert sorted(array(labels["customdata"]).tolist()) == list(range(10))
    assert np.count_nonzero(~np.isnan(array(heat["z"]))) == 10 * 784
    at.selectbox(key="w_neuron").set_value(7).run()
    assert not at.exception, at.exception
    assert any("neuron 7" in json.dumps(f.get("layout", {}).get("title", {})) for f in figures(at))
    assert {m.label for m in at.metric} >= {"bias b1", "output weight W2", "votes for"}
    assert "excite neuron 7" in texts(at)
    at.radio(key="w_tiles_sort").set_value("abs").run()
    W2 = [float(o.split("W2 ")[1].split(" ")[0]) for o in at.selectbox(key="w_neuron").options]
    shown = array(figures(at)[0]["data"][1]["customdata"]).tolist()
    assert shown == sorted(range(10), key=lambda j: -abs(W2[j]))


def test_mistakes_gallery_and_explanation_for_3_vs_8(run38):
    at = goto(run38, MISTAKES)
    box = at.selectbox(key="w_mistake")
    assert len(box.options) > 20                       # dozens wrong after 50 iterations, plus nearly-wrong ones
    assert "wrong" in box.options[0] and "are misclassified" in texts(at)
    waterfall = next(f for f in figures(at) if f["data"][0]["type"] == "waterfall")["data"][0]
    y = array(waterfall["y"])
    assert y[:-1].sum() == pytest.approx(y[-1], abs=1e-6)
    at.radio(key="w_mistakes_class").set_value(1).run()
    assert not at.exception, at.exception
    assert all(o.startswith("true 8") for o in at.selectbox(key="w_mistake").options if o.endswith("wrong") and "nearly" not in o)


def test_seed_scaling_blames_blank_pixels_for_1749():
    at = goto(trained(scaling="seed", dtype="float64", iterations=100), MISTAKES)  # wrong from iteration 50 on
    box = at.selectbox(key="w_mistake")
    k = next(k for k, o in enumerate(box.options) if "#1749 " in o)
    assert box.options[k].endswith("· wrong")
    box.select_index(k).run()
    assert not at.exception, at.exception
    assert "Blank pixels are to blame" in texts(at)
    table = at.dataframe[0].value
    assert (table["standardised value"].astype(float) > 1e8).all()
