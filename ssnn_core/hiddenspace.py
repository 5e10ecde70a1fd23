"""Where each digit sits for the network: its hidden activations a1 (n1 numbers), seen in two dimensions.

x = W2 . a1 is the evidence the output adds up, so z2 = x + b2 and the network says digits[1] exactly when
x > -b2: the decision boundary is the vertical line x = -b2. y is the first principal component of the
activations after their part along W2 is removed: the largest spread among the digits that the output
does not look at. Shapes as in network.py; X: (n0, m) standardised inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import hidden


@dataclass(frozen=True)
class HiddenSpace:
    """x, y: (m,) each digit's place; boundary = -b2; axis: (n1,) the unit direction of y in a1-space
    (zeros when there is none: n1 = 1, or every digit has the same activations off W2); spread: the
    fraction of the off-W2 variance that y shows."""

    x: np.ndarray
    y: np.ndarray
    boundary: float
    axis: np.ndarray
    spread: float


def project(A1: np.ndarray, W2: np.ndarray, b2: float, align: np.ndarray | None = None) -> HiddenSpace:
    """A1: (n1, m) hidden activations, W2: (1, n1). align: (n1,) an earlier axis; y's sign is chosen to
    agree with it (a principal component's sign is arbitrary), so a replay does not flip from frame to frame."""
    A1 = np.asarray(A1, dtype=np.float64)
    w = np.asarray(W2, dtype=np.float64).reshape(-1)                           # (n1,)
    x = w @ A1                                                                 # (m,)
    norm = np.linalg.norm(w)
    off = A1 - np.outer(w / norm, (w / norm) @ A1) if norm > 0 else A1.copy()  # (n1, m) the part W2 ignores
    off -= off.mean(axis=1, keepdims=True)
    cov = off @ off.T                                                          # (n1, n1)
    values, vectors = np.linalg.eigh(cov)
    total = float(values.clip(min=0).sum())
    if total <= 1e-24 * max(1.0, float(np.abs(A1).max(initial=0.0)) ** 2):
        return HiddenSpace(x, np.zeros_like(x), -float(b2), np.zeros_like(w), 0.0)
    axis = vectors[:, -1]
    if align is not None and axis @ align < 0 or align is None and axis[np.argmax(np.abs(axis))] < 0:
        axis = -axis
    return HiddenSpace(x, axis @ off, -float(b2), axis, float(values[-1]) / total)


def hidden_space(params: dict, X: np.ndarray, align: np.ndarray | None = None) -> HiddenSpace:
    """params: W1 (n1, n0), b1 (n1, 1), W2 (1, n1), b2 (1, 1); computed in float64."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    A1 = np.maximum(hidden(p, np.asarray(X, dtype=np.float64)), 0)             # (n1, m)
    return project(A1, p["W2"], float(p["b2"][0, 0]), align)


def replay(states: list[dict], X: np.ndarray) -> list[HiddenSpace]:
    """hidden_space of each parameter state in turn, each frame's axis aligned with the one before."""
    frames, axis = [], None
    X = np.asarray(X, dtype=np.float64)                                        # converted once, not per frame
    for params in states:
        frame = hidden_space(params, X, axis)
        axis = frame.axis if frame.axis.any() else axis
        frames.append(frame)
    return frames
