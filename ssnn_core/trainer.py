"""Full-batch gradient descent that can be run in chunks, paused and resumed.

The maths is network.forward/backward; the Trainer computes the same numbers faster with the fused,
blocked pass of blocks.py (read its docstring for how, and for the threads it uses). It never prints or
draws: it records a History and calls an optional callback.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .blocks import Compute, Part, TrainingSet, padded_rows
from .config import Hyper, SsnnError, check_learning_rate
from .data import PairData
from .history import History, Snapshot
from .network import cost_from_logits, forward, init_params
from .scaling import Standardiser

DIVERGED_COST = 50.0       # mean cross-entropy this high means the logits are huge and wrong


class Trainer:
    """Owns the parameters of one run; `run(n)` advances it by up to n iterations.

    data: the selected digit pair; hyper: the run's settings (hyper.iterations is the target, not a limit
    on `run`). The learning rate may be changed between chunks with `set_learning_rate`.
    scaler: the Standardiser of data.x_train with hyper.scaling, if already fitted (else fitted here).
    training_set: the TrainingSet of data with that scaler and hyper.dtype, if already made (it is shared,
    never written). Else it is made on the first step, so a Trainer that only holds a run's state
    (parameters, history, evaluations) stays small.
    X_test: (n0, m_test) the test images already standardised with that scaler in hyper.dtype, if at hand
    (trainers of one pair can share it, read-only); else made here.
    """

    def __init__(self, data: PairData, hyper: Hyper, eval_every: int = 10,
                 snapshot_every: int = 0, max_snapshots: int = 60, scaler: Standardiser | None = None,
                 training_set: TrainingSet | None = None, X_test: np.ndarray | None = None):
        self.hyper = hyper
        self.dtype = np.dtype(hyper.dtype)
        self.learning_rate = hyper.learning_rate
        self.eval_every = max(1, int(eval_every))
        self.snapshot_every = int(snapshot_every)
        self.max_snapshots = max_snapshots
        if training_set is not None:
            if (training_set.dtype != self.dtype or training_set.m != len(data.y_train)
                    or training_set.scaler.mode != hyper.scaling
                    or (scaler is not None and not (np.array_equal(scaler.mean, training_set.scaler.mean)
                                                    and np.array_equal(scaler.scale, training_set.scaler.scale)))):
                raise ValueError("training_set was made for other data, scaling or precision")
            scaler = training_set.scaler
        self.scaler = scaler if scaler is not None else Standardiser.fit(data.x_train, hyper.scaling)
        self._data = data
        self._training_set = training_set
        self.active = self.scaler.active()                                        # (k,) pixel indices
        if X_test is None:
            X_test = self.scaler.transform(data.x_test, self.dtype)
        elif X_test.shape != (data.x_test.shape[1], len(data.y_test)) or X_test.dtype != self.dtype:
            raise ValueError("X_test does not match the data's test set or the precision")
        self.X_test = X_test                                                       # (n0, m_test)
        self.Y_test = data.y_test.astype(self.dtype)[None, :]                      # (1, m_test)
        self.m = len(data.y_train)
        self.params = init_params(hyper.hidden, hyper.seed, dtype=self.dtype)
        n1, n1p, k = hyper.hidden, padded_rows(hyper.hidden), len(self.active)
        # the parameters trained, padded with zero units to n1p (see the module docstring):
        # _W1a (n1p, k + 1) is W1 on the active pixels with b1 as its last column; params["b1"] and
        # params["W2"] are views of their first n1 units, params["W1"] is synced from _W1a when read
        self._W1a = np.zeros((n1p, k + 1), self.dtype)
        self._W1a[:n1, :k] = self.params["W1"][:, self.active]
        self._W1a[:n1, k:] = self.params["b1"]
        self._W2 = np.zeros((1, n1p), self.dtype)
        self._W2[:, :n1] = self.params["W2"]
        self.params["b1"], self.params["W2"] = self._W1a[:n1, k:], self._W2[:, :n1]
        self.iteration = 0
        self.history = History()
        self.snapshots: list[Snapshot] = []
        self.stopped: SsnnError | None = None    # why training stopped by itself (it diverged), see stopped_reason
        self.train_seconds = 0.0
        self._parts_made: list[Part] | None = None
        self._prev = {k: v.copy() for k, v in self._trained().items()}
        if self.snapshot_every:
            self._snapshot()

    # ------------------------------------------------------------ public

    @property
    def stopped_reason(self) -> str | None:
        """Why training stopped by itself, in English (`stopped` is the same as an SsnnError: its template
        and values, for a page to show it translated)."""
        return None if self.stopped is None else str(self.stopped)

    @stopped_reason.setter
    def stopped_reason(self, reason: str | SsnnError | None) -> None:
        self.stopped = reason if reason is None or isinstance(reason, SsnnError) else SsnnError(reason)

    @property
    def diverged(self) -> bool:
        return self.stopped is not None

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

    def restore(self, params: dict, iteration: int, history: History, snapshots=()) -> None:
        """Continue from a saved state of the same settings (e.g. a run shared by an identical one):
        params W1 (n1, n0), b1 (n1, 1), W2 (1, n1), b2 (1, 1), the number of updates made and their history."""
        n1, k = self.hyper.hidden, len(self.active)
        self.params["W1"][...] = params["W1"]
        self._W1a[:n1, :k] = params["W1"][:, self.active]
        self._W1a[:n1, k:] = params["b1"]
        self._W2[:, :n1] = params["W2"]
        self.params["b2"][...] = params["b2"]
        self.iteration = int(iteration)
        self.history = History(**{name: list(values) for name, values in vars(history).items()})
        self.snapshots = list(snapshots)
        self._save_prev()

    def state_dict(self) -> dict:
        """Everything that defines where this run is, as copies: enough for `load_state_dict` to carry
        it on elsewhere (another process, a copy for another session) bit for bit. Its "stopped_reason" is
        the SsnnError `stopped` (or None); load_state_dict also takes it as text."""
        return {"params": self.current_params(), "iteration": self.iteration, "history": self.history.copy(),
                "snapshots": list(self.snapshots), "snapshot_every": self.snapshot_every,
                "stopped_reason": self.stopped, "train_seconds": self.train_seconds,
                "learning_rate": self.learning_rate}

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state_dict()` of a trainer with the same settings."""
        self.restore(state["params"], state["iteration"], state["history"], state["snapshots"])
        self.snapshot_every = int(state["snapshot_every"])
        self.stopped_reason = state["stopped_reason"]
        self.train_seconds = float(state["train_seconds"])
        self.learning_rate = check_learning_rate(state["learning_rate"])

    def run(self, n: int | None = None, seconds: float | None = None, callback=None) -> int:
        """Advance by up to n iterations (default: to hyper.iterations), stopping early after
        `seconds` of wall time, on divergence, or when callback(trainer) returns False.
        Returns the number of iterations done."""
        if n is None:
            n = self.hyper.iterations - self.iteration
        start = time.perf_counter()
        done = 0
        with Compute.single_threaded_blas():
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

    @property
    def _parts(self) -> list[Part]:
        if self._parts_made is None:
            if self._training_set is None:
                self._training_set = TrainingSet.for_pair(self._data, self.scaler, self.dtype)
            self._parts_made = [Part(piece, self._W1a.shape[0]) for piece in self._training_set.pieces]
        return self._parts_made

    def _trained(self) -> dict:
        """The arrays the steps update in place (padded to n1p units)."""
        return {"W1a": self._W1a, "W2": self._W2, "b2": self.params["b2"]}

    def _save_prev(self) -> None:
        for k, v in self._trained().items():
            np.copyto(self._prev[k], v)

    def _gradients(self) -> tuple[float, int, dict]:
        """Cost, number right and gradients at the current parameters, the parts' sums added in order."""
        p = self.params
        args = (self._W1a, self._W2, p["b2"], self.m)
        Compute.map([lambda part=part: part.run(*args) for part in self._parts])
        first, rest = self._parts[0], self._parts[1:]
        grads = {"W1a": first.dW1, "W2": first.dW2}
        for part in rest:  # in place into the first part's sums; it rewrites them next step
            grads["W1a"] += part.dW1
            grads["W2"] += part.dW2
        grads["W1a"] *= self._W2.T                          # the factor W2 of dZ1 (see Part.run)
        grads["b2"] = self.dtype.type(sum(part.db2 for part in self._parts))
        cost = sum(part.cost_sum for part in self._parts) / self.m
        return cost, sum(part.correct for part in self._parts), grads

    def _step(self) -> None:
        """One iteration: the gradients over all parts, then the update (unless the run diverged)."""
        cost, correct, grads = self._gradients()
        finite = all(np.isfinite(g).all() for g in grads.values())
        if not math.isfinite(cost) or cost > DIVERGED_COST or not finite:
            self._diverge(cost)
            return
        self._save_prev()
        lr = self.dtype.type(self.learning_rate)
        for name, param in (("W1a", self._W1a), ("W2", self._W2)):
            param -= np.multiply(grads[name], lr, out=grads[name])
        self.params["b2"] -= lr * grads["b2"]
        self.iteration += 1
        h = self.history
        h.iteration.append(self.iteration)
        h.train_cost.append(cost)
        h.train_accuracy.append(correct / self.m)
        h.learning_rate.append(self.learning_rate)

    def _diverge(self, cost: float) -> None:
        """Stop, and go back to the parameters whose cost was last seen finite and sane.

        The blow-up is kept in the stop reason's values (`stopped.params`), since the history ends at the
        model's iteration: `cost` (nan when it was not a number) is what step `failed` saw, and `undone`
        what the step undone before it saw (None when the first step blew up), so that a chart can draw
        the blow-up itself."""
        failed_step = self.iteration + 1
        undone = None
        if self.iteration > 0:
            undone = float(self.history.train_cost[-1]) if self.history.train_cost else None
            for k, v in self._trained().items():
                v[...] = self._prev[k]
            self.iteration -= 1
            self.history.truncate(self.iteration)
        blowup = {"failed": failed_step, "cost": float(cost), "undone": undone}
        if math.isnan(cost):
            self.stopped = SsnnError(
                "training diverged at iteration {failed}: the cost became not a number with learning rate {lr:g}. "
                "The learning rate is probably too high; the model is back at iteration {iteration}, its last "
                "good state.", lr=self.learning_rate, iteration=self.iteration, **blowup)
        else:
            self.stopped = SsnnError(
                "training diverged at iteration {failed}: the cost became {cost:.3g} with learning rate {lr:g}. "
                "The learning rate is probably too high; the model is back at iteration {iteration}, its last "
                "good state.", lr=self.learning_rate, iteration=self.iteration, **blowup)
        self._evaluate()

    def _sync_W1(self) -> None:
        self.params["W1"][:, self.active] = self._W1a[:self.hyper.hidden, :-1]

    def _evaluate(self) -> None:
        p = self.params
        self._sync_W1()
        with np.errstate(over="ignore", invalid="ignore"):
            Z2 = forward(p, self.X_test)[1]["Z2"]               # (1, m_test)
        h = self.history
        if h.eval_iteration and h.eval_iteration[-1] == self.iteration:
            return
        h.eval_iteration.append(self.iteration)
        h.test_cost.append(cost_from_logits(Z2, self.Y_test))
        h.test_accuracy.append(float(np.mean((Z2 > 0) == (self.Y_test > 0.5))))

    def _snapshot(self) -> None:
        self._sync_W1()
        p = self.params
        self.snapshots.append(Snapshot(self.iteration, p["W1"].copy(), p["W2"].copy(), p["b1"].copy(), p["b2"].copy()))
        if len(self.snapshots) > self.max_snapshots:  # thin out evenly, always keep the first and last
            self.snapshots = (self.snapshots[::2] if len(self.snapshots) % 2
                              else self.snapshots[::2] + self.snapshots[-1:])
            self.snapshot_every *= 2
