"""The class board's chart: every ended run's test error against its learning rate, coloured by n1.

Pure: built from board.Entry values.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .axes import TOP_LEGEND
from .i18n import _, pgettext


def board_figure(entries: list) -> go.Figure:
    """Test error % (y) against the learning rate (x, log), one dot per run, colour = hidden neurons n1;
    diverged runs are crosses at the top (they have no final error worth the name)."""
    done = [e for e in entries if e.status == "done" and e.test_error is not None]
    lost = [e for e in entries if e.status != "done" or e.test_error is None]
    fig = go.Figure()
    if done:
        fig.add_trace(go.Scatter(
            x=[e.learning_rate for e in done], y=[100 * e.test_error for e in done], mode="markers",
            name=pgettext("class board: a run trained to the end", "trained"),
            marker={"size": 12, "color": [e.hyper.hidden for e in done], "colorscale": "Viridis", "cmin": 10,
                    "cmax": max(30, max(e.hyper.hidden for e in done)), "line": {"width": 1, "color": "#fff"},
                    "colorbar": {"title": {"text": "n1"}, "thickness": 12}},
            customdata=np.array([[e.hyper.hidden, e.iterations, e.hyper.seed, e.pair()] for e in done], dtype=object),
            hovertemplate=_("learning rate %{x:g} · n1 %{customdata[0]}<br>%{customdata[1]} iterations, seed "
                            "%{customdata[2]}, %{customdata[3]}<br>test error %{y:.3f} %<extra></extra>")))
    if lost:
        top = max([100 * e.test_error for e in done] or [1.0]) * 1.15 or 1.0
        fig.add_trace(go.Scatter(
            x=[e.learning_rate for e in lost], y=[top] * len(lost), mode="markers", name=_("diverged"),
            marker={"size": 12, "symbol": "x", "color": "#d62728"},
            customdata=[[e.hyper.hidden, e.iterations] for e in lost],
            hovertemplate=_("learning rate %{x:g} · n1 %{customdata[0]}<br>diverged at iteration "
                            "%{customdata[1]}<extra></extra>")))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend=TOP_LEGEND,
                      xaxis={"title": {"text": _("learning rate")}, "type": "log", "dtick": 1},
                      yaxis={"title": {"text": _("test error %")}, "rangemode": "tozero"})
    return fig
