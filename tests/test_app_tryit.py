"""The Try it page in AppTest: without a model, after training, presets, noise and uploads (real MNIST)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from ssnn_core import Hyper
from tests.apptools import click_train

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/6_Try_it.py"
EXAMPLES = "Examples"
UPLOAD = "Upload"

pytestmark = pytest.mark.mnist


@pytest.fixture
def app(mnist_path, monkeypatch):
    """The app opened on the Try it page, with the real MNIST as the server's data."""
    monkeypatch.setenv("SSNN_MNIST", str(mnist_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def said(at) -> str | None:
    """The digit the page says the network sees, or None when it shows no prediction."""
    found = [m.value for m in at.metric if m.label == "The network says"]
    return found[0] if found else None


def show(at, source: str) -> None:
    at.radio(key="w_try_source").set_value(source).run()
    assert not at.exception


def train_on_train_page(at, iterations: int = 30) -> None:
    at.session_state["hyper"] = Hyper(iterations=iterations)
    at.switch_page("pages/2_Train.py")
    at.run()
    click_train(at)
    assert at.session_state["run"].status == "done"
    at.switch_page(PAGE)
    at.run()
    assert not at.exception


def weights(run) -> np.ndarray:
    """W1 of a trained run, or of a finished run shared by an identical earlier one (no trainer)."""
    return (run.trainer.current_params() if run.trainer is not None else run.model.params)["W1"]


def png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def test_without_a_model_it_explains_and_trains_here(app):
    at = app
    assert said(at) is None
    assert any("trained network is needed" in w.value for w in at.warning)
    assert any("Draw a digit" in i.value for i in at.info)            # empty canvas: no prediction
    show(at, EXAMPLES)                                                 # preprocessing works without a model
    assert at.button(key="b_try_noise") and said(at) is None
    at.session_state["hyper"] = Hyper(iterations=30)
    at.button(key="b_try_train").click().run()
    assert not at.exception
    assert at.session_state["run"].iteration == 30
    assert said(at) in ("0", "1")


def test_presets_match_the_test_set_evaluation(app):
    at = app
    train_on_train_page(at)
    show(at, EXAMPLES)
    view = at.session_state["_view"][1]
    keys = [b.key for b in at.button if b.key and b.key.startswith("b_try_test_")]
    assert len(keys) >= 4
    for key in keys:
        at.button(key=key).click().run()
        kind, idx, digits = at.session_state["try_example"]
        assert (kind, digits) == ("test", (0, 1))
        assert said(at) == str(digits[view.evaluation.predicted[idx]]), f"test image {idx}"
    assert any("only two answers" in i.value for i in at.info)


def test_noise_gets_a_confident_answer_and_the_note(app):
    at = app
    train_on_train_page(at)
    show(at, EXAMPLES)
    at.button(key="b_try_noise").click().run()
    assert said(at) in ("0", "1")
    assert any("random noise, not a digit" in w.value and "only two answers" in w.value for w in at.warning)


def test_uploads_good_and_bad(app):
    at = app
    train_on_train_page(at)
    run = at.session_state["run"]
    W1 = weights(run).copy()
    show(at, UPLOAD)
    one = np.full((120, 90), 250, np.uint8)
    one[15:105, 40:52] = 20                                            # a dark 1 on white paper
    at.file_uploader(key="try_upload").upload("one.png", png(one), "image/png").run()
    assert not at.exception and not at.error
    assert said(at) == "1"
    at.file_uploader(key="try_upload").set_value(("fake.png", b"not an image at all", "image/png")).run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("This file cannot be used: ")
    assert "\n" not in at.error[0].value and said(at) is None
    assert at.session_state["run"] is run                              # the model is untouched
    np.testing.assert_array_equal(weights(run), W1)
    assert run.status == "done"
