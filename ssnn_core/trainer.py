"""Full-batch gradient descent that can be run in chunks, paused and resumed.

The maths is network.forward/backward; this module computes the same numbers faster:
  * forward and backward are fused per block of samples, so each block of X is read from memory
    once per iteration while it is still in cache;
  * pixels blank in every training image are 0 after standardisation and get zero gradient, so
    their columns of W1 are left out of the loop (they stay at their initial values, as in the article);
  * every large buffer is allocated once.
The trainer never prints or draws: it records a History and calls an optional callback.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .config import Hyper, check_learning_rate
from .data import PairData
from .network import cost_from_logits, init_params, sigmoid
from .scaling import Standardiser

BLOCK_BYTES = 768 * 1024   # a block of X that fits in a 1 MB L2 cache with room for Z1
DIVERGED_COST = 50.0       # mean cross-entropy this high means the logits are huge and wrong


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
    """Parameters copied during training, for replaying how the hidden weights formed."""

    iteration: int
    W1: np.ndarray  # (n1, n0)
    W2: np.ndarray  # (1, n1)


class Trainer:
    """Owns the parameters of one run; `run(n)` advances it by up to n iterations.

    data: the selected digit pair; hyper: the run's settings (hyper.iterations is the target, not a limit
    on `run`). The learning rate may be changed between chunks with `set_learning_rate`.
    """

    def __init__(self, data: PairData, hyper: Hyper, eval_every: int = 10,
                 snapshot_every: int = 0, max_snapshots: int = 60):
        self.hyper = hyper
        self.dtype = np.dtype(hyper.dtype)
        self.learning_rate = hyper.learning_rate
        self.eval_every = max(1, int(eval_every))
        self.snapshot_every = int(snapshot_every)
        self.max_snapshots = max_snapshots
        self.scaler = Standardiser.fit(data.x_train, hyper.scaling)
        self.active = self.scaler.active()                                        # (k,) pixel indices
        X = self.scaler.transform(data.x_train, self.dtype)                        # (n0, m)
        self._Xa = np.ascontiguousarray(X.T[:, self.active])                       # (m, k) rows = samples
        self._Y = data.y_train.astype(self.dtype)                                  # (m,)
        self.X_test = self.scaler.transform(data.x_test, self.dtype)               # (n0, m_test)
        self.Y_test = data.y_test.astype(self.dtype)[None, :]                      # (1, m_test)
        self.m = self._Xa.shape[0]
        self.params = init_params(hyper.hidden, hyper.seed, dtype=self.dtype)
        self._W1a = np.ascontiguousarray(self.params["W1"][:, self.active])        # (n1, k)
        self.iteration = 0
        self.history = History()
        self.snapshots: list[Snapshot] = []
        self.stopped_reason: str | None = None
        self.train_seconds = 0.0
        self._prev = self._copy_state()
        self._alloc()
        if self.snapshot_every:
            self._snapshot()

    # ------------------------------------------------------------ public

    @property
    def diverged(self) -> bool:
        return self.stopped_reason is not None

    @property
    def done(self) -> bool:
        return self.iteration >= self.hyper.iterations

    def set_learning_rate(self, rate: float) -> None:
        """Applies from the next iteration; the parameters are kept."""
        self.learning_rate = check_learning_rate(rate)

    def current_params(self) -> dict:
        """A copy of W1 (n1, n0), b1 (n1, 1), W2 (1, n1), b2 (1, 1) as they are now."""
        self._sync_W1()
        return {k: v.copy() for k, v in self.params.items()}

    def run(self, n: int | None = None, seconds: float | None = None, callback=None) -> int:
        """Advance by up to n iterations (default: to hyper.iterations), stopping early after
        `seconds` of wall time, on divergence, or when callback(trainer) returns False.
        Returns the number of iterations done."""
        if n is None:
            n = self.hyper.iterations - self.iteration
        start = time.perf_counter()
        done = 0
        while done < n and not self.diverged:
            self._step()
            if self.diverged:
                break
            done += 1
            if self.iteration % self.eval_every == 0 or self.iteration == self.hyper.iterations:
                self._evaluate()
            if self.snapshot_every and self.iteration % self.snapshot_every == 0:
                self._snapshot()
            if callback is not None and callback(self) is False:
                break
            if seconds is not None and time.perf_counter() - start >= seconds:
                break
        self.train_seconds += time.perf_counter() - start
        return done

    def evaluate_now(self) -> None:
        """Record test cost/accuracy for the current parameters if not already done."""
        if not self.history.eval_iteration or self.history.eval_iteration[-1] != self.iteration:
            self._evaluate()

    # ------------------------------------------------------------ internals

    def _alloc(self) -> None:
        n1, k = self._W1a.shape
        itemsize = self.dtype.itemsize
        self.block = max(64, min(self.m, BLOCK_BYTES // (k * itemsize)))
        self._bufs = {}
        self._dW1a = np.empty((n1, k), self.dtype)
        self._dW1_part = np.empty((n1, k), self.dtype)

    def _buffers(self, b: int) -> dict:
        bufs = self._bufs.get(b)
        if bufs is None:
            n1 = self._W1a.shape[0]
            bufs = {"Z1": np.empty((n1, b), self.dtype), "A1": np.empty((n1, b), self.dtype),
                    "mask": np.empty((n1, b), bool), "dZ1": np.empty((n1, b), self.dtype)}
            self._bufs[b] = bufs
        return bufs

    def _copy_state(self) -> dict:
        return {"W1a": self._W1a.copy(), **{k: self.params[k].copy() for k in ("b1", "W2", "b2")}}

    def _step(self) -> None:
        """One iteration: fused forward/backward over blocks of samples, then the update."""
        W1a, b1, W2, b2 = self._W1a, self.params["b1"], self.params["W2"], self.params["b2"]
        dW1a, part = self._dW1a, self._dW1_part
        db1 = np.zeros_like(b1)
        dW2 = np.zeros_like(W2)
        db2 = 0.0
        cost_sum = 0.0
        correct = 0
        m = self.m
        for s in range(0, m, self.block):
            Xb = self._Xa[s:s + self.block]                      # (b, k)
            Yb = self._Y[s:s + self.block]                       # (b,)
            buf = self._buffers(Xb.shape[0])
            Z1, A1, mask, dZ1 = buf["Z1"], buf["A1"], buf["mask"], buf["dZ1"]
            np.matmul(W1a, Xb.T, out=Z1)                         # (n1, b)
            Z1 += b1
            np.maximum(Z1, 0, out=A1)
            Z2 = (W2 @ A1)[0] + b2[0, 0]                         # (b,)
            cost_sum += float(np.sum(np.logaddexp(0.0, Z2) - Yb * Z2, dtype=np.float64))
            correct += int(np.count_nonzero((Z2 > 0) == (Yb > 0.5)))
            dZ2 = (sigmoid(Z2) - Yb) / self.dtype.type(m)        # (b,)
            dW2 += A1 @ dZ2                                      # (n1,) broadcast into (1, n1)
            db2 += float(dZ2.sum(dtype=np.float64))
            np.greater(Z1, 0, out=mask)
            np.multiply(W2.T, dZ2, out=dZ1)                      # (n1, b)
            np.multiply(dZ1, mask, out=dZ1)
            np.matmul(dZ1, Xb, out=part if s else dW1a)          # (n1, k)
            if s:
                dW1a += part
            db1 += dZ1.sum(axis=1, keepdims=True)
        cost = cost_sum / m
        if not math.isfinite(cost) or cost > DIVERGED_COST or not np.isfinite(dW1a.sum()):
            self._diverge(cost)
            return
        self._prev = self._copy_state()
        lr = self.dtype.type(self.learning_rate)
        W1a -= lr * dW1a
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * self.dtype.type(db2)
        self.iteration += 1
        h = self.history
        h.iteration.append(self.iteration)
        h.train_cost.append(cost)
        h.train_accuracy.append(correct / m)
        h.learning_rate.append(self.learning_rate)

    def _diverge(self, cost: float) -> None:
        """Stop, and go back to the parameters whose cost was last seen finite and sane."""
        failed_step = self.iteration + 1
        if self.iteration > 0:
            self._W1a[...] = self._prev["W1a"]
            for k in ("b1", "W2", "b2"):
                self.params[k][...] = self._prev[k]
            self.iteration -= 1
            self.history.truncate(self.iteration)
        shown = "not a number" if math.isnan(cost) else f"{cost:.3g}"
        self.stopped_reason = (
            f"training diverged at iteration {failed_step}: the cost became {shown} "
            f"with learning rate {self.learning_rate:g}. The learning rate is probably too high; "
            f"the model is back at iteration {self.iteration}, its last good state."
        )
        self._evaluate()

    def _sync_W1(self) -> None:
        self.params["W1"][:, self.active] = self._W1a

    def _evaluate(self) -> None:
        p = self.params
        self._sync_W1()
        with np.errstate(over="ignore", invalid="ignore"):
            Z1 = p["W1"] @ self.X_test + p["b1"]                 # (n1, m_test)
            Z2 = p["W2"] @ np.maximum(Z1, 0) + p["b2"]           # (1, m_test)
        h = self.history
        if h.eval_iteration and h.eval_iteration[-1] == self.iteration:
            return
        h.eval_iteration.append(self.iteration)
        h.test_cost.append(cost_from_logits(Z2, self.Y_test))
        h.test_accuracy.append(float(np.mean((Z2 > 0) == (self.Y_test > 0.5))))

    def _snapshot(self) -> None:
        self._sync_W1()
        self.snapshots.append(Snapshot(self.iteration, self.params["W1"].copy(), self.params["W2"].copy()))
        if len(self.snapshots) > self.max_snapshots:  # thin out evenly, always keep the first and last
            self.snapshots = self.snapshots[::2] if len(self.snapshots) % 2 else self.snapshots[::2] + self.snapshots[-1:]
            self.snapshot_every *= 2
