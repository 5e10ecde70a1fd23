"""The network's maths: shapes, stable primitives, one step worked by hand, gradient checking, the standardiser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssnn_core import network
from ssnn_core.data import load_mnist, select_digits
from ssnn_core.inspect import GRADCHECK_TOLERANCE, gradient_check
from ssnn_core.network import (
    backward,
    cost_from_logits,
    forward,
    init_params,
    loss_and_grads,
    n_params,
    predict,
    predict_proba,
    sigmoid,
)
from ssnn_core.scaling import SEED_EPSILON, Standardiser


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes(dtype):
    params = init_params(7, seed=561, dtype=dtype)
    assert {k: v.shape for k, v in params.items()} == {"W1": (7, 784), "b1": (7, 1), "W2": (1, 7), "b2": (1, 1)}
    assert all(v.dtype == dtype for v in params.values())
    X = np.random.default_rng(0).normal(size=(784, 5)).astype(dtype)
    A2, cache = forward(params, X)
    assert A2.shape == (1, 5) and cache["Z1"].shape == cache["A1"].shape == (7, 5)
    grads = backward(params, X, np.ones((1, 5)), cache)
    assert all(grads["d" + k].shape == params[k].shape for k in params)
    assert predict_proba(params, X).shape == (5,) and predict(params, X).dtype == np.uint8
    assert n_params(7) == sum(v.size for v in params.values())


def test_init_is_the_articles():
    """randn(n1, n0) then randn(1, n1) from np.random.seed(561), times 0.01; biases zero."""
    rng = np.random.RandomState(561)
    W1, W2 = rng.randn(10, 784) * 0.01, rng.randn(1, 10) * 0.01
    p = init_params(10, 561, dtype=np.float64)
    np.testing.assert_array_equal(p["W1"], W1)
    np.testing.assert_array_equal(p["W2"], W2)
    assert not p["b1"].any() and not p["b2"].any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_cost_are_stable_at_extremes(dtype):
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    s = sigmoid(z)  # pytest turns any overflow warning into an error
    assert s.dtype == dtype and np.all(np.isfinite(s))
    assert s[0, 0] == 0.0 and s[0, 2] == 0.5 and s[0, -1] == 1.0
    assert cost_from_logits(np.array([[1e4]], dtype), np.array([[1.0]])) == 0.0
    assert cost_from_logits(np.array([[-1e4]], dtype), np.array([[1.0]])) == pytest.approx(1e4)
    assert cost_from_logits(np.array([[1e4]], dtype), np.array([[0.0]])) == pytest.approx(1e4)
    assert cost_from_logits(np.array([[0.0]]), np.array([[1.0]])) == pytest.approx(math.log(2))


def test_one_step_worked_by_hand():
    """n0 = 2, n1 = 2, m = 2, every number chosen so the forward pass can be done on paper."""
    params = {"W1": np.array([[1.0, -1.0], [0.5, 2.0]]), "b1": np.array([[0.0], [-1.0]]),
              "W2": np.array([[1.0, -2.0]]), "b2": np.array([[0.5]])}
    X = np.array([[1.0, 2.0], [0.0, 1.0]])   # samples (1, 0) and (2, 1), one per column
    Y = np.array([[1.0, 0.0]])
    # Z1 = [[1, 1], [-0.5, 2]] -> A1 = [[1, 1], [0, 2]]; Z2 = [1 + 0.5, 1 - 4 + 0.5] = [1.5, -2.5]
    s1, s2 = 1 / (1 + math.exp(-1.5)), 1 / (1 + math.exp(2.5))
    d1, d2 = (s1 - 1) / 2, (s2 - 0) / 2      # dZ2 = (A2 - Y) / m
    cost, grads = loss_and_grads(params, X, Y)
    assert cost == pytest.approx(-(math.log(s1) + math.log(1 - s2)) / 2, rel=1e-12)
    expected = {
        "dW2": [[d1 + d2, 2 * d2]],                          # dZ2 @ A1.T
        "db2": [[d1 + d2]],
        "dW1": [[d1 + 2 * d2, d2], [-4 * d2, -2 * d2]],      # neuron 2 is off for sample 1: only sample 2 counts
        "db1": [[d1 + d2], [-2 * d2]],
    }
    for name, value in expected.items():
        np.testing.assert_allclose(grads[name], value, rtol=1e-12, err_msg=name)
    # one step of plain gradient descent at the article's rate, and the cost goes down
    lr = 0.5
    stepped = {k: params[k] - lr * grads["d" + k] for k in params}
    np.testing.assert_allclose(stepped["W2"], [[1 - lr * (d1 + d2), -2 - lr * 2 * d2]], rtol=1e-12)
    assert loss_and_grads(stepped, X, Y)[0] < cost


# ---------------------------------------------------------------- gradient check


def _small_problem(n1=6, m=40, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(784, m))
    Y = (rng.random((1, m)) > 0.5).astype(float)
    params = init_params(n1, seed=561, dtype=np.float64)
    params = {k: v + rng.normal(0, 0.05, v.shape) for k, v in params.items()}  # biases off zero too
    return params, X, Y


def _worst(results):
    return max(r["relative_error"] for r in results if not r["kink"])


def test_gradient_check_marks_weights_of_blank_pixels():
    """A weight of a pixel no image inks compares 0 with 0 (it says nothing about backprop): marked blank."""
    params, X, Y = _small_problem()
    X = X.copy()
    X[: X.shape[0] // 2] = 0                                           # half the pixels blank in every image
    results = gradient_check(params, X, Y, n_checks=80, seed=2)
    blank = [r for r in results if r["blank"]]
    assert blank and all(r["name"] == "W1" and r["index"][1] < X.shape[0] // 2 for r in blank)
    assert all(r["analytic"] == 0 and r["numeric"] == 0 for r in blank)
    assert not any(r["blank"] for r in results if r["name"] != "W1" or r["index"][1] >= X.shape[0] // 2)


def test_gradient_check_passes_for_backprop():
    params, X, Y = _small_problem()
    results = gradient_check(params, X, Y, n_checks=60)
    assert sum(not r["kink"] for r in results) >= 50
    assert _worst(results) < GRADCHECK_TOLERANCE
    assert {r["name"] for r in results} == {"W1", "b1", "W2", "b2"}


@pytest.mark.parametrize("grad, factor", [("dW1", 1.01), ("dW2", 2.0), ("db1", 0.5), ("db2", -1.0)])
def test_gradient_check_catches_a_wrong_gradient(monkeypatch, grad, factor):
    params, X, Y = _small_problem()
    right = network.backward

    def broken(*args):
        grads = right(*args)
        grads[grad] = grads[grad] * factor
        return grads

    monkeypatch.setattr(network, "backward", broken)
    results = [r for r in gradient_check(params, X, Y, n_checks=200) if "d" + r["name"] == grad]
    assert results and _worst(results) > 1e-3


def test_gradient_check_catches_a_missing_relu_mask(monkeypatch):
    params, X, Y = _small_problem()

    def no_mask(params, X, Y, cache):
        return backward(params, X, Y, {**cache, "Z1": np.ones_like(cache["Z1"])})

    monkeypatch.setattr(network, "backward", no_mask)
    assert _worst(gradient_check(params, X, Y, n_checks=40)) > 1e-2


def test_tiny_gradients_are_not_reported_as_errors():
    """The case `gradcheck` used to fail on: nearly blank pixels give gradients of ~1e-6, which central
    differences resolve only to ~1e-11 absolute, because the cost (~0.7) itself rounds at ~1e-16."""
    params, X, Y = _small_problem()
    X[20:] *= 1e-4                   # most pixels nearly blank: their weights get tiny gradients
    results = gradient_check(params, X, Y, n_checks=100, seed=1)
    tiny = [r for r in results if abs(r["analytic"]) < 1e-5]
    assert len(tiny) > 20
    assert _worst(results) < GRADCHECK_TOLERANCE


@pytest.mark.mnist
def test_gradient_check_on_real_data(mnist_path):
    pair = select_digits(load_mnist(mnist_path))
    X = Standardiser.fit(pair.x_train).transform(pair.x_train[:200])
    results = gradient_check(init_params(10, 561, dtype=np.float64), X, pair.y_train[:200], n_checks=40)
    assert _worst(results) < GRADCHECK_TOLERANCE


# ---------------------------------------------------------------- standardiser


def test_standardiser_safe_and_seed():
    x = np.array([[0, 10, 5], [0, 30, 5], [0, 20, 5]], np.uint8)  # pixels 0 and 2 are constant
    safe, seed = Standardiser.fit(x, "safe"), Standardiser.fit(x, "seed")
    np.testing.assert_array_equal(safe.blank, [True, False, True])
    np.testing.assert_array_equal(safe.active(), [1])
    np.testing.assert_allclose(safe.scale, [1.0, np.std([10, 30, 20]), 1.0])
    np.testing.assert_allclose(seed.scale, safe.scale * [0, 1, 0] + SEED_EPSILON)
    X = safe.transform(x)                                     # (n0, m): one column per sample
    assert X.shape == (3, 3)
    np.testing.assert_allclose(X[1], [-1.224744871391589, 1.224744871391589, 0.0])
    assert not X[0].any() and not X[2].any()                 # blank pixels stay 0 on training images
    ink = np.array([[200, 20, 5]], np.uint8)                  # ink on a pixel that was blank in training
    assert safe.transform(ink)[0, 0] == 200.0
    assert seed.transform(ink)[0, 0] == pytest.approx(2e11)   # the article's blow-up
    assert safe.transform(ink, np.float32).dtype == np.float32


@pytest.mark.mnist
def test_test_image_1749_explodes_under_seed_scaling(mnist_path):
    pair = select_digits(load_mnist(mnist_path))
    safe, seed = Standardiser.fit(pair.x_train, "safe"), Standardiser.fit(pair.x_train, "seed")
    assert int(safe.blank.sum()) == 167
    x = pair.x_test[1749:1750]
    inked_blank = np.flatnonzero(safe.blank & (x[0] > 0))
    assert inked_blank.size > 0                                # 1749 has ink where no training 0/1 has
    assert np.abs(seed.transform(x)[inked_blank]).min() > 1e9
    assert np.abs(safe.transform(x)).max() < 1000          # large only where a pixel is rare (std tiny)
    assert np.abs(seed.transform(pair.x_test[:1749])).max() < 1e12  # most images never touch those pixels
