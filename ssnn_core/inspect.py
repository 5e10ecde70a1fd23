"""Looking inside a trained network: errors, one sample's explanation, gradient checking.

Shapes as in network.py: X (n0, m), Y (1, m); one sample x is (n0,) or (n0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import cost_from_logits, forward, hidden, loss_and_grads, sigmoid


@dataclass(frozen=True)
class Evaluation:
    """How a model does on a labelled set. proba, predicted, labels: (m,)."""

    proba: np.ndarray
    predicted: np.ndarray
    labels: np.ndarray

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of wrong predictions, ascending."""
        return np.flatnonzero(self.predicted != self.labels)

    @property
    def errors(self) -> int:
        return int(self.misclassified.size)

    @property
    def error_rate(self) -> float:
        return self.errors / self.labels.size

    def confusion(self) -> np.ndarray:
        """(2, 2) counts: rows = true label 0/1, columns = predicted 0/1."""
        c = np.zeros((2, 2), dtype=np.int64)
        np.add.at(c, (self.labels.astype(int), self.predicted.astype(int)), 1)
        return c

    def nearly_wrong(self, k: int = 20) -> np.ndarray:
        """Indices of the k correctly classified samples whose probability is closest to 0.5."""
        right = np.flatnonzero(self.predicted == self.labels)
        order = np.argsort(np.abs(self.proba[right] - 0.5), kind="stable")
        return right[order[:k]]


def evaluate(params: dict, X: np.ndarray, Y: np.ndarray) -> Evaluation:
    """X: (n0, m), Y: (1, m) or (m,) labels in {0, 1}."""
    with np.errstate(over="ignore", invalid="ignore"):
        A2, cache = forward(params, X)
    labels = np.asarray(Y).reshape(-1).astype(np.uint8)
    return Evaluation(A2[0], (cache["Z2"][0] > 0).astype(np.uint8), labels)


@dataclass(frozen=True)
class Explanation:
    """Why the network said what it said about one sample.

    contributions: (n1,) W2[j] * A1[j], which with b2 sum to the logit z2;
    activations: (n1,) A1; input_gradient: (28, 28) dz2/dx for the standardised input pixels.
    """

    z2: float
    proba: float
    b2: float
    contributions: np.ndarray
    activations: np.ndarray
    input_gradient: np.ndarray


def explain(params: dict, x: np.ndarray) -> Explanation:
    """x: (n0,) or (n0, 1) one standardised sample."""
    x = np.asarray(x).reshape(-1, 1)
    W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2"))
    x = x.astype(np.float64)
    z1 = hidden({"W1": W1, "b1": b1}, x)                 # (n1, 1)
    a1 = np.maximum(z1, 0)[:, 0]                         # (n1,)
    contributions = W2[0] * a1                           # (n1,)
    z2 = float(contributions.sum() + b2[0, 0])
    grad = (W2[0] * (z1[:, 0] > 0)) @ W1                 # (n0,) dz2/dx: only active neurons pass gradient
    return Explanation(z2, float(sigmoid(np.array(z2))), float(b2[0, 0]), contributions, a1,
                       grad.reshape(28, 28))


@dataclass(frozen=True)
class NeuronSum:
    """One hidden neuron's arithmetic for one sample, every number in it: z1 = sum_i W1[j, i] x_i + b1[j],
    a1 = relu(z1), vote = W2[j] a1. weights, inputs, terms: (n0,) with terms = weights * inputs."""

    neuron: int
    weights: np.ndarray
    inputs: np.ndarray
    terms: np.ndarray
    b1: float
    z1: float
    a1: float
    w2: float
    vote: float

    def largest(self, k: int) -> np.ndarray:
        """Pixel indices of the k terms largest in size, largest first (zero terms never listed)."""
        nonzero = np.flatnonzero(self.terms)
        return nonzero[np.argsort(-np.abs(self.terms[nonzero]), kind="stable")[:k]]


