"""The Try it page's pure helpers: reading uploads, predicting one image, and the figures."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ssnn_app import fig_tryit
from ssnn_core import Standardiser, evaluate, explain, init_params
from ssnn_core.images import Prepared


def png_bytes(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


def dark_one_on_white() -> np.ndarray:
    """A photo-like 120x90 '1': a dark bar on a white page."""
    img = np.full((120, 90), 250, np.uint8)
    img[15:105, 40:52] = 20
    return img


@pytest.fixture
def model(synthetic_pair):
    """A random small network with a standardiser fitted on synthetic digits."""
    pair = synthetic_pair()
    scaler = Standardiser.fit(pair.x_train)
    params = init_params(6, seed=3)
    params["W1"] = params["W1"] * 50                      # large enough for some neurons to fire
    params["W2"] = params["W2"] * 300
    return params, scaler, pair


def test_upload_of_a_digit_is_prepared():
    prepared = fig_tryit.prepare_upload(png_bytes(dark_one_on_white()))
    assert isinstance(prepared, Prepared)
    assert prepared.pixels.shape == (28, 28) and prepared.pixels.dtype == np.uint8
    assert prepared.inverted and not prepared.empty
    assert len(prepared.steps) >= 4


@pytest.mark.parametrize("raw", [
    b"",
    b"this is not an image",
    b"\x89PNG\r\n\x1a\n" + b"\0" * 40,                                  # a PNG signature, then garbage
    png_bytes(np.random.default_rng(0).integers(0, 256, (60, 60), dtype=np.uint8))[:900],  # truncated
    png_bytes(np.zeros((4100, 10), np.uint8)),                          # too tall
    b"GIF89a" + b"\0" * 100,                                            # not PNG/JPEG
])
def test_bad_uploads_give_one_line_reasons(raw):
    result = fig_tryit.prepare_upload(raw)
    assert isinstance(result, str)
    assert result.startswith("This file cannot be used: ") and "\n" not in result


def test_canvas_before_drawing_and_blank_canvas():
    assert fig_tryit.prepare_canvas(None) is None
    blank = np.zeros((280, 280, 4), np.uint8)
    blank[..., 3] = 255
    assert fig_tryit.prepare_canvas(blank).empty


def test_canvas_stroke_is_prepared():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., 3] = 255
    canvas[40:240, 130:148, :3] = 255                     # a white stroke, as the canvas draws it
    prepared = fig_tryit.prepare_canvas(canvas)
    assert not prepared.empty and not prepared.inverted
    assert prepared.pixels.max() == 255


def test_prediction_matches_evaluate(model):
    params, scaler, pair = model
    X = scaler.transform(pair.x_test, np.float32)
    ev = evaluate(params, X, pair.y_test)
    digits = pair.digits
    for k in range(len(pair.y_test)):
        pred = fig_tryit.predict_digit(params, scaler, digits, pair.x_test[k].reshape(28, 28))
        assert pred.digit == digits[ev.predicted[k]]
        assert pred.proba == pytest.approx(ev.proba[k], abs=1e-5)
        assert pred.confidence >= 0.5
        np.testing.assert_array_equal(pred.x, X[:, k])


def test_prediction_reports_ink_on_pixels_blank_in_training(model):
    params, scaler, pair = model
    pixels = np.zeros((28, 28), np.uint8)
    pixels[:, 0] = 255                                     # the synthetic set never inks columns 0-1
    pred = fig_tryit.predict_digit(params, scaler, pair.digits, pixels)
    assert pred.blank_ink.size == 28


def test_noise_is_reproducible_and_uint8():
    a, b = fig_tryit.noise_pixels(4), fig_tryit.noise_pixels(4)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (28, 28) and a.dtype == np.uint8 and a.std() > 50
    assert not np.array_equal(a, fig_tryit.noise_pixels(5))
    assert 0 <= fig_tryit.random_index(7, 10) < 10


def test_example_indices_cover_both_classes_and_mistakes(model):
    params, scaler, pair = model
    ev = evaluate(params, scaler.transform(pair.x_test, np.float32), pair.y_test)
    picks = fig_tryit.example_indices(pair.y_test, pair.digits, ev)
    idx = [i for i, _ in picks]
    assert len(idx) == len(set(idx))
    assert {int(pair.y_test[i]) for i in idx} == {0, 1}
    if ev.errors:
        assert int(ev.misclassified[0]) in idx


@pytest.mark.parametrize("shape", [(28, 28), (20, 13), (1, 1), (280, 280), (3000, 1200)])
def test_thumbnail_is_crisp_and_bounded(shape):
    img = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    t = fig_tryit.thumbnail(img)
    assert t.dtype == np.uint8 and max(t.shape) <= fig_tryit.THUMB
    assert t.shape[0] == t.shape[1]                         # square: steps line up, thin strokes stay thin
    if max(shape) <= fig_tryit.THUMB:
        side = max(shape)
        k = t.shape[0] // side
        top, left = (side - shape[0]) // 2, (side - shape[1]) // 2
        np.testing.assert_array_equal(t[::k, ::k][top:top + shape[0], left:left + shape[1]], img)  # no blur


def test_percent_never_claims_certainty():
    assert fig_tryit.percent(1.0) == "> 99.99 %"
    assert fig_tryit.percent(0.0) == "< 0.01 %"
    assert fig_tryit.percent(0.5) == "50.00 %"


def test_waterfall_adds_up_to_z2(model):
    params, scaler, pair = model
    x = scaler.transform(pair.x_test[:1], np.float64)
    e = explain(params, x)
    data = fig_tryit.contributions_figure(e, pair.digits, top=3).data[0]
    assert data.measure[-1] == "total" and data.x[-1] == "z2"
    assert sum(data.y[:-1]) == pytest.approx(e.z2, abs=1e-9)
    assert data.y[-1] == pytest.approx(e.z2)
    assert len(data.x) <= 3 + 3 and all(v != 0 for v in data.y[:3])


def test_other_figures(model):
    params, scaler, pair = model
    x = scaler.transform(pair.x_test[:1], np.float64)[:, 0]
    e = explain(params, x)
    bars = fig_tryit.activations_figure(e, params["W2"][0], pair.digits).data[0]
    np.testing.assert_array_equal(bars.y, e.activations)
    assert list(bars.marker.color) == [fig_tryit.UP if w > 0 else fig_tryit.DOWN for w in params["W2"][0]]
    heat = fig_tryit.input_figure(x).data[0]
    assert heat.zmid == 0 and heat.zmin == -heat.zmax
    np.testing.assert_array_equal(heat.z, x.reshape(28, 28))
    proba = fig_tryit.probability_figure(0.8, pair.digits).data[0]
    assert list(proba.x) == pytest.approx([20.0, 80.0])
