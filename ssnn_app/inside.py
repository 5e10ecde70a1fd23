"""What the "inside the network" pages compute, made once per model and shared by every session.

Each function takes a readmodel.View (a run's published state: looking never pauses or slows training)
and returns ssnn_core results; the maths lives in ssnn_core (landscape, hiddenspace, flip, knockout).
Results are kept per (run id, state version) and options, in a small LRU shared by all sessions.
"""

from __future__ import annotations

import numpy as np

from ssnn_core import flip, hiddenspace, knockout, landscape
from ssnn_core.network import init_params

from . import fig_hidden, fig_weights, i18n
from .memo import Shared
from .readmodel import View

REPLAY_FRAMES = 30          # hidden-space frames at most (first and last always kept)
_slow = Shared(12)          # landscape results: seconds each, never pushed out by the cheap ones
_fast = Shared(32)          # everything else: milliseconds to a second
SLOW = ("line", "slice", "path_dirs")


def _kept(kind: str, view: View, options, make):
    return (_slow if kind in SLOW else _fast).get((kind, *view.key, options), make)


def states(view: View) -> list[tuple[int, dict]]:
    """(iteration, params) the run went through: its replay snapshots, then the model as it is now
    (the last snapshot is often a few iterations short of it). Made once per model state."""
    def make():
        out = [(s.iteration, s.params()) for s in view.snapshots]
        if not out or out[-1][0] != view.iteration:
            out.append((view.iteration, view.params))
        return out
    return _kept("states", view, (), make)


def start(view: View) -> dict:
    """The parameters the run started from: its snapshot at iteration 0, else the seeded initialisation."""
    if view.snapshots and view.snapshots[0].iteration == 0:
        return view.snapshots[0].params()
    h = view.hyper
    return init_params(h.hidden, h.seed, dtype=view.params["W1"].dtype)


def line(view: View) -> landscape.Line:
    def make():
        path = states(view)
        costs = landscape.recorded_costs(view.history, [it for it, _ in path])
        return landscape.line(start(view), view.params, view.pair.x_train, view.pair.y_train, view.scaler,
                              path=[(it, p, c) for (it, p), c in zip(path, costs)])
    return _kept("line", view, (), make)


def slice_(view: View, directions: str, seed: int, span: float, steps: int, progress=None) -> landscape.Slice:
    """directions: "random" (filter-normalised, seeded, a grid over [-span, span]^2) or "path" (the
    training path's two principal directions, a grid that covers the path)."""
    def make():
        p = view.params
        path = states(view)
        if directions == "path":
            d1, d2, _ = path_directions(view)
            _, a, b, _ = landscape.place(p, d1, d2, path)
            ga = landscape.grid(1.25 * max(np.abs(a).max(), 1e-9), steps)
            gb = landscape.grid(1.25 * max(np.abs(b).max(), 1e-9), steps)
        else:
            d1, d2 = landscape.random_directions(p, seed)
            ga = gb = landscape.grid(span, steps)
        rows = landscape.sample_rows(len(view.pair.y_train), view.hyper.hidden, len(ga) * len(gb))
        return landscape.plane(p, d1, d2, view.pair.x_train[rows], view.pair.y_train[rows], view.scaler, ga, gb,
                               path=path, progress=progress)
    return _kept("slice", view, (directions, seed, span, steps), make)


def path_directions(view: View):
    """The principal directions of the run's path, or ValueError when it has too few states."""
    return _kept("path_dirs", view, (), lambda: landscape.path_directions(
        view.params, [p for _, p in states(view)]))


def replay_states(view: View) -> list[tuple[int, dict]]:
    """At most REPLAY_FRAMES of the run's states, evenly spread, the first and last included."""
    path = states(view)
    if len(path) <= REPLAY_FRAMES:
        return path
    keep = np.unique(np.round(np.linspace(0, len(path) - 1, REPLAY_FRAMES)).astype(int))
    return [path[i] for i in keep]


def hidden_frames(view: View) -> tuple[list[int], list[hiddenspace.HiddenSpace], list[np.ndarray]]:
    """(iterations, hidden-space frames, predicted labels per frame) over the run, the model last."""
    def make():
        path = replay_states(view)
        X = view.X_test
        frames = hiddenspace.replay([p for _, p in path], X)
        predicted = [(f.x > f.boundary).astype(np.uint8) for f in frames]
        return [it for it, _ in path], frames, predicted
    return _kept("hidden", view, (), make)


def importance(view: View) -> knockout.Importance:
    return _kept("importance", view, (), lambda: knockout.importance(view.params, view.X_test, view.pair.y_test))


def what_if(view: View, off: tuple, scale: tuple) -> knockout.WhatIf:
    """off: neurons switched off; scale: ((neuron, factor),) applied to output weights."""
    return _kept("what_if", view, (off, scale), lambda: knockout.what_if(
        view.params, view.X_test, view.pair.y_test, off, dict(scale)))


def flips(view: View, pixels: np.ndarray, name) -> tuple[flip.Flip | None, flip.Flip | None]:
    """(smallest change, fewest pixels) that flip the answer for an image; name: what identifies it."""
    def make():
        fewest = flip.fewest_pixels_flip(view.params, view.scaler, pixels)
        return flip.smallest_flip(view.params, view.scaler, pixels, fewest=fewest), fewest
    return _kept("flip", view, name, make)


def dead(view: View) -> np.ndarray:
    """(n1,) bool: neurons that fire on no training image."""
    p = view.params
    return _kept("dead", view, (), lambda: fig_weights.dead_neurons(p["W1"], p["b1"], view.scaler,
                                                                   view.pair.x_train, p["W1"].dtype))


def hidden_figure(view: View, fit_each: bool):
    """The Hidden space figure (0.5 s to build at 30 frames of 2,115 digits), once per model, language and
    class names for everyone (its titles, legend, hover texts and buttons are in the session's language)."""
    names = view.names

    def make():
        iterations, frames, predicted = hidden_frames(view)
        ev = view.evaluation
        return fig_hidden.hidden_figure(iterations, frames, ev.labels, predicted, ev.proba, names, fit_each)
    return _kept("hidden_figure", view, (fit_each, i18n.lang(), names, getattr(view.pair, "digest", "")), make)
