"""`python -m ssnn_core bench`: the trainer against the article's plain loop, timed in the same run.

For each hidden size n1 it times, one after the other on the same machine and load:
  * reference  reference.reference_train: float64, all 784 pixels, C-contiguous (784, m) input, the
               article's code line by line, BLAS with its default thread count;
  * trainer    trainer.Trainer in float32 (the default) and float64.
Each figure is the median of a few repeats after a warm-up, in ms per iteration; `x` is
reference / trainer. GFLOP/s counts the two big GEMMs only, 2 * 2 * n1 * n0 * m per iteration, with
n0 = 784 for the reference and n0 = the active (non-blank) pixel count for the trainer, i.e. the work
each one actually does. Finally the float64 trainer's parameters and cost after the timed iterations
are compared with the reference's (the largest relative difference), and float32's likewise.
No test times anything: this is for people.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .config import Hyper
from .data import Mnist, select_digits
from .reference import reference_train
from .scaling import Standardiser
from .trainer import WORKERS, Trainer

REPEATS = 3


def default_iterations(n1: int) -> int:
    """40 at n1=10, 8 at n1=300: about a second of the reference's time per repeat."""
    return max(8, min(40, 400 // n1))


def _median_ms(run, iterations: int, repeats: int) -> tuple[float, object]:
    """run() does `iterations` iterations and returns a result; -> (median ms per iteration, last result)."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3 / iterations, result


def _time_reference(X, Y, n1: int, hyper: Hyper, iterations: int) -> tuple[float, dict, float]:
    def run():
        return reference_train(X, Y, n1, hyper.learning_rate, iterations, hyper.seed)

    reference_train(X, Y, n1, hyper.learning_rate, 2, hyper.seed)  # warm-up
    ms, (params, costs) = _median_ms(run, iterations, REPEATS)
    return ms, params, costs[-1]


def _time_trainer(pair, hyper: Hyper, iterations: int) -> tuple[float, Trainer]:
    """Each repeat trains a fresh Trainer (built outside the timing) from the same start."""
    Trainer(pair, hyper, eval_every=10**9).run(2)  # warm-up
    times, trainer = [], None
    for _ in range(REPEATS):
        trainer = Trainer(pair, hyper, eval_every=10**9)  # hyper.iterations > iterations: no test evaluation
        start = time.perf_counter()
        trainer.run(iterations)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3 / iterations, trainer


def max_relative_difference(params: dict, reference: dict) -> float:
    """Largest over W1, b1, W2, b2 of max|a - b| / max|b| (biases that are all 0 count by absolute size)."""
    worst = 0.0
    for name, ref in reference.items():
        diff = float(np.max(np.abs(np.asarray(params[name], np.float64) - ref)))
        worst = max(worst, diff / max(float(np.max(np.abs(ref))), 1e-300))
    return worst


def _gflops(n1: int, n0: int, m: int, ms: float) -> float:
    return 4 * n1 * n0 * m / (ms * 1e-3) / 1e9


def run_bench(mnist: Mnist, hiddens=(10, 300), iterations: int | None = None, out=print) -> list[dict]:
    """Time and compare, print a table, and return one dict of figures per n1."""
    pair = select_digits(mnist, (0, 1))
    m = len(pair.y_train)
    Y = pair.y_train.astype(np.float64)[None, :]                            # (1, m)
    rows = []
    header_done = False
    for n1 in hiddens:
        its = iterations or default_iterations(n1)
        hyper = Hyper(hidden=n1, iterations=its + 1)
        scaler = Standardiser.fit(pair.x_train, hyper.scaling)                  # the trainer's own scaling
        X = np.ascontiguousarray(scaler.transform(pair.x_train, np.float64))    # (784, m), like the article
        k = len(scaler.active())
        if not header_done:
            out(f"bench: digits 0/1, m = {m} training images, {k} of 784 pixels active; median of {REPEATS} "
                f"repeats after a warm-up; trainer: {WORKERS} worker thread(s), 1 BLAS thread each")
            out("GFLOP/s counts the two big GEMMs, 4*n1*n0*m per iteration: n0 = 784 for the reference, "
                f"{k} (active pixels) for the trainer; x = reference time / trainer time")
            out(f"{'n1':>4} {'iters':>5} | {'reference f64':>20} | {'trainer f32':>25} | {'trainer f64':>25} | "
                "max rel. diff vs reference (params, cost)")
            out(f"{'':>4} {'':>5} | {'ms/it':>9} {'GFLOP/s':>10} | {'ms/it':>9} {'GFLOP/s':>8} {'x':>6} | "
                f"{'ms/it':>9} {'GFLOP/s':>8} {'x':>6} |")
            header_done = True
        ref_ms, ref_params, ref_cost = _time_reference(X, Y, n1, hyper, its)
        f32_ms, t32 = _time_trainer(pair, hyper.replace(dtype="float32"), its)
        f64_ms, t64 = _time_trainer(pair, hyper.replace(dtype="float64"), its)
        row = {
            "n1": n1, "iterations": its, "reference_ms": ref_ms, "float32_ms": f32_ms, "float64_ms": f64_ms,
            "float32_speedup": ref_ms / f32_ms, "float64_speedup": ref_ms / f64_ms,
            "float64_param_diff": max_relative_difference(t64.current_params(), ref_params),
            "float64_cost_diff": abs(t64.history.train_cost[-1] - ref_cost) / ref_cost,
            "float32_param_diff": max_relative_difference(t32.current_params(), ref_params),
            "float32_cost_diff": abs(t32.history.train_cost[-1] - ref_cost) / ref_cost,
        }
        rows.append(row)
        out(f"{n1:>4} {its:>5} | {ref_ms:>9.2f} {_gflops(n1, 784, m, ref_ms):>10.1f} | "
            f"{f32_ms:>9.2f} {_gflops(n1, k, m, f32_ms):>8.1f} {row['float32_speedup']:>5.1f}x | "
            f"{f64_ms:>9.2f} {_gflops(n1, k, m, f64_ms):>8.1f} {row['float64_speedup']:>5.1f}x | "
            f"f64 {row['float64_param_diff']:.1e}, {row['float64_cost_diff']:.1e}; "
            f"f32 {row['float32_param_diff']:.1e}, {row['float32_cost_diff']:.1e}")
    return rows
