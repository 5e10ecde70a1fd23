"""The "inside the network" views against their time budgets (issue #12), and against plain references.

    python bench/inside.py                      # n1 = 10 and 300, the 0/1 pair, real MNIST (SSNN_MNIST)
    python bench/inside.py --hidden 10 100 300 --repeat 3

Budgets, on 2 cores: the 25 x 25 slice at n1 = 10 within ~3 s; at larger n1 within ~10 s (a stated sample
of the training set or a coarser grid); importance (each neuron knocked out alone) at n1 = 300 within ~2 s.
Seconds depend on the machine, so each view is also timed against a plain reference in the same run:
  * slice       ssnn_core.landscape.plane (three products over the data, then n1 * m per point) against
                the plain way, a full forward pass network.forward at each grid point (timed on a few
                points and multiplied out to the grid);
  * line        landscape.line (41 points) against 41 forward passes;
  * importance  knockout.importance (one forward pass) against n1 evaluations, one per knocked-out copy;
  * flip        flip.smallest_flip and fewest_pixels_flip on test images 2031, 0 and 1 (no reference:
                their own figures: pieces walked, pixels, L2);
  * hidden      hiddenspace.replay over the run's snapshots (the Hidden space page's frames).
Budgets are printed beside the figures, never asserted: see README, "Inside the network".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ssnn_core import (  # noqa: E402
    Hyper,
    Trainer,
    evaluate,
    flip,
    hiddenspace,
    init_params,
    knockout,
    landscape,
    load_mnist,
    select_digits,
)
from ssnn_core.network import cost_from_logits, forward  # noqa: E402

BUDGETS = {"slice_small": 3.0, "slice_large": 10.0, "importance_300": 2.0}


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def plain_cost(params: dict, X: np.ndarray, Y: np.ndarray) -> float:
    return cost_from_logits(forward(params, X)[1]["Z2"], Y)


def bench_one(pair, n1: int, repeat: int) -> None:
    h = Hyper(hidden=n1)
    t = Trainer(pair, h, snapshot_every=10, max_snapshots=60)
    t0 = time.perf_counter()
    t.run()
    print(f"\n784 -> {n1} -> 1, 500 iterations trained in {time.perf_counter() - t0:.1f} s "
          f"(final train cost {t.history.train_cost[-1]:.6f})")
    p = t.current_params()
    p64 = landscape.as_float64(p)
    rows = landscape.sample_rows(len(pair.y_train), n1)
    X = t.scaler.transform(pair.x_train[rows])                                   # (784, m) float64, reference only
    Y = pair.y_train[rows].astype(np.float64)[None, :]
    path = [(s.iteration, s.params()) for s in t.snapshots]

    d1, d2 = landscape.random_directions(p, 0)
    g = landscape.grid(1.0, 25)
    secs, sl = best(lambda: landscape.plane(p, d1, d2, pair.x_train[rows], pair.y_train[rows], t.scaler, g, g,
                                            path=path), repeat)
    probe = [(g[0], g[0]), (g[12], g[3]), (g[24], g[20])]
    t1 = time.perf_counter()
    for a, b in probe:
        plain = plain_cost({k: p64[k] + a * d1[k] + b * d2[k] for k in p64}, X, Y)
    per_point = (time.perf_counter() - t1) / len(probe)
    assert abs(plain - sl.costs[20, 24]) <= 1e-9 * max(1.0, plain), (plain, sl.costs[20, 24])
    budget = BUDGETS["slice_small" if n1 <= 10 else "slice_large"]
    print(f"  slice 25 x 25 on {sl.m:,} of {len(pair.y_train):,} training images: {secs:.2f} s "
          f"(budget ~{budget:g} s: {'met' if secs <= budget else 'MISSED'}); plain forward per point "
          f"{1000 * per_point:.1f} ms x 625 = {625 * per_point:.1f} s, so {625 * per_point / secs:.1f}x")

    theta0 = init_params(n1, h.seed)
    secs, ln = best(lambda: landscape.line(theta0, p, pair.x_train, pair.y_train, t.scaler), repeat)
    Xf = t.scaler.transform(pair.x_train)
    Yf = pair.y_train.astype(np.float64)[None, :]
    t1 = time.perf_counter()
    for a in ln.alphas[:3]:
        plain_cost({k: (1 - a) * theta0[k] + a * p64[k] for k in p64}, Xf, Yf)
    line_plain = (time.perf_counter() - t1) / 3 * len(ln.alphas)
    inside_ = (ln.alphas >= 0) & (ln.alphas <= 1)
    print(f"  line, 41 points on all {ln.m:,} training images: {secs:.2f} s; plain {line_plain:.1f} s "
          f"({line_plain / secs:.1f}x). Start {ln.cost_at(0):.4f} -> end {ln.cost_at(1):.6f}; falls all the way: "
          f"{bool(np.all(np.diff(ln.costs[inside_]) < 0))}; convex over [-0.5, 1.5]: {ln.is_convex()}")

    X_test, y_test = t.X_test, pair.y_test
    secs, imp = best(lambda: knockout.importance(p, X_test, y_test), repeat)
    t1 = time.perf_counter()
    for j in range(min(n1, 10)):
        evaluate(knockout.edited(p, off=[j]), X_test, y_test)
    imp_plain = (time.perf_counter() - t1) / min(n1, 10) * n1
    top = imp.order()[0]
    note = f" (budget ~{BUDGETS['importance_300']:g} s: {'met' if secs <= BUDGETS['importance_300'] else 'MISSED'})" \
        if n1 >= 300 else ""
    print(f"  importance of all {n1} neurons: {secs:.3f} s{note}; one copy per neuron {imp_plain:.2f} s "
          f"({imp_plain / secs:.1f}x). Most important #{top}: test error {100 * imp.base_error_rate:.3f} % -> "
          f"{100 * imp.error_rate[top]:.3f} %")

    for i in [k for k in (2031, 0, 1) if k < len(y_test)]:
        x = pair.x_test[i]
        s_small, small = best(lambda x=x: flip.smallest_flip(p, t.scaler, x), repeat)
        s_few, few = best(lambda x=x: flip.fewest_pixels_flip(p, t.scaler, x), repeat)
        print(f"  flip test #{i} (a {pair.digits[int(y_test[i])]}, P(1) {small.proba_before:.4f}): smallest "
              f"{1000 * s_small:.0f} ms, L2 {small.l2:.3g} over {small.n_pixels} pixels ({small.method}); fewest "
              f"{1000 * s_few:.0f} ms, {few.n_pixels} pixel(s), L2 {few.l2:.3g}")

    secs, frames = best(lambda: hiddenspace.replay([s.params() for s in t.snapshots], X_test), repeat)
    print(f"  hidden space, {len(frames)} frames of {len(y_test):,} test digits: {secs:.2f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("SSNN_MNIST", str(REPO.parent / "shared/data/mnist.npz")))
    ap.add_argument("--hidden", type=int, nargs="+", default=[10, 300])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    try:
        pair = select_digits(load_mnist(args.data), (0, 1))
    except Exception as exc:  # noqa: BLE001 - a clear line, not a traceback: the data is the user's input
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ssnn inside-the-network bench: 0 vs 1, {len(pair.y_train):,} training and {len(pair.y_test):,} test "
          f"images; best of {args.repeat}")
    for n1 in args.hidden:
        bench_one(pair, n1, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
