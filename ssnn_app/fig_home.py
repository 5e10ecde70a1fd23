"""The network drawn for the current settings: 784 inputs -> n1 ReLU neurons -> 1 logistic output."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ssnn_core.network import n_params

from .i18n import _

SHOWN_INPUTS = 12
SHOWN_HIDDEN = 12


def network_figure(n1: int) -> go.Figure:
    """Layers as columns of nodes; large layers are drawn with a gap and '...', edges faint."""
    # (size, nodes drawn, column title, a node's hover label with its number {i})
    layers = [(784, SHOWN_INPUTS, _("input x · 784 pixels"), _("input x {i}")),
              (n1, min(n1, SHOWN_HIDDEN), _("hidden · {n1} ReLU").format(n1=n1), _("hidden {i}")),
              (1, 1, _("output · logistic"), _("output {i}"))]
    xs, ys, labels, edges_x, edges_y = [], [], [], [], []
    positions = []
    for col, (size, shown, _title, node) in enumerate(layers):
        y = np.linspace(1, 0, shown) if shown > 1 else np.array([0.5])
        positions.append([(col, float(v)) for v in y])
        for i, v in enumerate(y):
            xs.append(col)
            ys.append(float(v))
            labels.append(node.format(i=i + 1 if shown == size or i < shown - 1 else size))
    for a, b in zip(positions, positions[1:]):
        for (x0, y0) in a:
            for (x1, y1) in b:
                edges_x += [x0, x1, None]
                edges_y += [y0, y1, None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=edges_x, y=edges_y, mode="lines", line={"width": 0.5, "color": "#bbbbbb"},
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", text=labels, hoverinfo="text", showlegend=False,
                             marker={"size": 14, "color": ["#6baed6"] * SHOWN_INPUTS
                                     + ["#fd8d3c"] * (len(xs) - SHOWN_INPUTS - 1) + ["#31a354"]}))
    notes = ["X: (784, m)", f"W1: ({n1}, 784)  b1: ({n1}, 1)<br>A1: ({n1}, m)",
             f"W2: (1, {n1})  b2: (1, 1)<br>A2: (1, m)"]
    for col, (_size, _shown, title, _node) in enumerate(layers):
        fig.add_annotation(x=col, y=1.16, text=f"<b>{title}</b>", showarrow=False)
        fig.add_annotation(x=col, y=-0.16, text=notes[col], showarrow=False, font={"size": 11})
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"visible": False, "range": [-0.4, 2.4]}, yaxis={"visible": False, "range": [-0.3, 1.28]},
                      title={"text": _("{n:,} trainable numbers").format(n=n_params(n1)), "x": 0.5, "y": 0.02,
                             "font": {"size": 13}})
    return fig