def neuron_sum(params: dict, x: np.ndarray, j: int) -> NeuronSum:
    """x: (n0,) or (n0, 1) one standardised sample; j: the hidden neuron. In float64, so the terms add up
    to z1 to rounding, and z2 = sum of every neuron's vote + b2 (see `explain`)."""
    n1 = np.shape(params["W2"])[1]
    if not 0 <= int(j) < n1:
        raise ValueError(f"neuron {j} does not exist: the network has {n1} (0..{n1 - 1})")
    w = np.asarray(params["W1"][int(j)], dtype=np.float64)                     # (n0,)
    xs = np.asarray(x, dtype=np.float64).reshape(-1)                          # (n0,)
    terms = w * xs
    b1 = float(params["b1"][int(j), 0])
    z1 = float(terms.sum() + b1)
    a1 = max(z1, 0.0)
    w2 = float(params["W2"][0, int(j)])
    return NeuronSum(int(j), w, xs, terms, b1, z1, a1, w2, w2 * a1)


def blank_pixel_ink(x_raw: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Pixels that have ink in this image but were blank in every training image. x_raw: (784,), blank: (784,) bool."""
    return np.flatnonzero(blank & (np.asarray(x_raw).reshape(-1) > 0))


ROUNDING = float(np.finfo(np.float64).eps)
GRADCHECK_TOLERANCE = 1e-6  # a right backprop stays far below this; a wrong one lands far above


def _cost(params: dict, X: np.ndarray, Y: np.ndarray) -> float:
    return cost_from_logits(forward(params, X)[1]["Z2"], Y)


def _crosses_kink(params: dict, X: np.ndarray, name: str, idx: tuple, eps: float) -> bool:
    """Would nudging this number by +-eps flip some hidden unit across relu's kink at 0?
    Then the difference quotient straddles two slopes and is not the derivative at the point."""
    if name not in ("W1", "b1"):
        return False
    i = idx[0]
    z1 = params["W1"][i] @ X + params["b1"][i, 0]                      # (m,)
    step = eps * (np.abs(X[idx[1]]) if name == "W1" else np.ones_like(z1))
    return bool(np.any((np.abs(z1) <= step) & (step > 0)))


def gradient_check(params: dict, X: np.ndarray, Y: np.ndarray, n_checks: int = 20,
                   eps: float = 1e-5, seed: int = 0) -> list[dict]:
    """Compare backprop with central differences on randomly chosen parameters, in float64.

    Returns one dict per checked number: name, index, analytic, numeric, relative_error, kink.
    relative_error = |a - n| / max(|a|, |n|, floor). The floor is set by rounding: the cost (~0.7) is
    known only to ~1e-16, so (cost(+eps) - cost(-eps)) / 2eps carries an absolute error of about
    noise = 2e-16 * cost / eps (~1e-11 at eps 1e-5). A gradient of 1e-6 would then show a "relative
    error" of 1e-5 that is pure rounding (`gradcheck` on MNIST used to report exactly that as a
    mismatch). Gradients below floor = 1e7 * noise (~2e-4) are measured against the floor instead, which
    keeps rounding near 1e-8, while a wrong formula still shows errors far above 1e-6.
    kink: the +-eps nudge moves some hidden unit across relu's corner, where the two-sided difference
    is not the derivative; those checks say nothing about backprop and are left out of verdicts.
    blank: a weight W1[j, i] of a pixel i that no image in X inks (X[i] is all 0): J does not depend on it,
    so both slopes are exactly 0 whatever backprop does; those checks are left out of verdicts too.
    Below GRADCHECK_TOLERANCE (1e-6) on every kink-free check means the gradient is right.
    """
    p64 = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64).reshape(1, -1)
    cost, grads = loss_and_grads(p64, X, Y)
    floor = 1e7 * ROUNDING * max(abs(cost), 1.0) / eps                # see the docstring
    rng = np.random.default_rng(seed)
    names = list(p64)
    sizes = np.array([p64[k].size for k in names], dtype=float)
    results = []
    for _ in range(n_checks):
        name = names[rng.choice(len(names), p=np.sqrt(sizes) / np.sqrt(sizes).sum())]
        idx = tuple(int(rng.integers(s)) for s in p64[name].shape)
        old = p64[name][idx]
        p64[name][idx] = old + eps
        plus = _cost(p64, X, Y)
        p64[name][idx] = old - eps
        minus = _cost(p64, X, Y)
        p64[name][idx] = old
        numeric = (plus - minus) / (2 * eps)
        analytic = float(grads["d" + name][idx])
        rel = abs(analytic - numeric) / max(abs(analytic), abs(numeric), floor)
        results.append({"name": name, "index": idx, "analytic": analytic, "numeric": numeric,
                        "relative_error": rel, "kink": _crosses_kink(p64, X, name, idx, eps),
                        "blank": name == "W1" and not X[idx[1]].any()})
    return results
