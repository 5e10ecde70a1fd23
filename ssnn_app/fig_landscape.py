"""Figures for the Landscape page: the cost along the line from start to finish, and a 2-D slice.

Pure functions of ssnn_core.landscape results (Line, Slice) returning Plotly figures.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ssnn_core.landscape import Line, Slice

from .axes import TOP_LEGEND, log_axis
from .i18n import _

LINE_COLOUR, START_COLOUR, END_COLOUR = "#1f77b4", "#7f7f7f", "#d62728"
PATH_SCALE = "Viridis"


def line_figure(ln: Line, log_y: bool = True, final_iteration: int | None = None) -> go.Figure:
    """Cost against a along theta(a) = (1 - a) theta0 + a theta1, the run's own states marked beside it."""
    fig = go.Figure(go.Scatter(x=ln.alphas, y=ln.costs, mode="lines", name=_("cost on the straight line"),
                               line={"color": LINE_COLOUR, "width": 3},
                               hovertemplate=_("a = %{x:.2f}<br>cost %{y:.4g}<extra>straight line</extra>")))
    if ln.path_iteration.size > 1 and np.isfinite(ln.path_cost).sum() > 1:   # a path, not the end alone
        fig.add_trace(go.Scatter(
            x=ln.path_alpha, y=ln.path_cost, mode="markers", name=_("where the run itself was"),
            customdata=np.stack([ln.path_iteration, 100 * ln.path_off], axis=1),
            marker={"size": 9, "color": ln.path_iteration, "colorscale": PATH_SCALE,
                    "line": {"width": 1, "color": "#fff"},
                    "colorbar": {"title": {"text": _("iteration")}, "thickness": 10, "x": 1.02}},
            hovertemplate=_("iteration %{customdata[0]}<br>projects to a = %{x:.3f}<br>cost it recorded %{y:.4g}"
                            "<br>off the line by %{customdata[1]:.0f} % of its length<extra></extra>")))
    ends = [(0.0, _("start"), START_COLOUR), (1.0, _("trained") if final_iteration is None else
                                              _("trained (iteration {n})").format(n=final_iteration), END_COLOUR)]
    end_hover = _("{name}<br>a = {a:g}<br>cost %{{y:.4g}}<extra></extra>")
    for a, name, colour in ends:
        fig.add_trace(go.Scatter(x=[a], y=[ln.cost_at(a)], mode="markers+text", text=[name], textposition="top center",
                                 marker={"size": 13, "color": colour, "symbol": "diamond"}, showlegend=False,
                                 hovertemplate=end_hover.format(name=name, a=a)))
        fig.add_vline(x=a, line={"color": colour, "width": 1, "dash": "dot"})
    fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 40, "b": 10}, hovermode="closest",
                      legend=TOP_LEGEND,
                      xaxis={"title": {"text": _("a: 0 = the initial weights, 1 = the trained ones")}},
                      yaxis=log_axis(_("training cost"), np.append(ln.costs, ln.path_cost)) if log_y
                      else {"title": {"text": _("training cost")}})
    return fig


def _log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks for a colour bar of log10 values in [lo, hi]: powers of ten, or 1-2-5 steps when fewer than
    three powers fall inside, or three evenly spaced values when even those are too few."""
    for steps in ((1,), (1, 2, 5)):
        ticks = [np.log10(m) + p for p in range(int(np.floor(lo)), int(np.ceil(hi)) + 1) for m in steps]
        ticks = [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]
        if len(ticks) >= 3:
            return ticks, [f"{10.0 ** t:.3g}" for t in ticks]
    ticks = list(np.linspace(lo, hi, 3))
    return ticks, [f"{10.0 ** t:.3g}" for t in ticks]


def slice_figure(sl: Slice, axis_titles: tuple[str, str]) -> go.Figure:
    """log10 of the cost over the plane as filled contours, the training path projected onto it."""
    z = np.log10(np.maximum(sl.costs, 1e-300))
    tickvals, ticktext = _log_ticks(float(z.min()), float(z.max()))
    fig = go.Figure(go.Contour(
        x=sl.alphas, y=sl.betas, z=z, text=np.vectorize(lambda c: f"{c:.4g}")(sl.costs), ncontours=24,
        colorscale="Viridis", contours={"coloring": "heatmap", "showlines": True},
        line={"width": 0.5, "color": "rgba(255,255,255,0.5)"},
        colorbar={"title": {"text": _("cost")}, "tickvals": tickvals, "ticktext": ticktext, "thickness": 12},
        hovertemplate=_("(%{x:.3g}, %{y:.3g})<br>cost %{text}<extra></extra>"), name=_("cost")))
    if sl.path_iteration.size > 1:                     # a path (a lone state is the centre itself)
        fig.add_trace(go.Scatter(
            x=sl.path_a, y=sl.path_b, mode="lines+markers", name=_("training path (projected)"),
            customdata=np.stack([sl.path_iteration, 100 * sl.path_off], axis=1),
            line={"color": "#ffffff", "width": 2}, marker={"size": 6, "color": "#ff7f0e"},
            hovertemplate=_("iteration %{customdata[0]}<br>%{customdata[1]:.0f} % of its offset is off this plane"
                            "<extra></extra>")))
        fig.add_trace(go.Scatter(x=sl.path_a[:1], y=sl.path_b[:1], mode="markers+text", text=[_("start")],
                                 textposition="top center", textfont={"color": "#ffffff"}, showlegend=False,
                                 marker={"size": 12, "color": START_COLOUR, "symbol": "diamond"}, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", text=[_("trained")], textposition="bottom center",
                             textfont={"color": "#ffffff"}, showlegend=False, hoverinfo="skip",
                             marker={"size": 13, "color": END_COLOUR, "symbol": "diamond"}))
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10}, legend={"orientation": "h", "y": 1.08},
                      xaxis={"title": {"text": axis_titles[0]}}, yaxis={"title": {"text": axis_titles[1]}})
    return fig
