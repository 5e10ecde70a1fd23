"""What a training run records: its history of costs and accuracies, and snapshots for the replay."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    """What a run measured. Train cost at step i is the cost that step saw, before its update
    (as the article prints it); test figures are taken after `eval_iteration` updates."""

    iteration: list[int] = field(default_factory=list)
    train_cost: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    eval_iteration: list[int] = field(default_factory=list)
    test_cost: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    def truncate(self, n: int) -> None:
        """Keep the first n steps (and the evaluations made within them)."""
        for name in ("iteration", "train_cost", "train_accuracy", "learning_rate"):
            del getattr(self, name)[n:]
        keep = sum(1 for it in self.eval_iteration if it <= n)
        for name in ("eval_iteration", "test_cost", "test_accuracy"):
            del getattr(self, name)[keep:]

    def copy(self) -> History:
        """A copy of the first n steps and the evaluations within them, n the steps recorded in all
        lists: consistent even while another thread appends (lists grow in step, one at a time)."""
        n = min(len(self.iteration), len(self.train_cost), len(self.train_accuracy), len(self.learning_rate))
        steps = {name: getattr(self, name)[:n] for name in ("iteration", "train_cost", "train_accuracy",
                                                             "learning_rate")}
        last = steps["iteration"][-1] if n else 0
        k = min(len(self.eval_iteration), len(self.test_cost), len(self.test_accuracy))
        k = sum(1 for it in self.eval_iteration[:k] if it <= last)
        evals = {name: getattr(self, name)[:k] for name in ("eval_iteration", "test_cost", "test_accuracy")}
        return History(**steps, **evals)

    def rows(self) -> list[dict]:
        """One dict per step, with test figures on the steps where they were taken (else None)."""
        evals = dict(zip(self.eval_iteration, zip(self.test_cost, self.test_accuracy)))
        return [
            {"iteration": it, "train_cost": c, "train_accuracy": a, "learning_rate": lr,
             "test_cost": evals.get(it, (None, None))[0], "test_accuracy": evals.get(it, (None, None))[1]}
            for it, c, a, lr in zip(self.iteration, self.train_cost, self.train_accuracy, self.learning_rate)
        ]


@dataclass
class Snapshot:
    """Parameters copied during training, for the replays (weights, hidden space, training path)."""

    iteration: int
    W1: np.ndarray  # (n1, n0)
    W2: np.ndarray  # (1, n1)
    b1: np.ndarray | None = None  # (n1, 1); None in snapshots made before biases were kept
    b2: np.ndarray | None = None  # (1, 1)

    def params(self) -> dict:
        """W1, b1, W2, b2 as a parameter dict (zero biases where none were kept)."""
        b1 = self.b1 if self.b1 is not None else np.zeros((self.W1.shape[0], 1), self.W1.dtype)
        b2 = self.b2 if self.b2 is not None else np.zeros((1, 1), self.W1.dtype)
        return {"W1": self.W1, "b1": b1, "W2": self.W2, "b2": b2}
