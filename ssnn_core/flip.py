"""How fragile is the answer: changes to one image's raw pixels that make the network say the other digit.

In raw pixels p in 0..255 the network is z2(p) = W2 relu(W1 (p - mean) / scale + b1) + b2: piecewise linear.
On a piece (a fixed set of active hidden units) z2 is affine, gradient g = ((W2 * active) @ W1) / scale.
The answer is label 1 iff A2 = sigmoid(z2) > 0.5; it flips when z2 reaches target = -margin (from label 1)
or +margin (from label 0), margin in logit units, every pixel staying in [0, 255]. Walks over the pieces
are exact: along a segment z1 and z2 are linear, so the next kink (a unit's z1 crossing 0), the next pixel
reaching 0 or 255 and the point where z2 meets the target are each one division.
Shapes: p, g, d (n0,) float64; W1s = W1 / scale (n1, n0); z1 (n1,). Everything is computed in float64.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .config import ConfigError, ImageError
from .network import N0, forward, predict
from .scaling import Standardiser

MAX_PIECES = 5000      # linear pieces one walk may cross before it gives up (guards against cycling)
CHANGED = 1e-9         # a pixel that moved by more than this (0..255 units) counts as changed
PIXEL_MAX = 255.0
ENDS = np.array([[0.0] * N0, [PIXEL_MAX] * N0])  # (2, n0) the values a greedy pixel may be set to


@dataclass(frozen=True)
class Flip:
    """One change that flips the answer. original, result, change = result - original: (n0,) float64 pixels,
    result in [0, 255]; changed: indices with |change| > CHANGED; l2, linf in pixel units; z2, proba (A2) and
    label (as network.predict says, in float64) before and after. method: "path", "ray" or "pixels" (smallest_flip),
    "pixels" (fewest_pixels_flip), "gradient" (gradient_step_flip); steps: linear pieces walked, greedy
    pixels set, or evaluations of the bisection."""

    method: str
    original: np.ndarray
    result: np.ndarray
    change: np.ndarray
    changed: np.ndarray
    n_pixels: int
    l2: float
    linf: float
    z2_before: float
    z2_after: float
    proba_before: float
    proba_after: float
    label_before: int
    label_after: int
    steps: int


@dataclass(frozen=True)
class _Net:
    """The model in float64 (params64 for network.forward), its scaler, W1s (n1, n0), w2 (n1,), b2."""

    params64: dict
    mean: np.ndarray
    scale: np.ndarray
    W1s: np.ndarray
    w2: np.ndarray
    b2: float

    def z1(self, p: np.ndarray) -> np.ndarray:
        """p: (n0,) -> (n1,), as the forward pass computes it, from x = (p - mean) / scale."""
        return self.params64["W1"] @ ((p - self.mean) / self.scale) + self.params64["b1"][:, 0]

    def z2(self, z1: np.ndarray) -> float:
        return float(self.w2 @ np.maximum(z1, 0) + self.b2)

    def gradient(self, p: np.ndarray) -> np.ndarray:
        """dz2/dp: (n0,) on the piece p lies on."""
        return (self.w2 * (self.z1(p) > 0)) @ self.W1s


def _start(params: dict, scaler: Standardiser, pixels, margin) -> tuple[_Net, np.ndarray, float, float]:
    """-> the model, p0 (n0,), s = the way z2 must go (+1 from label 0, -1 from label 1), the target."""
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not 0 < margin < np.inf:
        raise ConfigError("margin must be a positive number of logit units, got {value!r}", value=margin)
    p = np.asarray(pixels)
    if p.shape not in ((N0,), (28, 28), (N0, 1)):
        raise ImageError("an image must be 784 pixels, (28, 28) or (784, 1), got shape {shape}", shape=p.shape)
    if not np.issubdtype(p.dtype, np.number) or not np.all(np.isfinite(p)):
        raise ImageError("an image's pixels must be finite numbers")
    p = p.astype(np.float64).reshape(N0)
    if p.min() < 0 or p.max() > PIXEL_MAX:
        raise ImageError("pixels must be in 0..255, got {lo:g}..{hi:g}", lo=p.min(), hi=p.max())
    p64 = {k: np.asarray(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2")}
    mean, scale = np.asarray(scaler.mean, np.float64), np.asarray(scaler.scale, np.float64)
    net = _Net(p64, mean, scale, p64["W1"] / scale, p64["W2"][0], float(p64["b2"][0, 0]))
    s = -1.0 if _look(net, p)[2] == 1 else 1.0
    return net, p, s, s * float(margin)


def _look(net: _Net, p: np.ndarray) -> tuple[float, float, int]:
    """The real forward pass on one image: z2, A2 and predict()'s label."""
    X = ((p - net.mean) / net.scale)[:, None]                                   # (n0, 1)
    with np.errstate(over="ignore", invalid="ignore"):
        A2, cache = forward(net.params64, X)
        return float(cache["Z2"][0, 0]), float(A2[0, 0]), int(predict(net.params64, X)[0])


