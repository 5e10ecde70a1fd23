"""The hidden-space figure: every test digit as a point, x = the output's evidence W2 . a1, y = the spread
the output ignores, replayed over training in the browser (Plotly frames, a slider and a play button).

Pure: built from ssnn_core.hiddenspace frames, the labels and predictions per frame.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

CLASS_COLOURS = ("#2166ac", "#b2182b")      # digit A blue, digit B red, as the Weights page's votes
RIGHT, WRONG = 0, 4                          # Plotly marker symbols: circle, x
BOUNDARY = "#222222"


def _ranges(frames, pad: float = 0.06) -> tuple[list[float], list[float]]:
    xs = np.concatenate([np.append(f.x, f.boundary) for f in frames])
    ys = np.concatenate([f.y for f in frames])

    def span(v):
        lo, hi = float(v.min()), float(v.max())
        d = (hi - lo) or max(abs(hi), 1.0)
        return [lo - pad * d, hi + pad * d]
    return span(xs), span(ys)


def _frame_data(frame, labels, predicted, y_range) -> list[dict]:
    """One trace per true class (symbols: circle right, x wrong), then the boundary line."""
    data = []
    for c in (0, 1):
        mine = labels == c
        data.append({"x": frame.x[mine].astype(np.float32), "y": frame.y[mine].astype(np.float32),
                     "marker.symbol": np.where(predicted[mine] == c, RIGHT, WRONG).astype(np.int8)})
    data.append({"x": [frame.boundary, frame.boundary], "y": y_range})
    return data


def hidden_figure(iterations: list[int], frames: list, labels: np.ndarray, predicted: list[np.ndarray],
                  proba: np.ndarray, digits: tuple[int, int], fit_each: bool = False) -> go.Figure:
    """frames: HiddenSpace per iteration (the last is the model now, shown first); labels: (m,) true 0/1;
    predicted: per frame (m,) 0/1; proba: (m,) P(digits[1]) of the model now, for the hover.
    fit_each: zoom every frame to its own points, else one scale for all frames so they compare.
    Traces 0 and 1 carry customdata = test index (a click opens that digit)."""
    labels = np.asarray(labels).astype(np.uint8)
    last = frames[-1]
    xr, yr = _ranges(frames if not fit_each else [last])
    fig = go.Figure()
    for c in (0, 1):
        idx = np.flatnonzero(labels == c)
        fig.add_trace(go.Scatter(
            x=last.x[idx].astype(np.float32), y=last.y[idx].astype(np.float32), mode="markers", name=f"true {digits[c]}",
            customdata=np.stack([idx, proba[idx]], axis=1).astype(np.float64),
            marker={"color": CLASS_COLOURS[c], "size": 6, "opacity": 0.6, "line": {"width": 0},
                    "symbol": np.where(predicted[-1][idx] == c, RIGHT, WRONG).astype(np.int8)},
            hovertemplate=f"test #%{{customdata[0]}} · true {digits[c]}<br>P({digits[1]}) now %{{customdata[1]:.4f}}"
                          "<br>evidence W2·a1 %{x:.4g}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[last.boundary] * 2, y=yr, mode="lines", name="decision boundary x = −b2",
                             line={"color": BOUNDARY, "width": 2, "dash": "dash"}, hoverinfo="skip"))
    steps, fig_frames = [], []
    for it, frame, pred in zip(iterations, frames, predicted):
        layout = {}
        if fit_each:
            fx, fy = _ranges([frame])
            layout = {"xaxis": {"range": fx}, "yaxis": {"range": fy}}
        data = _frame_data(frame, labels, pred, _ranges([frame])[1] if fit_each else yr)
        fig_frames.append(go.Frame(name=str(it), data=[go.Scatter(**_unflatten(d)) for d in data],
                                   traces=[0, 1, 2], layout=layout))
        steps.append({"method": "animate", "label": str(it),
                      "args": [[str(it)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                           "transition": {"duration": 0}}]})
    fig.frames = fig_frames
    play = {"label": "▶ play", "method": "animate",
            "args": [None, {"frame": {"duration": 350, "redraw": True}, "transition": {"duration": 0},
                            "fromcurrent": False, "mode": "immediate"}]}   # from the start: the chart opens at the end
    pause = {"label": "❚❚ pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
    fig.update_layout(
        height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10}, hovermode="closest", clickmode="event+select",
        legend={"orientation": "h", "y": 1.08},
        xaxis={"title": {"text": f"evidence W2·a1 (left of the line: says {digits[0]}, right: {digits[1]})"},
               "range": xr, "zeroline": False},
        yaxis={"title": {"text": "the spread W2 ignores (1st principal component off W2)"}, "range": yr},
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0, "y": -0.16, "xanchor": "left", "yanchor": "top",
                      "showactive": False, "pad": {"r": 10, "t": 0}, "buttons": [play, pause]}],
        sliders=[{"active": len(steps) - 1, "steps": steps, "x": 0.17, "len": 0.83, "y": -0.1, "yanchor": "top",
                  "currentvalue": {"prefix": "iteration "}, "pad": {"t": 30}}])
    return fig


def _unflatten(d: dict) -> dict:
    """{"marker.symbol": v} -> {"marker": {"symbol": v}}; only the attributes a frame changes."""
    out: dict = {}
    for k, v in d.items():
        head, _, tail = k.partition(".")
        if tail:
            out.setdefault(head, {})[tail] = v
        else:
            out[k] = v
    return out
