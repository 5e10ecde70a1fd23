"""`python -m ssnn_core bench`: the trainer against the article's plain loop, timed in the same run.

For each hidden size n1 it times, on the same machine and load:
  * reference  reference.reference_train: float64, all 784 pixels, C-contiguous (784, m) input, the
               article's code line by line, BLAS with its default thread count;
  * trainer    trainer.Trainer in float32 (the default) and float64, on a TrainingSet made once
               before the timing (as the reference's X is; the dashboard shares one per pair likewise);
  * peak       the GEMM peak of this machine as the trainer uses it: WORKERS threads at once (the
               trainer's own worker threads, blocks.Compute), each with 1 BLAS thread, each doing a
               square PEAK_SIZE^3 matmul of its own, in float32 and in float64.
The timings are interleaved: each of REPEATS rounds runs the reference, the float32 and float64
trainers and the peak probe once, so that a change of load (this may be a noisy shared machine) hits
all of them alike. ms/it is the median over the rounds (after a warm-up); `x` is reference / trainer;
the peak is the best round's GFLOP/s. GFLOP/s counts the two big GEMMs only, 2 * 2 * n1 * n0 * m per
iteration, with n0 = 784 for the reference and n0 = the active (non-blank) pixel count for the trainer,
i.e. the work each one actually does; `peak` is that GFLOP/s as a fraction of the peak of the same
precision (float64 for the reference). Finally the float64 trainer's parameters and cost after the timed
iterations are compared with the reference's (the largest relative difference), and float32's likewise.
No test times anything: this is for people.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .blocks import WORKERS, Compute, TrainingSet
from .config import Hyper
from .data import Mnist, select_digits
from .reference import reference_train
from .scaling import Standardiser
from .trainer import Trainer

REPEATS = 5
PEAK_SIZE = 1024       # float32: 2.1 GFLOP per matmul, ~10-20 ms on one core of a 2020s x86


def default_iterations(n1: int) -> int:
    """40 at n1=10, 8 at n1=300: about a second of the reference's time per repeat."""
    return max(8, min(40, 400 // n1))


def _seconds(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


class _Peak:
    """GFLOP/s of WORKERS concurrent square matmuls, 1 BLAS thread each (the trainer's threads)."""

    def __init__(self, dtype, n: int = PEAK_SIZE):
        rng = np.random.default_rng(0)
        self.flop = 2.0 * n ** 3 * WORKERS
        self.ops = [(rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype),
                     np.empty((n, n), dtype)) for _ in range(WORKERS)]
        self.best = 0.0
        self.measure()  # warm-up

    def measure(self) -> float:
        tasks = [lambda a=a, b=b, c=c: np.matmul(a, b, out=c) for a, b, c in self.ops]
        with Compute.single_threaded_blas():
            gflops = self.flop / _seconds(lambda: Compute.map(tasks)) / 1e9
        self.best = max(self.best, gflops)
        return gflops


def max_relative_difference(params: dict, reference: dict) -> float:
    """Largest over W1, b1, W2, b2 of max|a - b| / max|b| (biases that are all 0 count by absolute size)."""
    worst = 0.0
    for name, ref in reference.items():
        diff = float(np.max(np.abs(np.asarray(params[name], np.float64) - ref)))
        worst = max(worst, diff / max(float(np.max(np.abs(ref))), 1e-300))
    return worst


def _gflops(n1: int, n0: int, m: int, ms: float) -> float:
    return 4 * n1 * n0 * m / (ms * 1e-3) / 1e9


def _time_row(pair, X, Y, hyper: Hyper, its: int, peaks: dict, sets: dict) -> dict:
    """Interleaved rounds of reference, trainer float32, trainer float64 and the peak probes."""
    n1 = hyper.hidden
    h32, h64 = hyper.replace(dtype="float32"), hyper.replace(dtype="float64")

    def trainer(h):
        ts = sets[h.dtype]
        return Trainer(pair, h, eval_every=10**9, scaler=ts.scaler, training_set=ts)

    reference_train(X, Y, n1, hyper.learning_rate, 2, hyper.seed)           # warm-ups
    for h in (h32, h64):
        trainer(h).run(2)
    times = {"reference": [], "float32": [], "float64": []}
    result = {}
    for _ in range(REPEATS):
        def ref():
            result["reference"] = reference_train(X, Y, n1, hyper.learning_rate, its, hyper.seed)
        times["reference"].append(_seconds(ref))
        for name, h in (("float32", h32), ("float64", h64)):
            t = trainer(h)  # built outside the timing, training set included; no test evaluation
            times[name].append(_seconds(lambda t=t: t.run(its)))
            result[name] = t
        for peak in peaks.values():
            peak.measure()
    ms = {name: statistics.median(t) * 1e3 / its for name, t in times.items()}
    return ms, result


def run_bench(mnist: Mnist, hiddens=(10, 300), iterations: int | None = None, out=print) -> list[dict]:
    """Time and compare, print a table, and return one dict of figures per n1."""
    pair = select_digits(mnist, (0, 1))
    m = len(pair.y_train)
    Y = pair.y_train.astype(np.float64)[None, :]                            # (1, m)
    plan = [(n1, Hyper(hidden=n1, iterations=(iterations or default_iterations(n1)) + 1)) for n1 in hiddens]
    scaler = Standardiser.fit(pair.x_train, plan[0][1].scaling)              # the trainer's own scaling
    X = np.ascontiguousarray(scaler.transform(pair.x_train, np.float64))     # (784, m), like the article
    k = len(scaler.active())
    peaks = {"float32": _Peak(np.float32), "float64": _Peak(np.float64)}
    sets, made = {}, {}
    for dtype in ("float32", "float64"):
        made[dtype] = _seconds(lambda d=dtype: sets.setdefault(d, TrainingSet.for_pair(pair, scaler, d)))
    out(f"bench: digits 0/1, m = {m} training images, {k} of 784 pixels active; {REPEATS} interleaved rounds "
        f"after a warm-up, median ms/it; trainer: {WORKERS} worker thread(s), 1 BLAS thread each")
    out("GFLOP/s counts the two big GEMMs, 4*n1*n0*m per iteration: n0 = 784 for the reference, "
        f"{k} (active pixels) for the trainer; x = reference time / trainer time")
    out(f"peak = GFLOP/s of {WORKERS} concurrent {PEAK_SIZE}^3 matmuls, one per trainer worker thread, "
        "1 BLAS thread each, best round, measured in the same rounds; % = GFLOP/s / peak of the same "
        "precision (float64 for the reference)")
    out(f"the trainer's training set (standardised active pixels in blocks, made once per pair, scaling and "
        f"precision, like the reference's X) is made outside the timing: {made['float32'] * 1e3:.0f} ms in "
        f"float32, {made['float64'] * 1e3:.0f} ms in float64")
    out(f"{'n1':>4} {'iters':>5} | {'reference f64':>22} | {'trainer f32':>29} | {'trainer f64':>29} | "
        f"{'peak GFLOP/s':>13} | max rel. diff vs reference (params, cost)")
    out(f"{'':>4} {'':>5} | {'ms/it':>8} {'GFLOP/s':>7} {'%':>5} | {'ms/it':>8} {'GFLOP/s':>7} {'%':>5} {'x':>6} | "
        f"{'ms/it':>8} {'GFLOP/s':>7} {'%':>5} {'x':>6} | {'f32':>6} {'f64':>6} |")
    rows = []
    for n1, hyper in plan:
        its = hyper.iterations - 1
        for peak in peaks.values():
            peak.best = 0.0                                                   # this row's rounds only
        ms, result = _time_row(pair, X, Y, hyper, its, peaks, sets)
        ref_params, ref_costs = result["reference"]
        t32, t64 = result["float32"], result["float64"]
        p32, p64 = peaks["float32"].best, peaks["float64"].best
        g = {"reference": _gflops(n1, 784, m, ms["reference"]), "float32": _gflops(n1, k, m, ms["float32"]),
             "float64": _gflops(n1, k, m, ms["float64"])}
        row = {
            "n1": n1, "iterations": its, "reference_ms": ms["reference"], "float32_ms": ms["float32"],
            "float64_ms": ms["float64"],
            "float32_speedup": ms["reference"] / ms["float32"], "float64_speedup": ms["reference"] / ms["float64"],
            "reference_gflops": g["reference"], "float32_gflops": g["float32"], "float64_gflops": g["float64"],
            "peak_float32_gflops": p32, "peak_float64_gflops": p64,
            "float32_peak_fraction": g["float32"] / p32, "float64_peak_fraction": g["float64"] / p64,
            "reference_peak_fraction": g["reference"] / p64,
            "float64_param_diff": max_relative_difference(t64.current_params(), ref_params),
            "float64_cost_diff": abs(t64.history.train_cost[-1] - ref_costs[-1]) / ref_costs[-1],
            "float32_param_diff": max_relative_difference(t32.current_params(), ref_params),
            "float32_cost_diff": abs(t32.history.train_cost[-1] - ref_costs[-1]) / ref_costs[-1],
        }
        rows.append(row)
        out(f"{n1:>4} {its:>5} | "
            f"{ms['reference']:>8.2f} {g['reference']:>7.1f} {row['reference_peak_fraction']:>5.0%} | "
            f"{ms['float32']:>8.2f} {g['float32']:>7.1f} {row['float32_peak_fraction']:>5.0%} "
            f"{row['float32_speedup']:>5.2f}x | "
            f"{ms['float64']:>8.2f} {g['float64']:>7.1f} {row['float64_peak_fraction']:>5.0%} "
            f"{row['float64_speedup']:>5.2f}x | {p32:>6.1f} {p64:>6.1f} | "
            f"f64 {row['float64_param_diff']:.1e}, {row['float64_cost_diff']:.1e}; "
            f"f32 {row['float32_param_diff']:.1e}, {row['float32_cost_diff']:.1e}")
    return rows
