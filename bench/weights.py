"""Seconds per interaction on the Weights page at n1 = 10 and 300, the page's way against the old way (issue #15,
item 7: 2.6-6.7 s per redraw at n1 = 300 in a browser; the target is < 1 s server-side).

    python bench/weights.py                       # n1 = 10 and 300, 0 vs 1 of the real MNIST (SSNN_MNIST)
    python bench/weights.py --hidden 300 --repeat 5
    python bench/weights.py --apptest             # also the page itself, whole reruns through Streamlit's AppTest

Interactions: open the page, switch the colour scale (one per neuron), sort (|W2|), pick another neuron, one
replay step. For each, the server-side work of the rerun it causes: the sums the page does, and every figure
built and serialised as st.plotly_chart does (plotly.io.to_json). Timed for
  * old  the design before issue #15, kept below as it was (old_tiles_figure): per-pixel hover data (neuron,
         row, column) on every tile, the replay redrawn with the whole page on every rerun (each snapshot in
         its own order and colour scale), a neuron's activations on the training set summed again each rerun;
  * new  the page's own functions: no per-pixel data beyond fig_weights.MANY neurons, the replay a fragment (a
         replay step redraws it alone) of the first MANY tiles, a neuron's activations kept per session.
Beside the seconds, the megabytes of figures the browser receives and draws for that interaction: at n1 = 300
most of the old 2.6-6.7 s was the browser's, receiving and drawing two 4.5 MB heatmaps per rerun.
Streamlit's own share (the rest of the page, the session) is the same both ways; --apptest measures it too
(for the new page only: AppTest reruns the whole page, a replay step included). Printed, never asserted.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ssnn_app import fig_weights, readmodel, runs, words  # noqa: E402
from ssnn_app.fig_weights import DIVERGING, HGAP, TILE, VGAP  # noqa: E402
from ssnn_core import Hyper, Trainer, evaluate, load_mnist, select_digits  # noqa: E402
from ssnn_core.model_io import Model  # noqa: E402

BUDGET_S = 1.0
INTERACTIONS = ("open", "colour scale", "sort", "neuron", "replay step")


# ------------------------------------------------------------------ the old way, as it was before issue #15


def old_grid_shape(n: int) -> tuple[int, int]:
    cols = min(n, max(5, math.ceil(math.sqrt(2 * n))))
    return math.ceil(n / cols), cols


def old_tiles_figure(W1, W2, order=None, per_neuron=False, dead=None, digits=(0, 1), selected=None) -> go.Figure:
    """fig_weights.tiles_figure before issue #15 (English texts): per-pixel customdata on every tile."""
    w2 = np.asarray(W2, dtype=np.float64).reshape(-1)
    n = w2.size
    ids = np.arange(n)
    order = np.arange(n) if order is None else np.asarray(order)
    dead = np.zeros(n, bool) if dead is None else np.asarray(dead, bool)
    rows, cols = old_grid_shape(n)
    values = fig_weights.tile_values(W1, per_neuron)
    image, where = fig_weights.tile_image(values, order, cols)
    where[..., 0] = ids[where[..., 0]]
    limit = 1.0 if per_neuron else float(np.nanmax(np.abs(image))) or 1.0
    hover = "neuron %{customdata[0]} · pixel (%{customdata[1]}, %{customdata[2]})<br>weight %{z:.4f}"
    fig = go.Figure(go.Heatmap(
        z=image, customdata=where, zmid=0, zmin=-limit, zmax=limit, colorscale=DIVERGING, hoverongaps=False,
        colorbar={"title": {"text": "weight"}, "thickness": 12}, hovertemplate=hover + "<extra></extra>"))
    slots = np.arange(n)
    y0, x0 = np.divmod(slots, cols)
    short = n > 40
    text = [(f"{w2[j]:+.2f}" if short else f"#{j} · {w2[j]:+.2f}") + (" ✕dead" if dead[j] else "") for j in order]
    fig.add_trace(go.Scatter(
        x=x0 * (TILE + HGAP) + (TILE - 1) / 2, y=y0 * (TILE + VGAP) + (VGAP - 1) / 2, mode="markers+text",
        customdata=ids[order], text=text,
        textfont={"size": 9 if short else 12, "color": ["#b2182b" if w2[j] > 0 else "#2166ac" for j in order]},
        marker={"size": 18, "opacity": 0, "color": "#000"}, showlegend=False,
        hovertemplate=[f"neuron {j}<br>output weight W2 = {w2[j]:+.4f}: votes for "
                       f"{digits[1] if w2[j] > 0 else digits[0]}<br>click to inspect<extra></extra>" for j in order]))
    shapes = []
    for slot, j in enumerate(order):
        if j == selected or dead[j]:
            ty, tx = fig_weights.tile_origin(slot, cols)
            shapes.append({"type": "rect", "x0": tx - 1, "y0": ty - VGAP, "x1": tx + TILE, "y1": ty + TILE,
                           "line": {"color": "#ff9f1c", "width": 3}})
    H, W = image.shape
    fig.update_layout(shapes=shapes, height=int(min(1500, max(260, 1050 * H / W))) + 40,
                      margin={"l": 0, "r": 0, "t": 10, "b": 10},
                      xaxis={"visible": False, "range": [-1, W], "constrain": "domain"},
                      yaxis={"visible": False, "range": [H, -1], "scaleanchor": "x"},
                      plot_bgcolor="rgba(0,0,0,0)", dragmode=False, clickmode="event+select", uirevision="tiles")
    return fig


