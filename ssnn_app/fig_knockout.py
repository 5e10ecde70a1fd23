"""Figures for the Knock out page: each neuron's importance, and the confusion matrix of an edited model.

Pure functions of ssnn_core.knockout results returning Plotly figures.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ssnn_core.knockout import Importance

from .fig_weights import NEGATIVE, POSITIVE
from .i18n import _

IMPORTANCE_BARS = 40      # bars drawn at most (the most important neurons); the rest are summarised


def importance_figure(imp: Importance, W2: np.ndarray, digits: tuple[int, int], off=()) -> go.Figure:
    """The test cost with each neuron knocked out alone (bars, labelled with the test error it gives), the
    most important first, coloured by the digit the neuron votes for; dashed: with every neuron on.
    Knocked-out neurons are outlined. customdata = (neuron, error rate)."""
    order = imp.order()[:IMPORTANCE_BARS]
    w2 = np.asarray(W2, dtype=np.float64).reshape(-1)
    off = set(int(j) for j in off)
    fig = go.Figure(go.Bar(
        x=[f"#{j}" for j in order], y=imp.cost[order],
        customdata=np.stack([order, 100 * imp.error_rate[order]], axis=1),
        text=[f"{100 * imp.error_rate[j]:.2f} %" for j in order], textposition="outside", cliponaxis=False,
        marker={"color": [POSITIVE if w2[j] > 0 else NEGATIVE for j in order],
                "line": {"color": ["#ff9f1c" if j in off else "rgba(0,0,0,0)" for j in order], "width": 3}},
        hovertemplate=_("without neuron %{customdata[0]}<br>test cost %{y:.4g}<br>test error %{customdata[1]:.3f} %"
                        "<br>click to look at it<extra></extra>")))
    fig.add_hline(y=imp.base_cost, line={"color": "#444", "dash": "dash"})
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False,
                      title={"text": _("dashed: every neuron on (test cost {cost:.4g}, error {error:.2f} %)").format(
                          cost=imp.base_cost, error=100 * imp.base_error_rate), "font": {"size": 13}},
                      clickmode="event+select", dragmode=False,
                      xaxis={"title": {"text": _("neuron knocked out alone (red votes {d1}, blue {d0}); "
                                                 "the label is the test error without it").format(
                          d1=digits[1], d0=digits[0])}, "type": "category"},
                      yaxis={"title": {"text": _("test cost without it")}, "rangemode": "tozero"})
    return fig
