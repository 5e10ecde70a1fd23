"""The fast forward-and-backward pass the Trainer runs: the training set in cache-sized blocks, and the
threads that work on it. Same numbers as network.forward/backward, computed faster:
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
"""

from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from .data import PairData
from .scaling import Standardiser

BLOCK_BYTES = 4 * 2**20    # bytes of X per block: stays in the L3 cache between the forward and backward GEMM
ROWS_MULTIPLE = 4          # hidden units are padded with zero units to a multiple of this (n1 = 1 is left as is)
PARTS = 2                  # fixed slices of the samples; part of what defines the (bit-exact) result


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


class Compute:
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
    Compute._lock = threading.Lock()
    Compute._queue = Compute._slots = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _Job:
    """One task of Compute.map: run at most once, or cancelled before it starts."""

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


class Part:
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
