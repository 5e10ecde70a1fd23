"""The hidden-space figure: every test digit as a point, x = the output's evidence W2 . a1, y = the spread
the output ignores, replayed over training in the browser (Plotly frames, a slider and a play button).

Pure: built from ssnn_core.hiddenspace frames, the labels and predictions per frame.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .i18n import _

CLASS_COLOURS = ("#2166ac", "#b2182b")      # digit A blue, digit B red, as the Weights page's votes
RIGHT, WRONG = 0, 4                          # Plotly marker symbols: circle, x
BOUNDARY = "#222222"


def _span(v: np.ndarray, pad: float = 0.06) -> list[float]:
    """The axis range for values v: all of them, unless a few lie far out. Beyond the central 98 %
    widened by half its width on each side, a value is an outlier: drawn at the edge (see `outside`)."""
    v = v[np.isfinite(v)]
    q1, q99 = np.percentile(v, [1, 99])
    w = q99 - q1
    lo, hi = max(float(v.min()), q1 - 0.5 * w), min(float(v.max()), q99 + 0.5 * w)
    d = (hi - lo) or max(abs(hi), 1.0)
    return [lo - pad * d, hi + pad * d]


def ranges(frames) -> tuple[list[float], list[float]]:
    """(x range, y range) that show every frame's digits, outliers aside, and the boundaries."""
    xs = np.concatenate([np.append(f.x, f.boundary) for f in frames])
    xr = _span(xs)
    bounds = [f.boundary for f in frames]
    xr = [min(xr[0], *bounds), max(xr[1], *bounds)]
    return xr, _span(np.concatenate([f.y for f in frames]))


def outside(frame, xr, yr) -> np.ndarray:
    """Indices of the digits of `frame` beyond the ranges (drawn at the edge)."""
    return np.flatnonzero((frame.x < xr[0]) | (frame.x > xr[1]) | (frame.y < yr[0]) | (frame.y > yr[1]))


def _clip(v: np.ndarray, r: list[float]) -> np.ndarray:
    return np.clip(v, r[0], r[1]).astype(np.float32)


def _frame_data(frame, labels, predicted, xr, yr) -> list[dict]:
    """One trace per true class (symbols: circle right, x wrong; outliers at the edge), then the boundary."""
    data = []
    for c in (0, 1):
        mine = labels == c
        data.append({"x": _clip(frame.x[mine], xr), "y": _clip(frame.y[mine], yr),
                     "marker": {"symbol": np.where(predicted[mine] == c, RIGHT, WRONG).astype(np.int8)}})
    data.append({"x": [frame.boundary, frame.boundary], "y": yr})
    return data


def hidden_figure(iterations: list[int], frames: list, labels: np.ndarray, predicted: list[np.ndarray],
                  proba: np.ndarray, digits: tuple[int, int], fit_each: bool = False) -> go.Figure:
    """frames: HiddenSpace per iteration (the last is the model now, shown first); labels: (m,) true 0/1;
    predicted: per frame (m,) 0/1; proba: (m,) P(digits[1]) of the model now, for the hover.
    fit_each: zoom every frame to its own points, else one scale for all frames so they compare.
    Traces 0 and 1 carry customdata = test index (a click opens that digit)."""
    labels = np.asarray(labels).astype(np.uint8)
    last = frames[-1]
    xr, yr = ranges(frames if not fit_each else [last])
    fig = go.Figure()
    hover = _("test #%{{customdata[0]}} · true {digit}<br>P({d1}) now %{{customdata[1]:.4f}}"
              "<br>evidence W2·a1 %{{x:.4g}} (at the edge if far out)<extra></extra>")
    for c in (0, 1):
        idx = np.flatnonzero(labels == c)
        fig.add_trace(go.Scatter(
            x=_clip(last.x[idx], xr), y=_clip(last.y[idx], yr), mode="markers",
            name=_("true {digit}").format(digit=digits[c]),
            customdata=np.stack([idx, proba[idx]], axis=1).astype(np.float64),
            marker={"color": CLASS_COLOURS[c], "size": 6, "opacity": 0.6, "line": {"width": 0},
                    "symbol": np.where(predicted[-1][idx] == c, RIGHT, WRONG).astype(np.int8)},
            hovertemplate=hover.format(digit=digits[c], d1=digits[1])))
    fig.add_trace(go.Scatter(x=[last.boundary] * 2, y=yr, mode="lines", name=_("decision boundary x = −b2"),
                             line={"color": BOUNDARY, "width": 2, "dash": "dash"}, hoverinfo="skip"))
    steps, fig_frames = [], []
    for it, frame, pred in zip(iterations, frames, predicted):
        fx, fy = ranges([frame]) if fit_each else (xr, yr)
        layout = {"xaxis": {"range": fx}, "yaxis": {"range": fy}} if fit_each else {}
        data = _frame_data(frame, labels, pred, fx, fy)
        fig_frames.append(go.Frame(name=str(it), data=[go.Scatter(**d) for d in data],
                                   traces=[0, 1, 2], layout=layout))
        steps.append({"method": "animate", "label": str(it),
                      "args": [[str(it)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                           "transition": {"duration": 0}}]})
    fig.frames = fig_frames
    play = {"label": _("▶ play"), "method": "animate",
            "args": [None, {"frame": {"duration": 350, "redraw": True}, "transition": {"duration": 0},
                            "fromcurrent": False, "mode": "immediate"}]}   # from the start: the chart opens at the end
    pause = {"label": _("❚❚ pause"), "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
    if len(fig_frames) < 2:                   # nothing to replay: no slider, no play button
        fig.frames, steps = [], []
    prefix, _n, suffix = _("iteration {n}").partition("{n}")   # the slider's "iteration 500", in any word order
    current = {"prefix": prefix, **({"suffix": suffix} if suffix else {})}
    fig.update_layout(
        height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10}, hovermode="closest", clickmode="event+select",
        legend={"orientation": "h", "y": 1.08},
        xaxis={"title": {"text": _("evidence W2·a1 (left of the line: says {d0}, right: {d1})").format(
            d0=digits[0], d1=digits[1])},
               "range": xr, "zeroline": False},
        yaxis={"title": {"text": _("the spread W2 ignores (1st principal component off W2)")}, "range": yr},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": -0.16, "xanchor": "left", "yanchor": "top",
                      "showactive": False, "pad": {"r": 10, "t": 0}, "buttons": [play, pause]}] if steps else [],
        sliders=[{"active": len(steps) - 1, "steps": steps, "x": 0.17, "len": 0.83, "y": -0.1, "yanchor": "top",
                  "currentvalue": current, "pad": {"t": 30}}] if steps else [])
    return fig