def _flip(method: str, net: _Net, p0: np.ndarray, p: np.ndarray, steps: int) -> Flip | None:
    """The Flip from p0 to p, or None if the forward pass says p does not flip the answer."""
    p = np.clip(p, 0.0, PIXEL_MAX)
    (z2a, pa, la), (z2b, pb, lb) = _look(net, p0), _look(net, p)
    if la == lb:
        return None
    change = p - p0
    changed = np.flatnonzero(np.abs(change) > CHANGED)
    return Flip(method, p0, p, change, changed, int(changed.size), float(np.linalg.norm(change)),
                float(np.abs(change).max()), z2a, z2b, pa, pb, la, lb, steps)


def _free(p: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(n0,) bool: pixels that may move along d (not at 0 going down, nor at 255 going up)."""
    return ~(((p <= 0) & (d < 0)) | ((p >= PIXEL_MAX) & (d > 0)))


def _direction(net: _Net, p, g, pinned, s) -> np.ndarray | None:
    """Unit direction of steepest progress of s * z2 on a piece with gradient g (n0,): s * g on the free
    pixels, projected so that pinned units keep z1 = 0 (W1s[pinned] d = 0). None if there is none."""
    d = s * g
    free, A = _free(p, d), net.W1s[pinned]                                      # A: (k, n0)
    for _ in range(N0 + 1):                     # the projection may turn a free pixel at a bound outwards
        dd = d * free
        if len(A):
            Af = A * free
            gram, rhs = Af @ Af.T, Af @ dd
            try:
                dd = dd - Af.T @ np.linalg.solve(gram, rhs)
            except np.linalg.LinAlgError:       # pinned rows dependent on the free pixels
                dd = dd - Af.T @ np.linalg.lstsq(gram, rhs, rcond=None)[0]
        out = free & ~_free(p, dd)
        if not out.any():
            break
        free &= ~out
    norm = np.linalg.norm(dd)
    return dd / norm if norm > 1e-12 * np.linalg.norm(d) else None


def _settle(net: _Net, p, act, pinned, s, tied) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The path's state at a kink. A side of a unit at z1 = 0 is consistent if that side's direction keeps the
    unit there (active: dz1 >= 0, inactive: dz1 <= 0). A unit just crossed (tied) whose new side is not is
    pinned: the path rides the ridge z1 = 0, and leaves it for the first side that becomes consistent."""
    g = (net.w2 * (act & ~pinned)) @ net.W1s                                    # (n0,) this piece's dz2/dp
    d, release = _direction(net, p, g, pinned, s), np.flatnonzero(pinned)
    act, pinned = act.copy(), pinned.copy()
    for j in tied:
        r = net.W1s[j] @ d if d is not None else 0.0
        if (act[j] and r < 0) or (not act[j] and r > 0):
            g = g - net.w2[j] * net.W1s[j] * act[j]
            act[j], pinned[j] = False, True
            d = _direction(net, p, g, pinned, s)
    for j in release:
        for side in (True, False):
            q, gj = pinned.copy(), g + net.w2[j] * net.W1s[j] * side
            q[j] = False
            dj = _direction(net, p, gj, q, s)
            r = net.W1s[j] @ dj if dj is not None else np.nan
            if (side and r >= 0) or (not side and r <= 0):
                pinned, g, d, act[j] = q, gj, dj, side
                break
    return act, pinned, d


def _walk(net: _Net, p0, s, target, fixed=None) -> tuple[np.ndarray, int] | None:
    """Follow the linear pieces from p0 until z2 reaches the target. fixed=None: re-aim along each piece's own
    gradient (the path); else keep the direction fixed (n0,), pixels stopping at 0 and 255 (the ray
    clip(p0 + t fixed)), which may pass through pieces going the wrong way. -> (point, pieces) or None."""
    p = p0.copy()
    act, pinned, tied = net.z1(p) > 0, np.zeros(len(net.w2), bool), []
    for piece in range(1, MAX_PIECES + 1):
        z1 = net.z1(p)                                                          # (n1,)
        gap = target - net.z2(z1)
        if s * gap <= 0:
            return p, piece - 1
        if fixed is None:
            act, pinned, d = _settle(net, p, act, pinned, s, tied)
        else:
            d = fixed * _free(p, fixed)
            d = d / np.linalg.norm(d) if d.any() else None
        if d is None:
            return None
        r = net.W1s @ d                                                         # (n1,) dz1/dt
        rate = net.w2 @ (r * (act & ~pinned))                                   # dz2/dt on this piece
        if s * rate <= 0 and fixed is None:
            return None
        crosses = ~pinned & ((act & (r < 0)) | (~act & (r > 0)))
        t_unit, t_pix = np.full(len(r), np.inf), np.full(N0, np.inf)
        t_unit[crosses] = np.maximum(0.0, -z1[crosses] / r[crosses])
        up, down = d > 0, d < 0
        t_pix[up], t_pix[down] = (PIXEL_MAX - p[up]) / d[up], -p[down] / d[down]
        j, i = int(np.argmin(t_unit)), int(np.argmin(t_pix))
        t = min(t_unit[j], t_pix[i])
        if s * rate > 0 and gap / rate <= t:
            return np.clip(p + gap / rate * d, 0.0, PIXEL_MAX), piece
        if t == np.inf:
            return None
        p = np.clip(p + t * d, 0.0, PIXEL_MAX)
        if t_pix[i] <= t_unit[j]:
            p[i], tied = (PIXEL_MAX if d[i] > 0 else 0.0), []
        else:
            act[j], tied = not act[j], [j]
    return None


def smallest_flip(params: dict, scaler: Standardiser, pixels, margin: float = 1e-3,
                  fewest: Flip | None | str = "find") -> Flip | None:
    """A small L2 change (pixel units) that flips the answer: the better of two exact walks over the pieces,
    the path (DeepFool-like: re-aimed along each piece's gradient, riding a kink where neither side leads on)
    and the ray clip(p - sign(z2) t g0/|g0|). On one piece both are the exact minimum, clip(p + lambda g);
    across pieces the answer is local, but never larger than the plain gradient step. The fewest-pixels
    answer is a third candidate: across pieces it is sometimes smaller still (one weak pixel moved far can
    beat a walk that follows the gradient). The smallest of the three wins. None if none flips.
    fewest: fewest_pixels_flip's answer for the same image and margin, if already at hand."""
    net, p0, s, target = _start(params, scaler, pixels, margin)
    flips = []
    for method, fixed in (("path", None), ("ray", s * net.gradient(p0))):
        walked = _walk(net, p0, s, target, fixed)
        flips.append(_flip(method, net, p0, *walked) if walked else None)
    flips.append(fewest_pixels_flip(params, scaler, pixels, margin) if isinstance(fewest, str) else fewest)
    flips = [f for f in flips if f is not None]
    return min(flips, key=lambda f: f.l2) if flips else None


def _reach_1d(net: _Net, z1, i: int, delta: float, s: float, target: float) -> float | None:
    """The smallest change v of pixel i alone, from 0 towards delta, that takes z2 to the target, in closed
    form: with v = tau * delta, z1 + tau * r is linear, and z2 affine between the units' kinks."""
    r = net.W1s[:, i] * delta                                                   # (n1,) dz1/dtau
    with np.errstate(divide="ignore", invalid="ignore"):
        kinks = -z1 / r
    tau = np.unique(np.concatenate([[0.0, 1.0], kinks[(kinks > 0) & (kinks < 1)]]))   # (k,) sorted
    z2 = net.w2 @ np.maximum(z1[:, None] + r[:, None] * tau[None, :], 0) + net.b2  # (k,) exact at each
    past = np.flatnonzero(s * (z2 - target) >= 0)
    if past.size == 0 or past[0] == 0:
        return None
    k = past[0]                                 # z2 is affine on [tau[k-1], tau[k]]: interpolate exactly
    return delta * (tau[k - 1] + (target - z2[k - 1]) * (tau[k] - tau[k - 1]) / (z2[k] - z2[k - 1]))


def fewest_pixels_flip(params: dict, scaler: Standardiser, pixels, margin: float = 1e-3,
                       max_pixels: int = N0) -> Flip | None:
    """Greedy: set, one at a time, the unchanged pixel whose move to 0 or 255 takes z2 furthest towards the
    target (every candidate's z2 exact, a rank-one update of z1). Once some pixel alone can reach the target,
    the last one moves only as far as needed (exactly, over its own pieces); of those, the one that needs the
    smallest move. None if max_pixels pixels do not flip it, or no pixel moves z2 towards the target."""
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, numbers.Integral) or not 1 <= max_pixels <= N0:
        raise ConfigError("max_pixels must be in 1..{most}, got {value!r}", most=N0, value=max_pixels)
    net, p0, s, target = _start(params, scaler, pixels, margin)
    p, done, every = p0.copy(), np.zeros(N0, bool), np.arange(N0)
    for step in range(1, int(max_pixels) + 1):
        z1 = net.z1(p)
        z2c = np.stack([net.w2 @ np.maximum(z1[:, None] + net.W1s * (e - p)[None, :], 0) + net.b2
                        for e in ENDS])                                         # (2, n0) z2 if pixel i -> 0, 255
        k = np.argmax(s * z2c, axis=0)                                          # (n0,) the better end
        best, end = z2c[k, every], ENDS[k, every]
        last = [(abs(v), int(i), v) for i in np.flatnonzero(~done & (s * (best - target) >= 0))
                if (v := _reach_1d(net, z1, i, end[i] - p[i], s, target)) is not None]
        if last:
            _, i, v = min(last, key=lambda c: c[:2])
            p[i] += v
            return _flip("pixels", net, p0, p, step)
        gain = np.where(done, -np.inf, s * (best - net.z2(z1)))
        i = int(np.argmax(gain))
        if not gain[i] > 0:
            return None
        p[i], done[i] = end[i], True
    return None


