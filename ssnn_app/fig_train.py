"""Figures for the Train page: pure functions of a History (or summaries), returning Plotly figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ssnn_core.history import History

from .axes import TOP_LEGEND, log_axis
from .i18n import _

TRAIN_COLOUR, TEST_COLOUR, ACC_COLOUR = "#1f77b4", "#ff7f0e", "#2ca02c"


OFF_CHART = 10.0    # a test cost above this many times the largest train cost leaves the chart (marked on its edge)
DIVERGED_COLOUR = "#d62728"


def off_chart_limit(train_costs, test_costs) -> float | None:
    """The cost above which test costs are drawn off the chart, so that one image with a huge cost (a test
    image with ink on pixels blank in every training image, under the article's scaling) cannot flatten the
    curves: OFF_CHART times the largest train cost. None when every test cost is below it (or no train cost
    is known yet): then the axis fits everything, as always."""
    train = [c for c in train_costs if np.isfinite(c) and c > 0]
    if not train:
        return None
    limit = OFF_CHART * max(train)
    return limit if any(np.isfinite(c) and c > limit for c in test_costs) else None


def _cost_range(kept: list[float], log_y: bool) -> tuple[list[float], float]:
    """An axis range fitting the costs `kept` (all finite and > 0), and the height of its top edge."""
    if log_y:
        lo, hi = float(np.floor(np.log10(min(kept)))) + 0.0, float(np.ceil(np.log10(max(kept)))) + 0.0
        hi = max(hi, lo + 1)
        return [lo, hi], float(10 ** (hi - 0.03 * (hi - lo)))
    hi = 1.08 * max(kept)
    return [0, hi], 0.97 * hi


def cost_figure(h: History, log_y: bool = False, target: int | None = None, blowup=()) -> go.Figure:
    """Train cost every iteration, test cost and test accuracy (right axis) where they were measured.

    blowup: a diverged run's last steps as (iteration, cost) points, the last one the step that diverged
    (cost nan when it was not a number): drawn as a red dashed line ending in a cross, with its cost.
    Test costs far above every train cost (off_chart_limit) are drawn as marks on the chart's top edge,
    their values in the hover and the largest in a note on the chart.
    Built from plain dicts (no make_subplots): it is redrawn ~3 times a second while training.
    """
    blowup = [(int(i), float(c)) for i, c in blowup]
    x_max = max(target or 0, h.iteration[-1] if h.iteration else 1)
    if blowup:   # a run that diverged stopped early: the iterations it went through, wide enough to see them
        x_max = max(blowup[-1][0] + 2, int(np.ceil(1.25 * blowup[-1][0])))
    cost_title = _("cost (cross-entropy)")
    data = [
        {"type": "scatter", "x": h.iteration, "y": h.train_cost, "name": _("train cost"), "mode": "lines",
         "line": {"color": TRAIN_COLOUR}},
        {"type": "scatter", "x": h.eval_iteration, "y": h.test_cost, "name": _("test cost"),
         "mode": "lines+markers", "marker": {"size": 4}, "line": {"color": TEST_COLOUR, "dash": "dot"}},
        {"type": "scatter", "x": h.eval_iteration, "y": [100 * a for a in h.test_accuracy], "yaxis": "y2",
         "name": _("test accuracy %"), "mode": "lines", "line": {"color": ACC_COLOUR}},
    ]
    blown = [c for _i, c in blowup]
    all_costs = [c for c in [*h.train_cost, *h.test_cost, *blown] if np.isfinite(c) and (c > 0 or not log_y)]
    layout = {
        "height": 380, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "uirevision": "cost",
        "legend": TOP_LEGEND, "hovermode": "x unified",
        "xaxis": {"title": {"text": _("iteration")}, "range": [0, x_max], **({"dtick": 1} if x_max <= 12 else {})},
        "yaxis": log_axis(cost_title, all_costs or None) if log_y
        else {"title": {"text": cost_title}, "type": "linear"},
        "yaxis2": {"title": {"text": _("test accuracy %")}, "overlaying": "y", "side": "right", "range": [0, 100.5],
                   "tickmode": "linear", "tick0": 0, "dtick": 20, "showgrid": False},
        "annotations": [],
    }
    if not h.iteration and not blowup:  # nothing yet: the range a run starts in (cost ~0.69 falling to ~0.001)
        layout["yaxis"]["range"] = [-3, 0.3] if log_y else [0, 1]
    edge = None
    limit = off_chart_limit([*h.train_cost, *blown], h.test_cost)
    if limit is not None and h.iteration:
        kept = [c for c in all_costs if c <= limit and c > 0]
        off = [(i, c) for i, c in zip(h.eval_iteration, h.test_cost) if np.isfinite(c) and c > limit]
        layout["yaxis"]["range"], edge = _cost_range(kept, log_y)
        if log_y:
            layout["yaxis"] = {**log_axis(cost_title, kept), "range": layout["yaxis"]["range"]}
        data.append({"type": "scatter", "x": [i for i, _c in off], "y": [edge] * len(off),
                     "customdata": [c for _i, c in off], "name": _("test cost off the chart"), "mode": "markers",
                     "marker": {"symbol": "triangle-up", "size": 9, "color": TEST_COLOUR},
                     "hovertemplate": _("test cost %{customdata:.4g} (off the chart)") + "<extra></extra>"})
        layout["yaxis2"]["range"] = [0, 112]       # accuracy 100 % below the band the marks are drawn in
        layout["annotations"].append({
            "text": _("▲ test cost off the chart: up to {cost:.3g}").format(cost=max(c for _i, c in off)),
            "xref": "paper", "yref": "paper", "x": 1, "y": 1, "xanchor": "right", "yanchor": "bottom",
            "showarrow": False, "font": {"color": TEST_COLOUR}})
    if blowup:
        failed, cost = blowup[-1]
        finite = np.isfinite(cost)
        if not finite and edge is None:   # not a number: its cross goes on the top edge
            kept = [c for c in all_costs if c > 0]
            if kept:
                layout["yaxis"]["range"], edge = _cost_range(kept, log_y)
        ys = [c if np.isfinite(c) else (edge if k == len(blowup) - 1 else None) for k, (_i, c) in enumerate(blowup)]
        data.append({"type": "scatter", "x": [i for i, _c in blowup], "y": ys, "name": _("the blow-up (steps undone)"),
                     "mode": "lines+markers", "line": {"color": DIVERGED_COLOUR, "dash": "dash"},
                     "marker": {"color": DIVERGED_COLOUR, "symbol": ["circle"] * (len(blowup) - 1) + ["x"],
                                "size": [5] * (len(blowup) - 1) + [13]},
                     "hovertemplate": _("iteration %{x}<br>cost %{y:.4g}") + "<extra></extra>"})
        text = (_("diverged at iteration {failed}: cost {cost:.3g}").format(failed=failed, cost=cost) if finite
                else _("diverged at iteration {failed}: the cost is not a finite number").format(failed=failed))
        point = ({"y": float(np.log10(cost)) if log_y else cost, "yref": "y", "showarrow": True, "ax": 40, "ay": 25}
                 if finite else {"y": 0.9, "yref": "paper", "showarrow": False, "yanchor": "top"})
        layout["annotations"].append({"text": text, "x": failed, "xref": "x", "xanchor": "left", **point,
                                      "font": {"color": DIVERGED_COLOUR}, "bgcolor": "rgba(255,255,255,0.8)"})
    return go.Figure({"data": data, "layout": layout})


def compare_figure(runs: list[dict], log_y: bool = True) -> go.Figure:
    """Finished runs overlaid: one train-cost line each, labelled by its settings."""
    fig = go.Figure()
    for r in runs:
        fig.add_trace(go.Scatter(x=r["iteration"], y=r["train_cost"], name=r["label"], mode="lines"))
    costs = [c for r in runs for c in r["train_cost"]]
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title=_("iteration"),
                      yaxis=log_axis(_("train cost"), costs or None) if log_y else {"title": {"text": _("train cost")}},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def confusion_figure(confusion: np.ndarray, digits: tuple) -> go.Figure:
    """(2, 2) counts, rows = true class, columns = predicted class; digits: the two classes' names."""
    names = [str(d) for d in digits]
    fig = go.Figure(go.Heatmap(z=confusion, x=[_("predicted {digit}").format(digit=n) for n in names],
                               y=[_("true {digit}").format(digit=n) for n in names],
                               text=confusion, texttemplate="%{text}", colorscale="Blues", showscale=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


# ------------------------------------------------------------------ the live chart

LIVE_W, LIVE_H = 900, 330                      # SVG user units; the image scales to the page width
LIVE_BOX = (62, 40, 838, 290)                  # plot area: left, top, right, bottom
LIVE_MAX_POINTS = 400                          # train-cost points drawn (evenly thinned beyond this)


def _ticks_linear(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(first, hi + step * 1e-9, step)]


def live_svg(h: History, log_y: bool, target: int, starts: int = 0, stops: int = 0) -> str:
    """The cost chart while a run trains, as an inline SVG: same series and colours as `cost_figure`
    (train cost, test cost, test accuracy on the right axis), cheap to build and to draw, so it can be
    redrawn several times a second. (A Plotly chart whose data changes is mounted anew by the browser
    on every redraw, ~0.2 s of CPU each on a small machine.) starts, stops: how often the training
    process has started and stopped this run, carried as data attributes for tests and benches.
    Test costs far above every train cost (off_chart_limit) are marked on the top edge, as on `cost_figure`."""
    left, top, right, bottom = LIVE_BOX
    x_max = max(target, h.iteration[-1] if h.iteration else 1, 1)
    limit = off_chart_limit(h.train_cost, h.test_cost)

    def on_chart(c) -> bool:
        return bool(np.isfinite(c)) and (limit is None or c <= limit)

    costs = [c for c in list(h.train_cost) + list(h.test_cost) if on_chart(c) and (c > 0 or not log_y)]
    if log_y:
        lo = np.floor(np.log10(min(costs))) if costs else -3.0
        hi = np.ceil(np.log10(max(costs))) if costs else 0.0
        hi = max(hi, lo + 1)
        fy = np.log10
        y_ticks = [(float(10.0 ** e), f"{10.0 ** e:g}") for e in np.arange(lo, hi + 1)]
    else:
        lo, hi = 0.0, (max(costs) * 1.05 if costs else 1.0)
        fy = float
        y_ticks = [(v, f"{v:g}") for v in _ticks_linear(lo, hi)]

    def px(it) -> float:
        return left + (right - left) * it / x_max

    def py(c) -> float:
        v = fy(c) if (c > 0 or not log_y) else lo
        return bottom - (bottom - top) * (min(max(v, lo), hi) - lo) / (hi - lo)

    band = 14 if any(np.isfinite(c) and not on_chart(c) for c in h.test_cost) else 0   # room for off-chart marks

    def pa(a) -> float:  # accuracy 0..1 on the right axis
        return bottom - (bottom - top - band) * a

    def line(points, colour, extra="") -> str:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" {extra} points="{pts}"/>' if pts else ""

    its, cost = list(h.iteration), list(h.train_cost)
    keep = range(0, len(its), max(1, -(-len(its) // LIVE_MAX_POINTS)))
    train = [(px(its[i]), py(cost[i])) for i in keep if np.isfinite(cost[i])]
    if its and np.isfinite(cost[-1]):
        train.append((px(its[-1]), py(cost[-1])))
    test = [(px(i), py(c)) for i, c in zip(h.eval_iteration, h.test_cost) if on_chart(c)]
    off = [(px(i), c) for i, c in zip(h.eval_iteration, h.test_cost) if np.isfinite(c) and not on_chart(c)]
    marks = "".join(f'<path d="M{x:.1f},{top + 1} l-4,7 l8,0 z" fill="{TEST_COLOUR}"/>' for x, _c in off)
    if off:
        note = _("▲ test cost off the chart: up to {cost:.3g}").format(cost=max(c for _x, c in off))
        marks += f'<text x="{right - 6}" y="{top + 22}" text-anchor="end" style="fill: {TEST_COLOUR}">{note}</text>'
    acc = [(px(i), pa(a)) for i, a in zip(h.eval_iteration, h.test_accuracy)]
    grid = "".join(f'<line x1="{left}" x2="{right}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#e5e5e5"/>'
                   f'<text x="{left - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{label}</text>'
                   for v, label in y_ticks)
    grid += "".join(f'<text x="{right + 6}" y="{pa(a / 100) + 4:.1f}">{a}</text>' for a in range(0, 101, 20))
    grid += "".join(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{top}" y2="{bottom}" stroke="#f0f0f0"/>'
                    f'<text x="{px(v):.1f}" y="{bottom + 16}" text-anchor="middle">{int(v)}</text>'
                    for v in _ticks_linear(0, x_max) if v == int(v))
    legend = "".join(f'<line x1="{x}" x2="{x + 24}" y1="16" y2="16" stroke="{c}" stroke-width="2" {d}/>'
                     f'<text x="{x + 30}" y="20">{name}</text>'
                     for x, c, d, name in ((left, TRAIN_COLOUR, "", _("train cost")),
                                           (left + 150, TEST_COLOUR, 'stroke-dasharray="4 3"', _("test cost")),
                                           (left + 290, ACC_COLOUR, "", _("test accuracy % (right axis)"))))
    dashed = 'stroke-dasharray="4 3"'
    aria, x_title = _("cost chart, live"), _("iteration")
    return (f'<svg viewBox="0 0 {LIVE_W} {LIVE_H}" width="100%" xmlns="http://www.w3.org/2000/svg" '
            f'role="img" aria-label="{aria}" data-testid="ssnnLiveChart" data-points="{len(its)}" '
            f'data-iteration="{its[-1] if its else 0}" data-starts="{starts}" data-stops="{stops}" '
            f'data-off-chart="{len(off)}" '
            f'style="font: 12px sans-serif; fill: #444">'
            f'{grid}<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" '
            f'stroke="#bbb"/>{line(acc, ACC_COLOUR)}{line(test, TEST_COLOUR, dashed)}'
            f'{line(train, TRAIN_COLOUR)}{marks}{legend}'
            f'<text x="{(left + right) / 2}" y="{LIVE_H - 4}" text-anchor="middle">{x_title}</text></svg>')
