"""Flipping the answer: hand-made networks whose answer is known in closed form, the synthetic digits, the
real MNIST. Every flip is checked with the real forward pass, in float64 and in the model's own dtype."""

from __future__ import annotations

import numpy as np
import pytest

from ssnn_core.config import ConfigError, Hyper, ImageError
from ssnn_core.data import load_mnist, select_digits
from ssnn_core.flip import Flip, fewest_pixels_flip, gradient_step_flip, smallest_flip
from ssnn_core.network import forward, predict
from ssnn_core.scaling import Standardiser
from ssnn_core.trainer import Trainer

METHODS = (smallest_flip, fewest_pixels_flip, gradient_step_flip)
MARGIN = 1e-3


def scaler_of(mean=128.0, scale=50.0) -> Standardiser:
    mean, scale = np.broadcast_to(mean, (784,)).astype(float), np.broadcast_to(scale, (784,)).astype(float)
    return Standardiser(mean, scale, np.zeros(784, bool), "safe")


def z2_of(params, scaler, p) -> float:
    X = ((np.asarray(p, float).reshape(784) - scaler.mean) / scaler.scale)[:, None]
    return float(forward({k: np.asarray(v, float) for k, v in params.items()}, X)[1]["Z2"][0, 0])


def linear_net(rng, scaler, p, z2) -> dict:
    """One hidden unit that is active for every image in [0, 255]^784 (b1 far above |W1 x|), so z2 is affine
    in p with gradient W1 / scale; b2 puts z2(p) at the value asked for."""
    params = {"W1": rng.normal(0, 0.01, (1, 784)), "b1": np.array([[100.0]]), "W2": np.array([[1.0]]),
              "b2": np.zeros((1, 1))}
    params["b2"][0, 0] = z2 - z2_of(params, scaler, p)
    return params


def check(flip: Flip, params, scaler, pixels) -> Flip:
    """The flip is what it says, and the model, in its own dtype too, gives the other answer for it."""
    assert isinstance(flip, Flip)
    original = np.asarray(pixels, float).reshape(784)
    np.testing.assert_array_equal(flip.original, original)
    assert flip.result.shape == (784,) and flip.result.min() >= 0 and flip.result.max() <= 255
    np.testing.assert_array_equal(flip.change, flip.result - flip.original)
    np.testing.assert_array_equal(flip.changed, np.flatnonzero(np.abs(flip.change) > 1e-9))
    assert flip.n_pixels == flip.changed.size
    assert flip.l2 == pytest.approx(np.linalg.norm(flip.change)) and flip.linf == np.abs(flip.change).max()
    dtype = params["W1"].dtype
    X = scaler.transform(np.stack([original, flip.result]), dtype)            # (784, 2)
    labels = predict(params, X)
    assert (flip.label_before, flip.label_after) == tuple(labels) and labels[0] != labels[1]
    assert (flip.proba_before > 0.5) == bool(labels[0]) and (flip.proba_after > 0.5) == bool(labels[1])
    assert flip.z2_before == pytest.approx(z2_of(params, scaler, original), abs=1e-6)
    assert flip.z2_after == pytest.approx(z2_of(params, scaler, flip.result), abs=1e-6)
    return flip


@pytest.fixture
def trained(synthetic_pair):
    """A synthetic 0-vs-1 run: (params, scaler, pair)."""
    def make(**hyper):
        pair = synthetic_pair(n_train=200, n_test=60)
        trainer = Trainer(pair, Hyper(**{"iterations": 60, **hyper}))
        trainer.run()
        return trainer.current_params(), trainer.scaler, pair
    return make


# ---------------------------------------------------------------- hand-made networks, known answers


@pytest.mark.parametrize("z2", [0.7, -0.4])
def test_on_a_linear_network_smallest_flip_is_the_distance_to_the_plane(z2):
    rng = np.random.default_rng(0)
    scaler, p = scaler_of(), rng.uniform(60, 200, 784)
    params = linear_net(rng, scaler, p, z2)
    g = params["W1"][0] / scaler.scale                                         # (784,) dz2/dp everywhere
    distance = (abs(z2) + MARGIN) / np.linalg.norm(g)
    flip = check(smallest_flip(params, scaler, p), params, scaler, p)
    assert flip.l2 == pytest.approx(distance, rel=1e-9)
    np.testing.assert_allclose(flip.change, -np.sign(z2) * distance * g / np.linalg.norm(g), atol=1e-9)
    assert flip.z2_after == pytest.approx(-np.sign(z2) * MARGIN, abs=1e-9)
    step = check(gradient_step_flip(params, scaler, p), params, scaler, p)
    assert flip.l2 <= step.l2 * (1 + 1e-12) and step.l2 == pytest.approx(distance, rel=1e-9)


