"""The cost landscape a run moved through: the straight line from its start to its end, and a 2-D slice.

theta is the whole parameter set (W1, b1, W2, b2). Both views rest on one fact: the hidden layer's input
Z1 = W1 X + b1 is linear in the parameters. Along theta0 + a d, or across theta + a d1 + b d2, it is
Z1(theta) + a (dW1 X + db1) + b (...): a few matrix products over the data, however many points are drawn.
Per point only the ReLU and the output are computed, n1 * m numbers each rather than n1 * n0 * m.

Shapes as in network.py; x_rows: (m, n0) raw training images, y: (m,) labels; every cost here is the mean
cross-entropy over those images, computed in float64.

The line is Goodfellow, Vinyals & Saxe (2015), "Qualitatively characterizing neural network optimization
problems"; the slice along random directions normalised per neuron ("filter normalisation") is Li, Xu,
Taylor, Studer & Goldstein (NeurIPS 2018), "Visualizing the loss landscape of neural nets", who also use
the principal directions of the training path to draw the path itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import PARAM_NAMES, cost_from_logits
from .scaling import Standardiser

LINE_ALPHAS = np.round(np.linspace(-0.5, 1.5, 41), 12)   # a = 0 and a = 1 are on the grid exactly
SLICE_WORK = 1_250_000_000  # n1 * m * grid points at most per slice: above it the slice uses a sample of images
SAMPLE_SEED = 0           # the sample is the same for every model of a digit pair
CHUNK = 2048              # images standardised at a time (the whole standardised set is never held)


def as_float64(params: dict) -> dict:
    return {k: np.asarray(params[k], dtype=np.float64) for k in PARAM_NAMES}


def flat(params: dict) -> np.ndarray:
    """All parameters as one vector, in the order W1, b1, W2, b2: (n1 * n0 + 2 n1 + 1,)."""
    return np.concatenate([np.asarray(params[k], dtype=np.float64).ravel() for k in PARAM_NAMES])


def unflat(vector: np.ndarray, like: dict) -> dict:
    """The inverse of `flat`, shaped like the parameter dict `like`."""
    out, at = {}, 0
    for k in PARAM_NAMES:
        size = np.size(like[k])
        out[k] = vector[at:at + size].reshape(np.shape(like[k]))
        at += size
    return out


def times_inputs(matrices: list[np.ndarray], x_rows: np.ndarray, scaler: Standardiser) -> list[np.ndarray]:
    """[M @ X for M in matrices] in float64, X: (n0, m) the standardised x_rows; each M: (k_i, n0).
    X is made CHUNK images at a time, so memory stays at the results plus one chunk."""
    stacked = np.vstack([np.asarray(M, dtype=np.float64) for M in matrices])   # (sum k_i, n0)
    out = np.empty((stacked.shape[0], len(x_rows)))                           # (sum k_i, m)
    for s in range(0, len(x_rows), CHUNK):
        out[:, s:s + CHUNK] = stacked @ scaler.transform(x_rows[s:s + CHUNK])
    return np.split(out, np.cumsum([len(M) for M in matrices])[:-1])


def _cost(Z1: np.ndarray, W2: np.ndarray, b2: np.ndarray, Y: np.ndarray, buf: np.ndarray | None = None) -> float:
    """Mean cross-entropy of the output on hidden inputs Z1: (n1, m), Y: (1, m); buf: scratch like Z1."""
    A1 = np.maximum(Z1, 0, out=buf)                                            # (n1, m)
    return cost_from_logits(W2 @ A1 + b2, Y)


def sample_rows(m: int, n1: int, points: int = 625) -> np.ndarray:
    """Which training images a slice of `points` grid points uses: all of them while n1 * m * points <=
    SLICE_WORK (every MNIST pair up to n1 = 100 on a 25 x 25 grid), else a sample of SLICE_WORK // (n1 *
    points) of them (at least 500), drawn with SAMPLE_SEED and kept in MNIST's order. The work per slice,
    and so its time, stays about the same whatever n1 and the grid."""
    k = max(500, SLICE_WORK // max(1, n1 * points))
    if k >= m:
        return np.arange(m)
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(m, size=k, replace=False))


# ---------------------------------------------------------------- the line from start to end


@dataclass(frozen=True)
class Line:
    """Training cost along theta(a) = (1 - a) theta0 + a theta1. alphas, costs: (k,).

    path_*: (s,) the run's own states (replay snapshots) placed beside the line: path_alpha is where a
    state projects onto it, path_off how far from the line it is (as a fraction of |theta1 - theta0|),
    path_cost the cost the run recorded there."""

    alphas: np.ndarray
    costs: np.ndarray
    length: float                 # |theta1 - theta0|
    path_iteration: np.ndarray
    path_alpha: np.ndarray
    path_off: np.ndarray
    path_cost: np.ndarray
    m: int

    def cost_at(self, a: float) -> float:
        return float(self.costs[int(np.argmin(np.abs(self.alphas - a)))])

    def is_convex(self, tol: float = 1e-12) -> bool:
        """No second difference of the cost along the line is negative (beyond rounding)."""
        second = self.costs[2:] - 2 * self.costs[1:-1] + self.costs[:-2]
        return bool(np.all(second >= -tol * np.maximum(1.0, np.abs(self.costs[1:-1]))))


def line(theta0: dict, theta1: dict, x_rows: np.ndarray, y: np.ndarray, scaler: Standardiser,
         alphas: np.ndarray = LINE_ALPHAS, path: tuple = ()) -> Line:
    """The cost at each a in alphas; path: (iteration, params, recorded cost) of states the run went through."""
    t0, t1 = as_float64(theta0), as_float64(theta1)
    Z0, Z1 = times_inputs([t0["W1"], t1["W1"]], x_rows, scaler)               # (n1, m) each
    Z0 += t0["b1"]
    Z1 += t1["b1"]
    Y = np.asarray(y, dtype=np.float64).reshape(1, -1)
    buf = np.empty_like(Z0)
    costs = []
    for a in alphas:
        Z = np.multiply(Z0, 1 - a, out=buf)
        Z += a * Z1                                                            # exact at a = 0 and a = 1
        costs.append(_cost(Z, (1 - a) * t0["W2"] + a * t1["W2"], (1 - a) * t0["b2"] + a * t1["b2"], Y, buf))
    f0, d = flat(t0), flat(t1) - flat(t0)
    length = float(np.linalg.norm(d))
    its, where, off, rec = [], [], [], []
    for iteration, params, cost in path:
        v = flat(params) - f0
        a = float(v @ d) / length**2 if length else 0.0
        its.append(iteration)
        where.append(a)
        off.append(float(np.linalg.norm(v - a * d)) / length if length else 0.0)
        rec.append(cost)
    return Line(np.asarray(alphas, dtype=float), np.array(costs), length, np.array(its, dtype=int),
                np.array(where), np.array(off), np.array(rec, dtype=float), len(x_rows))


def recorded_costs(history, iterations) -> np.ndarray:
    """The training cost the run recorded at each of `iterations` (the cost of the parameters after that
    many updates, which the next step saw; NaN where the history does not have it)."""
    seen = dict(zip(history.iteration, history.train_cost))                  # step i saw theta after i - 1 updates
    return np.array([seen.get(int(it) + 1, np.nan) for it in iterations], dtype=float)


# ---------------------------------------------------------------- the 2-D slice


def random_directions(params: dict, seed: int) -> tuple[dict, dict]:
    """Two random directions, each row of W1 and W2 (each neuron's incoming weights) rescaled to the norm
    of that row of the parameters: Li et al.'s filter normalisation, so a step of 1 is as large as each
    neuron's own weights whatever its scale. Bias directions are zero, as in their default."""
    rng = np.random.default_rng(seed)
    p = as_float64(params)

    def one() -> dict:
        d = {k: np.zeros_like(v) for k, v in p.items()}
        for k in ("W1", "W2"):
            r = rng.standard_normal(p[k].shape)
            norms = np.linalg.norm(r, axis=1, keepdims=True)
            d[k] = r / np.where(norms > 0, norms, 1.0) * np.linalg.norm(p[k], axis=1, keepdims=True)
        return d

    return one(), one()


def path_directions(params: dict, states: list[dict]) -> tuple[dict, dict, np.ndarray]:
    """The two principal directions of the training path: the states' offsets from `params`, theta_k - theta,
    through their singular value decomposition. Also the fraction of the path's spread each captures."""
    centre = flat(params)
    M = np.stack([flat(s) - centre for s in states])                          # (s, P)
    if len(states) < 2 or not np.any(M):
        raise ValueError("a path needs at least two states that differ from the end point")
    G = M @ M.T                                                                # (s, s): cheaper than (P, P)
    values, vectors = np.linalg.eigh(G)
    top = np.argsort(values)[::-1][:2]
    dirs = []
    for i in top:
        u = vectors[:, i] @ M                                                  # (P,) along the path's spread
        n = np.linalg.norm(u)
        dirs.append(u / n if n else u)
    if len(dirs) < 2 or values[top[1]] <= 1e-10 * values[top[0]]:     # the rest is rounding
        raise ValueError("the path is a straight line: it spans only one direction")
    total = float(np.trace(G))
    explained = np.array([values[i] / total for i in top])
    return unflat(dirs[0], params), unflat(dirs[1], params), explained


@dataclass(frozen=True)
class Slice:
    """Training cost over theta + a d1 + b d2. alphas: (k,), betas: (l,), costs: (l, k) with costs[i, j]
    at (alphas[j], betas[i]); path_a, path_b: (s,) where the run's states lie in that plane (their
    least-squares coordinates; the part of a state off the plane is not drawn), path_off: that part's
    size relative to the state's distance from theta."""

    alphas: np.ndarray
    betas: np.ndarray
    costs: np.ndarray
    centre_cost: float
    path_iteration: np.ndarray
    path_a: np.ndarray
    path_b: np.ndarray
    path_off: np.ndarray
    m: int


def plane(params: dict, d1: dict, d2: dict, x_rows: np.ndarray, y: np.ndarray, scaler: Standardiser,
          alphas: np.ndarray, betas: np.ndarray, path: tuple = (), progress=None) -> Slice:
    """The cost at every (a, b); path: (iteration, params) states to place in the plane;
    progress(fraction) is called after each row of the grid."""
    p, d1, d2 = as_float64(params), as_float64(d1), as_float64(d2)
    Zc, U, V = times_inputs([p["W1"], d1["W1"], d2["W1"]], x_rows, scaler)    # (n1, m) each
    Zc += p["b1"]
    U += d1["b1"]
    V += d2["b1"]
    Y = np.asarray(y, dtype=np.float64).reshape(1, -1)
    row_base, buf = np.empty_like(Zc), np.empty_like(Zc)
    costs = np.empty((len(betas), len(alphas)))
    for i, b in enumerate(betas):
        np.multiply(V, b, out=row_base)
        row_base += Zc                                                         # exactly Zc at b = 0
        for j, a in enumerate(alphas):
            Z = np.multiply(U, a, out=buf)
            Z += row_base
            W2 = p["W2"] + a * d1["W2"] + b * d2["W2"]
            costs[i, j] = _cost(Z, W2, p["b2"] + a * d1["b2"] + b * d2["b2"], Y, buf)
        if progress is not None:
            progress((i + 1) / len(betas))
    at = int(np.argmin(np.abs(betas))), int(np.argmin(np.abs(alphas)))
    centre = float(costs[at]) if alphas[at[1]] == 0 and betas[at[0]] == 0 else _cost(Zc, p["W2"], p["b2"], Y)
    its, pa, pb, off = place(p, d1, d2, path)
    return Slice(np.asarray(alphas, float), np.asarray(betas, float), costs, centre, its, pa, pb, off, len(x_rows))


def place(params: dict, d1: dict, d2: dict, path: tuple) -> tuple[np.ndarray, ...]:
    """Least-squares coordinates of each state's offset from params in the basis (d1, d2)."""
    B = np.stack([flat(d1), flat(d2)], axis=1)                                # (P, 2)
    centre = flat(params)
    its, pa, pb, off = [], [], [], []
    for iteration, state in path:
        v = flat(state) - centre
        c, *_ = np.linalg.lstsq(B, v, rcond=None)
        its.append(iteration)
        pa.append(c[0])
        pb.append(c[1])
        n = np.linalg.norm(v)
        off.append(float(np.linalg.norm(v - B @ c)) / n if n else 0.0)
    return np.array(its, dtype=int), np.array(pa), np.array(pb), np.array(off)


def grid(span: float, steps: int) -> np.ndarray:
    """`steps` (odd) evenly spaced values over [-span, span], with 0 exactly in the middle."""
    h = steps // 2
    return span * np.arange(-h, h + 1) / h
