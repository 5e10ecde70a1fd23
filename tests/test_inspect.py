"""Looking inside a trained network: evaluation, confusion, nearly-wrong samples, one sample explained."""

from __future__ import annotations

import numpy as np
import pytest

from ssnn_core.config import Hyper
from ssnn_core.data import load_mnist, select_digits
from ssnn_core.inspect import blank_pixel_ink, evaluate, explain
from ssnn_core.network import forward
from ssnn_core.trainer import Trainer
from tests.conftest import make_mnist


@pytest.fixture(scope="module")
def trained():
    """A synthetic 0-vs-1 run, a few dozen iterations: (trainer, pair)."""
    pair = select_digits(make_mnist(300, 100, seed=1), (0, 1))
    trainer = Trainer(pair, Hyper(hidden=8, iterations=40, dtype="float64"))
    trainer.run()
    return trainer, pair


@pytest.fixture(scope="module")
def real_trained(mnist_path):
    """One short real-data run (float32, 60 iterations), shared by the tests below."""
    pair = select_digits(load_mnist(mnist_path), (0, 1))
    trainer = Trainer(pair, Hyper(iterations=60), eval_every=60)
    trainer.run()
    return trainer, pair


def test_evaluation_counts(trained):
    trainer, pair = trained
    ev = evaluate(trainer.current_params(), trainer.X_test, pair.y_test)
    c = ev.confusion()
    assert c.shape == (2, 2) and c.sum() == len(pair.y_test)
    np.testing.assert_array_equal(c.sum(axis=1), np.bincount(pair.y_test, minlength=2))
    assert c[0, 1] + c[1, 0] == ev.errors == len(ev.misclassified)
    assert ev.error_rate == ev.errors / len(pair.y_test)
    np.testing.assert_array_equal(ev.misclassified, np.sort(ev.misclassified))
    assert np.all((ev.proba > 0.5) == (ev.predicted == 1))


def test_nearly_wrong_are_right_and_closest_to_half():
    proba = np.array([0.9, 0.45, 0.55, 0.2, 0.51, 0.99])
    labels = np.array([1, 1, 1, 0, 1, 1], np.uint8)  # sample 1 is wrong (0.45 -> 0)
    from ssnn_core.inspect import Evaluation
    ev = Evaluation(proba, (proba > 0.5).astype(np.uint8), labels)
    np.testing.assert_array_equal(ev.misclassified, [1])
    np.testing.assert_array_equal(ev.nearly_wrong(3), [4, 2, 3])
    assert len(ev.nearly_wrong(100)) == 5


def test_explain_contributions_sum_to_the_logit(trained):
    trainer, pair = trained
    params = trainer.current_params()
    X = trainer.X_test
    _, cache = forward(params, X)
    for k in (0, 7, 19):
        e = explain(params, X[:, k])
        assert e.contributions.shape == e.activations.shape == (8,)
        assert e.contributions.sum() + e.b2 == pytest.approx(e.z2, rel=1e-12, abs=1e-12)
        assert e.z2 == pytest.approx(float(cache["Z2"][0, k]), rel=1e-9, abs=1e-9)
        assert 0 < e.proba < 1 and (e.proba > 0.5) == (e.z2 > 0)
        np.testing.assert_allclose(e.activations, cache["A1"][:, k], rtol=1e-9, atol=1e-12)


def test_input_gradient_matches_finite_differences(trained):
    trainer, _ = trained
    params = trainer.current_params()
    x = trainer.X_test[:, 3].astype(np.float64)
    e = explain(params, x)
    assert e.input_gradient.shape == (28, 28)
    eps = 1e-6
    for pixel in (100, 350, 406, 600):
        up, down = x.copy(), x.copy()
        up[pixel] += eps
        down[pixel] -= eps
        numeric = (explain(params, up).z2 - explain(params, down).z2) / (2 * eps)
        assert e.input_gradient.reshape(-1)[pixel] == pytest.approx(numeric, rel=1e-5, abs=1e-8)


def test_blank_pixel_ink():
    blank = np.zeros(784, bool)
    blank[[0, 5, 9]] = True
    x = np.zeros(784, np.uint8)
    x[[5, 6]] = 80
    np.testing.assert_array_equal(blank_pixel_ink(x, blank), [5])


@pytest.mark.mnist
def test_real_model_inspection(real_trained):
    trainer, pair = real_trained
    params = trainer.current_params()
    ev = evaluate(params, trainer.X_test, pair.y_test)
    assert ev.confusion().sum() == 2115 and ev.errors <= 10
    near = ev.nearly_wrong(20)
    assert len(near) == 20 and not np.isin(near, ev.misclassified).any()
    margins = np.abs(ev.proba[near] - 0.5)
    assert np.all(np.diff(margins) >= 0)
    e = explain(params, trainer.X_test[:, int(near[0])])
    assert e.contributions.sum() + e.b2 == pytest.approx(e.z2, abs=1e-9)
    assert np.isfinite(e.input_gradient).all()


@pytest.mark.mnist
def test_real_1749_inks_blank_pixels(real_trained):
    trainer, pair = real_trained
    assert blank_pixel_ink(pair.x_test[1749], trainer.scaler.blank).size > 0
    assert blank_pixel_ink(pair.x_test[0], trainer.scaler.blank).size == 0