def test_on_a_linear_network_with_clipping_smallest_flip_is_the_exact_projection():
    """min |q - p| with g.q fixed and q in the box is q = clip(p + lam g): found here by bisection on lam."""
    rng = np.random.default_rng(1)
    scaler = scaler_of()
    p = rng.choice([0.0, 255.0, 30.0, 240.0], 784)
    params = linear_net(rng, scaler, p, 2.5)
    g = params["W1"][0] / scaler.scale
    lo, hi = 0.0, 1e7
    for _ in range(200):
        lam = (lo + hi) / 2
        lo, hi = (lo, lam) if z2_of(params, scaler, np.clip(p - lam * g, 0, 255)) <= -MARGIN else (lam, hi)
    projection = np.clip(p - hi * g, 0, 255)
    flip = check(smallest_flip(params, scaler, p), params, scaler, p)
    assert flip.l2 == pytest.approx(np.linalg.norm(projection - p), rel=1e-9)
    np.testing.assert_allclose(flip.result, projection, atol=1e-6)
    newly_clipped = np.isin(flip.result, (0, 255)) & ~np.isin(p, (0, 255))
    assert newly_clipped.sum() > 10                                             # the clipping was exercised


def test_on_a_linear_network_fewest_pixels_takes_the_biggest_moves_first():
    """Affine z2: pixel i alone can move z2 by at most |g_i| * (distance to the far end); the fewest pixels are
    the top k of those. All but the last go to 0 or 255; the last stops where z2 meets the target."""
    rng = np.random.default_rng(2)
    scaler, p = scaler_of(), rng.uniform(0, 255, 784)
    params = linear_net(rng, scaler, p, -1.5)
    g = params["W1"][0] / scaler.scale
    reach = np.sort(np.where(g > 0, g * (255 - p), -g * p))[::-1]              # (784,) best first
    k = int(np.searchsorted(np.cumsum(reach), 1.5 + MARGIN)) + 1
    flip = check(fewest_pixels_flip(params, scaler, p), params, scaler, p)
    assert flip.n_pixels == flip.steps == k > 1
    inside = ~np.isin(flip.result[flip.changed], (0, 255))
    assert inside.sum() == 1                                                    # the last pixel, not at an end
    assert flip.z2_after == pytest.approx(MARGIN, abs=1e-9)
    assert fewest_pixels_flip(params, scaler, p, max_pixels=k - 1) is None


def test_the_path_rides_a_ridge_that_stops_the_gradient_step():
    """z2 = relu(a) + 3 relu(b - a - 20) - 60 at a = b = 100 (z2 = 40). Lowering a (the gradient) wakes the
    second unit at a = 80, after which lowering a raises z2: the ray and the gradient step never flip. The
    path follows the kink b - a - 20 = 0 down to a = 60 - margin: |(40 + m, 20 + m)|, the true minimum."""
    scaler = scaler_of(0.0, 1.0)
    W1 = np.zeros((2, 784))
    W1[0, 0], W1[1, 0], W1[1, 1] = 1.0, -1.0, 1.0
    params = {"W1": W1, "b1": np.array([[0.0], [-20.0]]), "W2": np.array([[1.0, 3.0]]), "b2": np.array([[-60.0]])}
    p = np.zeros(784)
    p[:2] = 100.0
    flip = check(smallest_flip(params, scaler, p), params, scaler, p)
    assert flip.method == "path" and flip.n_pixels == 2
    assert flip.l2 == pytest.approx(np.hypot(40 + MARGIN, 20 + MARGIN), rel=1e-9)
    np.testing.assert_allclose(flip.result[:2], [60 - MARGIN, 80 - MARGIN], atol=1e-9)
    assert gradient_step_flip(params, scaler, p) is None
    assert fewest_pixels_flip(params, scaler, p) is None                       # no single pixel helps


@pytest.mark.parametrize("case", ["ignores the image", "all pixels clamped"])
def test_nothing_flips_an_answer_that_cannot_change(case):
    rng = np.random.default_rng(3)
    scaler = scaler_of()
    if case == "ignores the image":
        p = rng.uniform(0, 255, 784)
        params = {"W1": rng.normal(size=(5, 784)), "b1": np.ones((5, 1)), "W2": np.zeros((1, 5)),
                  "b2": np.array([[0.3]])}
    else:                                      # z2 grows with every pixel, and all are already 0
        p = np.zeros(784)
        params = {"W1": np.full((1, 784), 0.01), "b1": np.array([[100.0]]), "W2": np.array([[1.0]]),
                  "b2": np.zeros((1, 1))}
        params["b2"][0, 0] = 0.5 - z2_of(params, scaler, p)
    for method in METHODS:
        assert method(params, scaler, p) is None


# ---------------------------------------------------------------- trained on the synthetic digits


def test_trained_network_flips_both_ways_and_smallest_beats_the_gradient_step(trained):
    params, scaler, pair = trained()
    images = np.concatenate([np.flatnonzero(pair.y_test == 0)[:4], np.flatnonzero(pair.y_test == 1)[:4]])
    seen = set()
    for i in images:
        x = pair.x_test[i]
        smallest, fewest, step = (check(m(params, scaler, x), params, scaler, x) for m in METHODS)
        seen.add(smallest.label_before)
        assert smallest.l2 <= step.l2 * (1 + 1e-9) + 1e-12
        assert fewest.n_pixels <= smallest.n_pixels
        assert (~np.isin(fewest.result[fewest.changed], (0, 255))).sum() <= 1  # only the last is not at an end
        assert smallest.method in ("path", "ray") and smallest.steps >= 1
    assert seen == {0, 1}                                                       # a 0 became 1, a 1 became 0


