"""Figures for the Train page: pure functions of a History (or summaries), returning Plotly figures."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ssnn_core.trainer import History

TRAIN_COLOUR, TEST_COLOUR, ACC_COLOUR = "#1f77b4", "#ff7f0e", "#2ca02c"


def cost_figure(h: History, log_y: bool = False, target: int | None = None) -> go.Figure:
    """Train cost every iteration, test cost and test accuracy (right axis) where they were measured.

    Built from plain dicts (no make_subplots): it is redrawn ~3 times a second while training.
    """
    x_max = max(target or 0, h.iteration[-1] if h.iteration else 1)
    data = [
        {"type": "scatter", "x": h.iteration, "y": h.train_cost, "name": "train cost", "mode": "lines",
         "line": {"color": TRAIN_COLOUR}},
        {"type": "scatter", "x": h.eval_iteration, "y": h.test_cost, "name": "test cost", "mode": "lines+markers",
         "marker": {"size": 4}, "line": {"color": TEST_COLOUR, "dash": "dot"}},
        {"type": "scatter", "x": h.eval_iteration, "y": [100 * a for a in h.test_accuracy], "yaxis": "y2",
         "name": "test accuracy %", "mode": "lines", "line": {"color": ACC_COLOUR}},
    ]
    layout = {
        "height": 380, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "uirevision": "cost",
        "legend": {"orientation": "h", "y": 1.12}, "hovermode": "x unified",
        "xaxis": {"title": {"text": "iteration"}, "range": [0, x_max]},
        "yaxis": {"title": {"text": "cost (cross-entropy)"}, "type": "log" if log_y else "linear"},
        "yaxis2": {"title": {"text": "test accuracy %"}, "overlaying": "y", "side": "right", "range": [0, 100.5],
                   "tickmode": "linear", "tick0": 0, "dtick": 20, "showgrid": False},
    }
    return go.Figure({"data": data, "layout": layout})


def compare_figure(runs: list[dict], log_y: bool = True) -> go.Figure:
    """Finished runs overlaid: one train-cost line each, labelled by its settings."""
    fig = go.Figure()
    for r in runs:
        fig.add_trace(go.Scatter(x=r["iteration"], y=r["train_cost"], name=r["label"], mode="lines"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="iteration",
                      yaxis_title="train cost", yaxis_type="log" if log_y else "linear",
                      legend={"orientation": "h", "y": -0.25})
    return fig


def confusion_figure(confusion: np.ndarray, digits: tuple[int, int]) -> go.Figure:
    """(2, 2) counts, rows = true digit, columns = predicted digit."""
    names = [str(d) for d in digits]
    fig = go.Figure(go.Heatmap(z=confusion, x=[f"predicted {n}" for n in names], y=[f"true {n}" for n in names],
                               text=confusion, texttemplate="%{text}", colorscale="Blues", showscale=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig
