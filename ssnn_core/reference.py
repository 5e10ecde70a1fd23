"""The article's training loop, kept plain and in float64.

It is the yardstick: the benchmark times the fast trainer against it, and tests check both give the
same numbers. It follows the article line by line (its unstable logistic included, with NumPy's
warnings silenced) so that it reproduces the published figures.
"""

from __future__ import annotations

import numpy as np


def reference_train(X: np.ndarray, Y: np.ndarray, n1: int, learning_rate: float,
                    iterations: int, seed: int) -> tuple[dict, list[float]]:
    """X: (n0, m) float64 standardised, Y: (1, m). Returns the final parameters and every cost."""
    n0, m = X.shape
    rng = np.random.RandomState(seed)
    W1 = rng.randn(n1, n0) * 0.01
    W2 = rng.randn(1, n1) * 0.01
    b1 = np.zeros([n1, 1])
    b2 = np.zeros([1, 1])
    costs = []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(iterations):
            Z1 = W1 @ X + b1
            A1 = np.maximum(Z1, 0)
            Z2 = W2 @ A1 + b2
            A2 = 1 / (1 + np.exp(-Z2))
            dZ2 = (A2 - Y) / m
            dW2 = dZ2 @ A1.T
            db2 = np.sum(dZ2, axis=1, keepdims=True)
            dZ1 = W2.T @ dZ2 * (np.where(Z1 > 0, 1, 0))
            dW1 = dZ1 @ X.T
            db1 = np.sum(dZ1, axis=1, keepdims=True)
            costs.append(float(np.sum(-(Y * np.log(A2)) - ((1 - Y) * np.log(1 - A2))) / m))
            W1 = W1 - learning_rate * dW1
            W2 = W2 - learning_rate * dW2
            b1 = b1 - learning_rate * db1
            b2 = b2 - learning_rate * db2
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, costs