@pytest.mark.parametrize("z2", [1e-12, -1e-12])
def test_an_image_on_the_boundary_needs_almost_no_change(trained, z2):
    params, scaler, pair = trained(dtype="float64")
    x = pair.x_test[0]
    params["b2"] = params["b2"] + (z2 - z2_of(params, scaler, x))
    assert predict(params, scaler.transform(x[None, :]))[0] == (z2 > 0)
    for method in METHODS:
        flip = check(method(params, scaler, x, margin=1e-9), params, scaler, x)
        assert flip.l2 < 1e-6


def test_seed_scaling_flips_with_a_speck_of_ink_on_a_blank_pixel(trained):
    """The article's std + 1e-9: a pixel no training image inks has scale 1e-9, so a millionth of a grey level
    there moves z2 by whole units. That is the answer, and it comes without a warning (they are errors here)."""
    params, scaler, pair = trained(scaling="seed", dtype="float64")
    x = pair.x_test[2]
    assert not scaler.blank[x > 0].any()                                       # no ink on blank pixels yet
    smallest = check(smallest_flip(params, scaler, x), params, scaler, x)
    fewest = check(fewest_pixels_flip(params, scaler, x), params, scaler, x)
    assert smallest.l2 < 1e-4 and fewest.l2 < 1e-4
    assert fewest.n_pixels == 1 and scaler.blank[fewest.changed].all()


def test_the_result_lies_just_past_the_boundary(trained):
    """Walking again from the result of a flip back towards the old answer takes almost no change."""
    params, scaler, pair = trained(dtype="float64")
    x = pair.x_test[5]
    there = check(smallest_flip(params, scaler, x), params, scaler, x)
    back = check(smallest_flip(params, scaler, there.result), params, scaler, there.result)
    assert back.label_after == there.label_before and back.l2 < 5e-3 * there.l2


# ---------------------------------------------------------------- input checks


@pytest.mark.parametrize("pixels", [np.zeros(783), np.zeros((28, 29)), np.zeros((1, 784)), np.zeros((2, 784)),
                                    np.full(784, np.nan), np.r_[np.zeros(783), np.inf], np.full(784, -1.0),
                                    np.full(784, 256.0), np.array(["a"] * 784), 7])
def test_bad_images_raise_image_error(pixels):
    params = {"W1": np.ones((2, 784)), "b1": np.zeros((2, 1)), "W2": np.ones((1, 2)), "b2": np.zeros((1, 1))}
    for method in METHODS:
        with pytest.raises(ImageError):
            method(params, scaler_of(), pixels)


def test_any_accepted_layout_gives_the_same_flip(trained):
    params, scaler, pair = trained()
    x = pair.x_test[3]
    flips = [smallest_flip(params, scaler, v) for v in (x, x.reshape(28, 28), x.reshape(784, 1), x.astype(float))]
    for f in flips[1:]:
        np.testing.assert_array_equal(f.result, flips[0].result)


@pytest.mark.parametrize("kwargs", [{"margin": 0}, {"margin": -1.0}, {"margin": float("nan")}, {"margin": "1"}])
def test_bad_margin_raises_config_error(kwargs):
    for method in METHODS:
        with pytest.raises(ConfigError):
            method(linear_net(np.random.default_rng(0), scaler_of(), np.zeros(784), 1.0), scaler_of(),
                   np.zeros(784), **kwargs)


@pytest.mark.parametrize("max_pixels", [0, 785, 2.5, True])
def test_bad_max_pixels_raises_config_error(max_pixels):
    params = linear_net(np.random.default_rng(0), scaler_of(), np.zeros(784), 1.0)
    with pytest.raises(ConfigError):
        fewest_pixels_flip(params, scaler_of(), np.zeros(784), max_pixels=max_pixels)


# ---------------------------------------------------------------- the real MNIST


@pytest.mark.mnist
@pytest.mark.slow
def test_default_network_on_mnist(mnist_path):
    pair = select_digits(load_mnist(mnist_path), (0, 1))
    trainer = Trainer(pair, Hyper())
    trainer.run()
    params, scaler = trainer.current_params(), trainer.scaler
    for i in (2031, 0, 1, 2, 3):
        x = pair.x_test[i]
        smallest, fewest, step = (check(m(params, scaler, x), params, scaler, x) for m in METHODS)
        assert smallest.l2 <= step.l2 * (1 + 1e-9)
        assert fewest.n_pixels <= smallest.n_pixels
    mistake = smallest_flip(params, scaler, pair.x_test[2031])                 # the run's one mistake, a 0 read
    assert pair.y_test[2031] == 0 and mistake.label_before == 1               # as a 1: little ink undoes it
    assert mistake.l2 < 20
