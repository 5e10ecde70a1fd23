"""Full-batch gradient descent that can be run in chunks, paused and resumed.

The maths is network.forward/backward; this module computes the same numbers faster:
  * forward and backward are fused per block of samples, so each block of X is read from memory
    once per iteration while it is still in cache, and every large buffer is allocated once;
  * pixels blank in every training image are 0 after standardisation and get zero gradient, so
    their columns of W1 are left out of the loop (they stay at their initial values, as in the article);
  * the hidden layer is padded with zero units up to a multiple of 4 (ROWS_MULTIPLE): OpenBLAS's kernels
    run thin GEMMs with 10 rows slower than with 12. A padded unit has zero weights in, zero bias and zero
    weight out, so its activation and all its gradients are exactly 0 and it stays 0: the real units'
    maths is unchanged (only the GEMM kernel's rounding may differ, deterministically);
  * the samples are cut into PARTS fixed slices that worker threads process at the same time, each with
    single-threaded BLAS (thin GEMMs with n1 = 10 rows scale badly inside OpenBLAS); the slices' partial
    sums are added in a fixed order, so results are bit-identical whatever the threads' timing or number.

CPU use: all trainers in a process share `WORKERS` compute slots (default min(PARTS, CPU count), or the
environment variable SSNN_TRAIN_THREADS): a trainer's thread works on one part and shared helper threads
on the others, each only while holding a slot; BLAS is held at 1 thread while any trainer runs.
So many dashboard sessions training at once use at most WORKERS cores between them; they take turns.
The trainer never prints or draws: it records a History and calls an optional callback.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import ThreadpoolController

from .config import Hyper, check_learning_rate
from .data import PairData
from .network import cost_from_logits, forward, init_params
from .scaling import Standardiser

BLOCK_BYTES = 4 * 2**20    # bytes of X per block: stays in the L3 cache between the forward and backward GEMM
ROWS_MULTIPLE = 4          # hidden units are padded with zero units to a multiple of this (n1 = 1 is left as is)
PARTS = 2                  # fixed slices of the samples; part of what defines the (bit-exact) result
DIVERGED_COST = 50.0       # mean cross-entropy this high means the logits are huge and wrong


def _workers_from_env() -> int:
    raw = os.environ.get("SSNN_TRAIN_THREADS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return min(PARTS, int(raw))
    return max(1, min(PARTS, os.cpu_count() or 1))


WORKERS = _workers_from_env()  # threads that train, shared by every Trainer in the process


def padded_rows(n1: int) -> int:
    """Hidden units computed: n1 rounded up to ROWS_MULTIPLE (the extra ones are exactly 0 throughout)."""
    return n1 if n1 <= 1 else -(-n1 // ROWS_MULTIPLE) * ROWS_MULTIPLE


# ---------------------------------------------------------------- threads and BLAS


class _Compute:
    """The process-wide worker threads, and the BLAS thread limit held while any trainer runs.

    threadpoolctl's limits are process-global, so overlapping runs (several dashboard sessions) share
    one limit, set by the first run to start and restored by the last one to finish.
    `map` runs its first task in the calling thread and offers the others to WORKERS - 1 helper threads
    (one hand-off per step instead of two for a pool running them all), doing itself any that no helper
    has started once its own is done; a task computes only while it holds one of WORKERS slots, so however
    many trainers run at once, at most WORKERS tasks compute."""

    _lock = threading.Lock()
    _users = 0
    _limit = None
    _controller = None
    _queue = None
    _slots = None

    @classmethod
    @contextmanager
    def single_threaded_blas(cls):
        with cls._lock:
            if cls._users == 0:
                if cls._controller is None:
                    cls._controller = ThreadpoolController()
                cls._limit = cls._controller.limit(limits=1, user_api="blas")
            cls._users += 1
        try:
            yield
        finally:
            with cls._lock:
                cls._users -= 1
                if cls._users == 0:
                    cls._limit.restore_original_limits()
                    cls._limit = None

    @classmethod
    def _helper(cls) -> None:
        while True:
            job = cls._queue.get()
            job.run(cls._slots)

    @classmethod
    def map(cls, tasks) -> None:
        """Run each callable in `tasks` (on several threads when there is more than one worker); re-raise
        errors only after all have finished, so no task is still writing into a buffer."""
        if WORKERS <= 1 or len(tasks) <= 1:
            for task in tasks:
                task()
            return
        with cls._lock:
            if cls._queue is None:
                cls._queue, cls._slots = queue.SimpleQueue(), threading.BoundedSemaphore(WORKERS)
                for i in range(WORKERS - 1):
                    threading.Thread(target=cls._helper, name=f"ssnn-train-{i}", daemon=True).start()
        jobs = [_Job(task) for task in tasks[1:]]
        for job in jobs:
            cls._queue.put(job)
        first = _Job(tasks[0])
        try:
            first.run(cls._slots)
            if first.error is None:
                for job in jobs:  # what no helper has started yet (they are busy), this thread does
                    job.run(cls._slots)
        finally:  # failed or interrupted: drop what has not started, let what has finish
            for job in jobs:
                job.cancel()
            for job in jobs:
                job.done.wait()
        for job in [first, *jobs]:
            if job.error is not None:
                raise job.error


def _after_fork_in_child() -> None:
    """A forked child has none of the helper threads, and slots or the lock may be held by threads that
    are not there: start afresh (helpers are made again on the next map)."""
    _Compute._lock = threading.Lock()
    _Compute._queue = _Compute._slots = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Job:
    """One task of _Compute.map: run at most once, or cancelled before it starts."""

    __slots__ = ("task", "done", "error", "_state", "_lock")

    def __init__(self, task):
        self.task, self.error, self._state = task, None, "waiting"
        self.done, self._lock = threading.Event(), threading.Lock()

    def run(self, slots) -> None:
        with self._lock:
            if self._state != "waiting":
                return
            self._state = "running"
        try:
            with slots:
                self.task()
        except BaseException as exc:  # noqa: BLE001 - handed to map's caller
            self.error = exc
        finally:
            self.done.set()

    def cancel(self) -> None:
        with self._lock:
            if self._state == "waiting":
                self._state = "cancelled"
                self.done.set()


# ---------------------------------------------------------------- the training inputs, ready to train on


@dataclass(frozen=True, eq=False)
class _Piece:
    """One of the PARTS slices of the samples: Xb, one contiguous (k + 1, b) array per block of samples
    (standardised active pixels, one column per sample, and a last row of ones so that the GEMMs apply b1
    and give its gradient); blocks, their (start, end) within the slice; Y (m_p,) labels."""

    Xb: tuple
    blocks: tuple
    Y: np.ndarray
    Y1: np.ndarray
    sign: np.ndarray


class TrainingSet:
    """The standardised training images of a digit pair, cut into fixed slices and cache-sized blocks:
    the large part of a trainer's memory (31 MB for 0/1 in float32), made once and shared read-only by
    every Trainer of the same pair, scaling and precision, whatever its width n1.

    x_train: (m, 784) uint8 images, y_train: (m,) labels in {0, 1}; scaler fitted on x_train."""

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, scaler: Standardiser, dtype):
        self.dtype = np.dtype(dtype)
        self.scaler = scaler
        self.active = scaler.active()                                      # (k,) pixel indices
        self.m = len(y_train)
        k1 = len(self.active) + 1
        max_block = max(64, BLOCK_BYTES // (k1 * self.dtype.itemsize))
        mean, scale = scaler.mean[self.active], scaler.scale[self.active]
        Y = np.asarray(y_train).astype(self.dtype)
        pieces = []
        for idx in np.array_split(np.arange(self.m), PARTS):   # the cut depends on m, k and dtype only
            if not len(idx):
                continue
            s, e = int(idx[0]), int(idx[-1]) + 1
            n_blocks = -(-(e - s) // max_block)                 # ceil, then blocks of equal size
            size = -(-(e - s) // n_blocks)
            blocks = tuple((a, min(a + size, e - s)) for a in range(0, e - s, size))
            Xb = []
            for a, b in blocks:
                # as Standardiser.transform: float64 arithmetic, then one rounding to dtype
                rows = (x_train[s + a:s + b, self.active].astype(np.float64) - mean) / scale   # (b, k)
                block = np.ones((k1, b - a), self.dtype)
                block[:-1] = rows.T
                block.flags.writeable = False
                Xb.append(block)
            y, y1, sign = Y[s:e].copy(), Y[s:e] > 0.5, 1 - 2 * Y[s:e]
            for a in (y, y1, sign):
                a.flags.writeable = False
            pieces.append(_Piece(tuple(Xb), blocks, y, y1, sign))
        self.pieces = tuple(pieces)

    @property
    def nbytes(self) -> int:
        return sum(x.nbytes for p in self.pieces for x in p.Xb)

    @classmethod
    def for_pair(cls, data: PairData, scaler: Standardiser, dtype) -> TrainingSet:
        return cls(data.x_train, data.y_train, scaler, dtype)


# ---------------------------------------------------------------- one slice of the samples


class _Part:
    """One fixed slice of the training samples (from a TrainingSet), the buffers of one trainer for it,
    and the partial sums one pass over it gives.

    After `run`: dW1 (n1, k + 1) (the last column is db1) and dW2 (1, n1) summed over the slice, with dW1
    not yet multiplied by W2 (see `run`); db2, cost_sum, correct."""

    def __init__(self, piece: _Piece, n1: int):
        self.Y, self.Y1, self.sign = piece.Y, piece.Y1, piece.sign
        self.blocks, self._Xb = piece.blocks, piece.Xb
        m_p = len(piece.Y)
        dtype, k1 = piece.Xb[0].dtype, piece.Xb[0].shape[0]
        self.dW1 = np.empty((n1, k1), dtype)
        self._dW1_block = np.empty((n1, k1), dtype)
        self.dW2 = np.empty((1, n1), dtype)
        self._dW2_block = np.empty(n1, dtype)
        self._H = {b: np.empty((n1, b), dtype) for b in {e - s for s, e in self.blocks}}
        self._z2 = np.empty((1, m_p), dtype)               # logits of the whole slice
        self._dz2 = np.empty(m_p, dtype)                   # dZ2 of the whole slice
        self._q = np.empty(m_p, dtype)                     # 1 + e^-|z2|, for the sigmoid and the cost
        self._tmp = np.empty(m_p, dtype)                   # scratch
        self._nonneg = np.empty(m_p, bool)                 # z2 >= 0
        self.db2 = self.cost_sum = 0.0
        self.correct = 0

    def run(self, W1b, W2, b2, m: int) -> None:
        """W1b: (n1, k + 1), W1 on the active pixels with b1 as last column.

        dZ1 = W2.T dZ2 * relu'(Z1), so dW1 = dZ1 X.T = diag(W2) ((dZ2 * relu'(Z1)) X.T): the factor W2
        is left out here (one pass less over every block) and applied once to the summed gradient."""
        self.dW2[...] = 0
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by its cost
            for i, (s, e) in enumerate(self.blocks):
                self._block(i, s, e, W1b, W2, b2, m, self.dW1 if i == 0 else self._dW1_block)
                if i:
                    self.dW1 += self._dW1_block
            z2 = self._z2[0]
            self.cost_sum = _cost_sum(z2, self.sign, self._q, self._tmp)
            self.correct = int(np.count_nonzero(np.equal(np.greater(z2, 0, out=self._nonneg), self.Y1,
                                                         out=self._nonneg)))
            self.db2 = float(np.add.reduce(self._dz2, dtype=np.float64))

    def _block(self, i, s, e, W1b, W2, b2, m, dW1_out) -> None:
        """Forward and backward for samples s..e; the gradient of W1 (without the factor W2) goes to
        dW1_out, dW2 is added up."""
        Xb = self._Xb[i]                                    # (k + 1, b)
        H = self._H[e - s]                                  # (n1, b): Z1, then A1, then relu', then dZ1 / W2
        np.matmul(W1b, Xb, out=H)                           # Z1 = W1 X + b1
        np.maximum(H, 0, out=H)                             # A1
        z2 = np.matmul(W2, H, out=self._z2[:, s:e])[0]     # (b,)
        z2 += b2[0, 0]
        dz2 = _dz2(z2, self.Y[s:e], m, self._dz2[s:e], self._q[s:e], self._tmp[s:e], self._nonneg[s:e])
        self.dW2 += np.matmul(H, dz2, out=self._dW2_block)  # (n1,) into (1, n1)
        np.greater(H, 0, out=H)                             # relu'(Z1) as 1.0 / 0.0 (Z1 > 0 iff A1 > 0)
        H *= dz2                                            # dZ2 * relu'(Z1) = dZ1 / W2.T
        np.matmul(H, Xb.T, out=dW1_out)                     # (n1, k + 1): dW1 and db1, without W2


def _dz2(z2, y, m: int, out, q, e, nonneg) -> np.ndarray:
    """z2: (b,) logits, y: (b,) labels -> dZ2 = (sigmoid(z2) - y) / m into out (b,); q (b,) gets
    1 + e^-|z2| (for _cost_sum); e (b,) and nonneg (b,) bool are scratch.

    sigmoid(z) = 1 / (1 + e^-|z|) for z >= 0, else e^-|z| / (1 + e^-|z|), as network.sigmoid: no exp of a
    positive number, so no overflow."""
    np.abs(z2, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)                                        # e^-|z2| in (0, 1]
    np.add(e, 1, out=q)
    np.greater_equal(z2, 0, out=nonneg)
    np.copyto(e, 1, where=nonneg)                           # numerator: 1 where z2 >= 0, else e^-|z2|
    np.divide(e, q, out=out)                                # sigmoid(z2)
    out -= y
    out /= m
    return out


def _cost_sum(z2, sign, q, tmp) -> float:
    """Summed cross-entropy of logits z2 (b,), sign = 1 - 2y, q = 1 + e^-|z2| (from _dz2): per sample
    log(1 + e^z) - y z = relu(sign z) + log(1 + e^-|z|), with no overflow. q is overwritten."""
    np.multiply(sign, z2, out=tmp)
    np.maximum(tmp, 0, out=tmp)
    relu_part = np.add.reduce(tmp, dtype=np.float64)
    return float(relu_part + np.add.reduce(np.log(q, out=q), dtype=np.float64))


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
    """Parameters copied during training, for replaying how the hidden weights formed."""

    iteration: int
    W1: np.ndarray  # (n1, n0)
    W2: np.ndarray  # (1, n1)


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
        self.stopped_reason: str | None = None
        self.train_seconds = 0.0
        self._parts_made: list[_Part] | None = None
        self._prev = {k: v.copy() for k, v in self._trained().items()}
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
        it on elsewhere (another process, a copy for another session) bit for bit."""
        return {"params": self.current_params(), "iteration": self.iteration, "history": self.history.copy(),
                "snapshots": list(self.snapshots), "snapshot_every": self.snapshot_every,
                "stopped_reason": self.stopped_reason, "train_seconds": self.train_seconds,
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
        with _Compute.single_threaded_blas():
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
    def _parts(self) -> list[_Part]:
        if self._parts_made is None:
            if self._training_set is None:
                self._training_set = TrainingSet.for_pair(self._data, self.scaler, self.dtype)
            self._parts_made = [_Part(piece, self._W1a.shape[0]) for piece in self._training_set.pieces]
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
        _Compute.map([lambda part=part: part.run(*args) for part in self._parts])
        first, rest = self._parts[0], self._parts[1:]
        grads = {"W1a": first.dW1, "W2": first.dW2}
        for part in rest:  # in place into the first part's sums; it rewrites them next step
            grads["W1a"] += part.dW1
            grads["W2"] += part.dW2
        grads["W1a"] *= self._W2.T                          # the factor W2 of dZ1 (see _Part.run)
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
        """Stop, and go back to the parameters whose cost was last seen finite and sane."""
        failed_step = self.iteration + 1
        if self.iteration > 0:
            for k, v in self._trained().items():
                v[...] = self._prev[k]
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
        self.snapshots.append(Snapshot(self.iteration, self.params["W1"].copy(), self.params["W2"].copy()))
        if len(self.snapshots) > self.max_snapshots:  # thin out evenly, always keep the first and last
            self.snapshots = self.snapshots[::2] if len(self.snapshots) % 2 else self.snapshots[::2] + self.snapshots[-1:]
            self.snapshot_every *= 2