# ------------------------------------------------------------------ one rerun, each way


def sent(fig: go.Figure) -> int:
    """Serialise a figure as st.plotly_chart does; the bytes the browser receives."""
    return len(pio.to_json(fig, validate=False))


def neuron_section(view, j: int, activations) -> int:
    """'One neuron up close' (both ways alike, but for where the activations come from)."""
    p = view.params
    a_train = activations(j)
    a_test = fig_weights.activations_on(p["W1"], p["b1"], j, view.X_test)
    fig_weights.top_images(a_test, 8)
    return (sent(fig_weights.neuron_figure(p["W1"][j], f"neuron {j}"))
            + sent(fig_weights.activation_histogram(a_train, view.pair.y_train, view.names)))


def bars(view, dead) -> int:
    p = view.params
    return (sent(fig_weights.bars_figure(p["W2"], "output weight W2", view.names, dead))
            + sent(fig_weights.bars_figure(p["b1"], "hidden bias b1", dead=dead)))


class Page:
    """The state a session keeps between reruns: sort, colour scale, neuron, replay frame, and caches."""

    def __init__(self, view, new: bool):
        self.view, self.new = view, new
        self.sort, self.per_neuron, self.j, self.frame = "index", False, 0, -1
        self.dead = None
        self.kept: dict = {}

    def activations(self, j: int):
        p, v = self.view.params, self.view

        def make():
            return fig_weights.neuron_activations(p["W1"], p["b1"], j, v.scaler, v.pair.x_train, p["W1"].dtype)
        if not self.new:
            return make()
        if self.kept.get("act_key") != j:
            self.kept.update(act_key=j, act=make())
        return self.kept["act"]

    def states(self):
        v = self.view
        if self.new:                                      # inside.states: the snapshots, then the model now
            out = [(s.iteration, s.params()) for s in v.snapshots]
            return out if out[-1][0] == v.iteration else [*out, (v.iteration, v.params)]
        return [(s.iteration, s.params()) for s in v.snapshots]

    def replay(self, order) -> int:
        it, params = self.states()[self.frame]
        if not self.new:
            snap_order = fig_weights.neuron_order(params["W2"], self.sort)
            return sent(old_tiles_figure(params["W1"], params["W2"], snap_order, self.per_neuron,
                                         digits=self.view.names))
        shown = order[:fig_weights.MANY]                  # the replay shows the first MANY tiles
        if self.kept.get("limit_key") != shown.tobytes():
            self.kept.update(limit_key=shown.tobytes(),
                             limit=max(fig_weights.colour_limit(q["W1"][shown]) for _, q in self.states()))
        return sent(fig_weights.tiles_figure(params["W1"][shown], params["W2"][:, shown], digits=self.view.names,
                                             ids=shown, width=fig_weights.FIG_WIDTH, limit=self.kept["limit"]))

    def rerun(self, only_replay: bool = False) -> int:
        """One rerun's server-side work; returns the bytes of figures sent."""
        v, p = self.view, self.view.params
        order = fig_weights.neuron_order(p["W2"], self.sort)
        if only_replay and self.new:                      # the replay fragment alone
            return self.replay(order)
        if self.dead is None:                             # inside.dead: once per model, for every session
            self.dead = fig_weights.dead_neurons(p["W1"], p["b1"], v.scaler, v.pair.x_train, p["W1"].dtype)
        if self.new:
            tiles = fig_weights.tiles_figure(p["W1"], p["W2"], order, self.per_neuron, self.dead, v.names,
                                             selected=self.j, width=fig_weights.FIG_WIDTH)
            if not self.per_neuron:
                fig_weights.colour_limit(p["W1"])         # the caption on the colour scale
        else:
            tiles = old_tiles_figure(p["W1"], p["W2"], order, self.per_neuron, self.dead, v.names, selected=self.j)
        words.weight(0.1)
        return sent(tiles) + neuron_section(v, self.j, self.activations) + self.replay(order) + bars(v, self.dead)


def interact(page: Page, what: str) -> int:
    if what == "open":
        return page.rerun()
    if what == "colour scale":
        page.per_neuron = not page.per_neuron
    elif what == "sort":
        page.sort = "abs" if page.sort != "abs" else "index"
    elif what == "neuron":
        page.j = (page.j + 7) % page.view.params["W2"].shape[1]
    elif what == "replay step":
        page.frame = -2 if page.frame == -1 else -1
        return page.rerun(only_replay=True)
    return page.rerun()