def gradient_step_flip(params: dict, scaler: Standardiser, pixels, margin: float = 1e-3) -> Flip | None:
    """The baseline: along the fixed unit direction u = -sign(z2) g0/|g0| of the initial gradient, clipped to
    [0, 255], the smallest step t with z2(clip(p + t u)) past the target, by doubling t and then bisection."""
    net, p0, s, target = _start(params, scaler, pixels, margin)
    g0 = net.gradient(p0)
    if not np.any(g0 * _free(p0, s * g0)):
        return None
    u = s * g0 / np.linalg.norm(g0)
    moving = u != 0
    t_all = float(np.max(np.where(u[moving] > 0, PIXEL_MAX - p0[moving], p0[moving]) / np.abs(u[moving])))

    def reached(t: float) -> bool:
        return s * (net.z2(net.z1(np.clip(p0 + t * u, 0.0, PIXEL_MAX))) - target) >= 0

    lo, hi, evaluations = 0.0, min(1e-12, t_all), 1
    while not reached(hi):
        if hi >= t_all:
            return None
        lo, hi, evaluations = hi, min(2 * hi, t_all), evaluations + 1
    while hi - lo > 1e-13 * hi and evaluations < 400:
        mid, evaluations = 0.5 * (lo + hi), evaluations + 1
        lo, hi = (lo, mid) if reached(mid) else (mid, hi)
    return _flip("gradient", net, p0, np.clip(p0 + hi * u, 0.0, PIXEL_MAX), evaluations)
