"""Which hidden neurons matter: switch some off, or scale one's vote, and measure what changes.

A neuron is knocked out by setting its output weight W2[j] to 0: its activation still exists but no longer
reaches the output, exactly as if the unit were removed. Everything works on copies; the model given is
never changed. Shapes as in network.py; X: (n0, m) standardised inputs, Y: (m,) labels in {0, 1}.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inspect import Evaluation, evaluate
from .network import cost_from_logits, hidden


def edited(params: dict, off=(), scale: dict | None = None) -> dict:
    """A copy of params with the neurons in `off` knocked out and W2[j] multiplied by scale[j]."""
    out = {**params, "W2": np.array(params["W2"], copy=True)}       # only W2 changes; the rest is shared
    n1 = out["W2"].shape[1]
    for j, s in (scale or {}).items():
        if not 0 <= int(j) < n1:
            raise ValueError(f"neuron {j} does not exist: the network has {n1} (0..{n1 - 1})")
        out["W2"][0, int(j)] *= s
    off = np.asarray(sorted(set(int(j) for j in off)), dtype=int)
    if off.size and (off.min() < 0 or off.max() >= n1):
        raise ValueError(f"neurons {off.tolist()} are not all in 0..{n1 - 1}")
    out["W2"][0, off] = 0
    return out


@dataclass(frozen=True)
class WhatIf:
    """An edited model against the original on the same digits. became_wrong / became_right: test indices."""

    before: Evaluation
    after: Evaluation
    cost_before: float
    cost_after: float

    @property
    def became_wrong(self) -> np.ndarray:
        was = self.before.predicted == self.before.labels
        return np.flatnonzero(was & (self.after.predicted != self.after.labels))

    @property
    def became_right(self) -> np.ndarray:
        was = self.before.predicted != self.before.labels
        return np.flatnonzero(was & (self.after.predicted == self.after.labels))


def _cost(params: dict, X: np.ndarray, Y: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        Z2 = params["W2"] @ np.maximum(hidden(params, X), 0) + params["b2"]
    return cost_from_logits(Z2, np.asarray(Y, dtype=np.float64).reshape(1, -1))


def what_if(params: dict, X: np.ndarray, Y: np.ndarray, off=(), scale: dict | None = None) -> WhatIf:
    """The model with `off` knocked out and `scale` applied, evaluated beside the model as it is."""
    new = edited(params, off, scale)
    return WhatIf(evaluate(params, X, Y), evaluate(new, X, Y), _cost(params, X, Y), _cost(new, X, Y))


@dataclass(frozen=True)
class Importance:
    """Each neuron knocked out alone. error_rate, cost: (n1,) on the data; base_*: with every neuron on."""

    error_rate: np.ndarray
    cost: np.ndarray
    base_error_rate: float
    base_cost: float

    def order(self) -> np.ndarray:
        """Neurons by effect, largest first: the rise in error rate, ties broken by the rise in cost."""
        return np.lexsort((-self.cost, -self.error_rate))


def importance(params: dict, X: np.ndarray, Y: np.ndarray) -> Importance:
    """All n1 knock-outs at once: without neuron j the logit is z2 - W2[j] a1_j, so one forward pass serves."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    Y = np.asarray(Y, dtype=np.float64).reshape(1, -1)                        # (1, m)
    A1 = np.maximum(hidden(p, np.asarray(X, dtype=np.float64)), 0)            # (n1, m)
    with np.errstate(over="ignore", invalid="ignore"):
        Z2 = p["W2"] @ A1 + p["b2"]                                            # (1, m)
        without = Z2 - p["W2"].T * A1                                          # (n1, m): row j lacks neuron j
        wrong = ((without > 0) != (Y > 0.5)).mean(axis=1)                     # (n1,)
        cost = (np.logaddexp(0.0, without) - Y * without).mean(axis=1)        # (n1,)
    base_wrong = float(((Z2 > 0) != (Y > 0.5)).mean())
    return Importance(wrong, cost, base_wrong, cost_from_logits(Z2, Y))