def timed(view, new: bool, repeat: int) -> dict:
    """{interaction: (best seconds, bytes)}; 'open' on a fresh page (nothing kept yet)."""
    out, page = {}, Page(view, new)
    for what in INTERACTIONS:
        times, size = [], 0
        for _ in range(repeat):
            if what == "open":
                page = Page(view, new)
            t = time.perf_counter()
            size = interact(page, what)
            times.append(time.perf_counter() - t)
        out[what] = (min(times), size)
        if what == "open":
            page = Page(view, new)
            interact(page, "open")
    return out


# ------------------------------------------------------------------ the page itself (--apptest)


def apptest_times(n1: int, iterations: int, repeat: int) -> dict:
    from tests.apptools import WEIGHTS, goto, trained

    t0 = time.perf_counter()
    at = trained(None, hidden=n1, iterations=iterations)
    print(f"  (AppTest: trained 784 -> {n1} -> 1 through the training process in {time.perf_counter() - t0:.0f} s)")
    out = {}

    def run(what, act):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            act()
            times.append(time.perf_counter() - t)
            assert not at.exception, [e.value for e in at.exception]
        out[what] = min(times)
    run("open", lambda: goto(at, WEIGHTS))
    run("colour scale", lambda: at.toggle(key="w_tiles_per_neuron").set_value(
        not at.toggle(key="w_tiles_per_neuron").value).run())
    run("sort", lambda: at.radio(key="w_tiles_sort").set_value(
        "abs" if at.radio(key="w_tiles_sort").value != "abs" else "index").run())
    run("neuron", lambda: at.selectbox(key="w_neuron").set_value((at.selectbox(key="w_neuron").value + 7) % n1).run())
    options = at.select_slider(key="w_replay").options
    run("replay step", lambda: at.select_slider(key="w_replay").set_value(
        options[-2] if at.select_slider(key="w_replay").value == options[-1] else options[-1]).run())
    return out


# ------------------------------------------------------------------ main


def view_for(pair, n1: int, iterations: int):
    h = Hyper(hidden=n1, iterations=iterations)
    plan = runs.plan_for(h)                               # the app's snapshot plan: 17 of 784 x 300, 56 of 784 x 10
    t = Trainer(pair, h, snapshot_every=plan.snapshot_every, max_snapshots=plan.max_snapshots)
    t0 = time.perf_counter()
    t.run()
    seconds = time.perf_counter() - t0
    p = t.current_params()
    X_test = t.scaler.transform(pair.x_test, p["W1"].dtype)
    model = Model(p, t.scaler, h, t.iteration, t.history)
    view = readmodel.View(model, t.history, tuple(t.snapshots), pair, X_test, evaluate(p, X_test, pair.y_test),
                          "bench", ("bench", n1), h.learning_rate)
    return view, seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("SSNN_MNIST", str(REPO.parent / "shared/data/mnist.npz")))
    ap.add_argument("--hidden", type=int, nargs="+", default=[10, 300])
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--apptest", action="store_true", help="also time the page itself through AppTest")
    args = ap.parse_args(argv)
    try:
        pair = select_digits(load_mnist(args.data), (0, 1))
    except Exception as exc:  # noqa: BLE001 - a clear line, not a traceback: the data is the user's input
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ssnn Weights page bench: 0 vs 1, {len(pair.y_train):,} training images, {args.iterations} iterations; "
          f"best of {args.repeat}; server-side seconds per interaction (budget < {BUDGET_S:g} s at n1 = 300) "
          f"and MB of figures sent to the browser")
    for n1 in args.hidden:
        view, seconds = view_for(pair, n1, args.iterations)
        snaps = [s.iteration for s in view.snapshots]
        print(f"\n784 -> {n1} -> 1 trained in {seconds:.1f} s; {len(snaps)} snapshots, the last at iteration "
              f"{snaps[-1]} (the new replay adds the final state, {view.iteration})")
        old, new = timed(view, False, args.repeat), timed(view, True, args.repeat)
        page = apptest_times(n1, args.iterations, args.repeat) if args.apptest else {}
        print(f"  {'interaction':14s} {'old s':>8s} {'new s':>8s} {'ratio':>7s} {'old MB':>8s} {'new MB':>8s}"
              + (f" {'page s (AppTest)':>17s}" if page else ""))
        for what in INTERACTIONS:
            (so, bo), (sn, bn) = old[what], new[what]
            line = (f"  {what:14s} {so:8.3f} {sn:8.3f} {so / sn:6.1f}x {bo / 1e6:8.2f} {bn / 1e6:8.2f}")
            if page:
                mark = "met" if page[what] < BUDGET_S else "MISSED"
                line += f" {page[what]:10.3f} ({mark})"
            print(line)
        worst = max(s for s, _ in new.values())
        print(f"  slowest new interaction {worst:.3f} s server-side: "
              f"{'within' if worst < BUDGET_S else 'OVER'} the {BUDGET_S:g} s budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
