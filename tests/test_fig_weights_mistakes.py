"""Figure builders of the Weights and Mistakes pages, on synthetic parameters."""

import numpy as np
import pytest

from ssnn_app import fig_mistakes, fig_weights
from ssnn_core import Standardiser, explain


def synthetic(n1: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(n1, 784)).astype(np.float32), "b1": rng.normal(size=(n1, 1)).astype(np.float32),
            "W2": rng.normal(size=(1, n1)).astype(np.float32), "b2": np.array([[0.3]], np.float32)}


@pytest.mark.parametrize("n1", [10, 300])
def test_tile_image_holds_every_neuron_with_nan_gaps(n1):
    p = synthetic(n1)
    rows, cols = fig_weights.grid_shape(n1)
    assert rows * cols >= n1 > (rows - 1) * cols
    image, where = fig_weights.tile_image(p["W1"], np.arange(n1), cols)
    T, H, V = fig_weights.TILE, fig_weights.HGAP, fig_weights.VGAP
    assert image.shape == (rows * (T + V), cols * (T + H) - H)
    assert np.count_nonzero(~np.isnan(image)) == n1 * 784          # gaps and empty slots are NaN
    for j in (0, n1 - 1):
        y0, x0 = fig_weights.tile_origin(j, cols)
        np.testing.assert_array_equal(image[y0:y0 + T, x0:x0 + T], p["W1"][j].reshape(T, T))
        assert (where[y0:y0 + T, x0:x0 + T, 0] == j).all()
        assert where[y0 + 3, x0 + 5, 1:].tolist() == [3, 5]
        if x0 + T < image.shape[1]:
            assert np.isnan(image[y0:y0 + T, x0 + T]).all()
        assert np.isnan(image[y0 - 1, x0:x0 + T]).all()


def test_tiles_figure_is_one_heatmap_with_a_label_per_neuron():
    p = synthetic(300)
    fig = fig_weights.tiles_figure(p["W1"], p["W2"], fig_weights.neuron_order(p["W2"], "abs"), per_neuron=True)
    heat, labels = fig.data
    assert heat.type == "heatmap" and heat.zmid == 0 and len(fig.data) == 2
    assert len(labels.x) == 300 and sorted(labels.customdata) == list(range(300))


def test_sort_by_abs_output_weight():
    W2 = np.array([[0.1, -3.0, 2.0, -0.5, 0.0]])
    assert fig_weights.neuron_order(W2, "abs").tolist() == [1, 2, 3, 0, 4]
    assert fig_weights.neuron_order(W2, "signed").tolist() == [2, 0, 4, 3, 1]
    assert fig_weights.neuron_order(W2, "index").tolist() == [0, 1, 2, 3, 4]
    fig = fig_weights.tiles_figure(np.ones((5, 784)), W2, fig_weights.neuron_order(W2, "abs"))
    assert list(fig.data[1].customdata) == [1, 2, 3, 0, 4]
    assert fig.data[1].text[0] == "#1 · -3.00"


def test_per_neuron_scaling_in_unit_range():
    p = synthetic(10)
    p["W1"][4] = 0                                                   # an all-zero neuron must not divide by 0
    v = fig_weights.tile_values(p["W1"], per_neuron=True)
    assert np.abs(v).max() == pytest.approx(1.0)
    np.testing.assert_allclose(np.abs(v[[0, 1, 9]]).max(axis=1), 1.0)
    assert (v[4] == 0).all()
    np.testing.assert_array_equal(fig_weights.tile_values(p["W1"], per_neuron=False), p["W1"])


def test_dead_neuron_detection_on_a_crafted_case():
    rng = np.random.default_rng(1)
    x_rows = rng.integers(0, 256, size=(300, 784)).astype(np.uint8)
    scaler = Standardiser.fit(x_rows)
    W1 = rng.normal(size=(4, 784)) * 0.01
    b1 = np.array([[0.0], [-1e3], [1e3], [-1e3]])                     # 1 and 3 can never fire
    W1[3] = 0
    dead = fig_weights.dead_neurons(W1, b1, scaler, x_rows, np.float64)
    assert dead.tolist() == [False, True, False, True]
    fig = fig_weights.tiles_figure(W1, np.ones((1, 4)), dead=dead)
    assert "dead" in fig.data[1].text[1] and "dead" not in fig.data[1].text[0]
    a = fig_weights.neuron_activations(W1, b1, 2, scaler, x_rows, np.float64)
    assert a.shape == (300,) and (a > 0).all()
    assert fig_weights.top_images(np.array([0.0, 5.0, 2.0, 0.0]), 3).tolist() == [1, 2]


def test_gallery_order_sorts_by_confidence_and_filters_by_class():
    proba = np.array([0.9, 0.1, 0.6, 0.45, 0.99])
    labels = np.array([0, 1, 0, 1, 1])
    wrong = np.array([0, 1, 2, 3])
    assert fig_mistakes.gallery_order(wrong, proba, labels, "confident").tolist() == [0, 1, 2, 3]
    assert fig_mistakes.gallery_order(wrong, proba, labels, "unsure").tolist() == [3, 2, 0, 1]
    assert fig_mistakes.gallery_order(wrong, proba, labels, "confident", true_class=1).tolist() == [1, 3]


@pytest.mark.parametrize("n1", [3, 40])
def test_waterfall_sums_to_z2(n1):
    p = synthetic(n1, seed=2)
    x = np.random.default_rng(3).normal(size=784)
    e = explain(p, x)
    fig = fig_mistakes.waterfall_figure(e.contributions, e.b2, e.z2, (3, 8))
    trace = fig.data[0]
    assert trace.type == "waterfall" and trace.measure[-1] == "total" and trace.y[-1] == pytest.approx(e.z2)
    assert sum(trace.y[:-1]) == pytest.approx(e.z2, rel=1e-9, abs=1e-9)
    names = list(trace.x)
    assert names[-2] == "bias b2" and len(names) <= fig_mistakes.TOP_CONTRIBUTIONS + 3
    shown = [abs(v) for name, v in zip(names, trace.y) if name.startswith("neuron")]
    assert shown == sorted(shown, reverse=True)


def test_maps_are_diverging_and_centred():
    g = fig_mistakes.gradient_figure(np.linspace(-1, 3, 784).reshape(28, 28))
    assert g.data[0].zmid == 0 and g.data[0].zmin == -3
    d = fig_mistakes.digit_figure(np.zeros(784, np.uint8), np.array([0, 29]))
    assert list(d.data[1].x) == [0, 1] and list(d.data[1].y) == [0, 1]
