"""The network: 784 -> n1 ReLU -> 1 logistic, in the article's notation and shapes.

Shape convention for the whole package (the article's): one column per sample.
  X: (n0, m)  inputs, n0 = 784 pixels     Y: (1, m) labels in {0, 1}
  W1: (n1, n0)  b1: (n1, 1)  W2: (1, n1)  b2: (1, 1)
  Z1, A1: (n1, m)            Z2, A2: (1, m)
Gradients mirror parameter names: dW1 has the shape of W1, and so on.
"""

from __future__ import annotations

import numpy as np

N0 = 28 * 28
PARAM_NAMES = ("W1", "b1", "W2", "b2")
INIT_SCALE = 0.01  # the article's `randn(...) * 0.01`


def init_params(n1: int, seed: int, n0: int = N0, dtype=np.float32) -> dict:
    """The article's initialisation: randn(n1, n0) then randn(1, n1) from one seeded stream, times 0.01."""
    rng = np.random.RandomState(seed)  # the legacy generator reproduces the article's global seeding exactly
    W1 = rng.randn(n1, n0) * INIT_SCALE                  # (n1, n0)
    W2 = rng.randn(1, n1) * INIT_SCALE                   # (1, n1)
    params = {"W1": W1, "b1": np.zeros((n1, 1)), "W2": W2, "b2": np.zeros((1, 1))}
    return {k: v.astype(dtype) for k, v in params.items()}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function without overflow: exp is only ever taken of -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def cost_from_logits(Z2: np.ndarray, Y: np.ndarray) -> float:
    """Mean binary cross-entropy from logits: log(1 + e^z) - y*z, finite for any finite z."""
    return float(np.mean(np.logaddexp(0.0, Z2) - Y * Z2, dtype=np.float64))


def hidden(params: dict, X: np.ndarray) -> np.ndarray:
    """X: (n0, m) -> Z1 = W1 X + b1: (n1, m), each hidden neuron's input for each sample (needs only
    W1 and b1, so it serves for a few neurons' rows too)."""
    return params["W1"] @ X + params["b1"]


def forward(params: dict, X: np.ndarray) -> tuple[np.ndarray, dict]:
    """X: (n0, m) -> A2: (1, m) probabilities of label 1, and the cache backward needs."""
    Z1 = hidden(params, X)                               # (n1, m)
    A1 = np.maximum(Z1, 0)                               # (n1, m)
    Z2 = params["W2"] @ A1 + params["b2"]                # (1, m)
    A2 = sigmoid(Z2)                                     # (1, m)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def backward(params: dict, X: np.ndarray, Y: np.ndarray, cache: dict) -> dict:
    """Gradients of the mean cross-entropy, the article's formulas. Y: (1, m)."""
    m = X.shape[1]
    dZ2 = (cache["A2"] - Y) / m                          # (1, m)
    dW2 = dZ2 @ cache["A1"].T                            # (1, n1)
    db2 = dZ2.sum(axis=1, keepdims=True)                 # (1, 1)
    dZ1 = (params["W2"].T @ dZ2) * (cache["Z1"] > 0)     # (n1, m); (Z1 > 0) is relu'
    dW1 = dZ1 @ X.T                                      # (n1, n0)
    db1 = dZ1.sum(axis=1, keepdims=True)                 # (n1, 1)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def loss_and_grads(params: dict, X: np.ndarray, Y: np.ndarray) -> tuple[float, dict]:
    """One full forward + backward pass: the cost and every gradient."""
    A2, cache = forward(params, X)
    return cost_from_logits(cache["Z2"], Y), backward(params, X, Y, cache)


def predict_proba(params: dict, X: np.ndarray) -> np.ndarray:
    """X: (n0, m) -> (m,) probability that each sample is label 1 (digits[1])."""
    return forward(params, X)[0][0]


def predict(params: dict, X: np.ndarray) -> np.ndarray:
    """X: (n0, m) -> (m,) labels in {0, 1}; the article's `A2 > 0.5`."""
    return (predict_proba(params, X) > 0.5).astype(np.uint8)


def n_params(n1: int, n0: int = N0) -> int:
    """Number of trainable numbers: W1, b1, W2, b2."""
    return n1 * n0 + n1 + n1 + 1
