"""The "flip it" figure: an image, the change that flips the network's answer, and the changed image.

Pure: built from an ssnn_core.flip.Flip (pixels in 0..255, flat (784,)).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .fig_weights import DIVERGING
from .i18n import _, ngettext


def flip_figure(f, digits: tuple[int, int], height: int = 300) -> go.Figure:
    """Three panels: the original, the change (red: ink added, blue: ink taken away), the result."""
    said = [digits[f.label_before], digits[f.label_after]]
    titles = (_("original: says {said} (P({d1}) {p:.3f})").format(said=said[0], d1=digits[1], p=f.proba_before),
              ngettext("change: {n} pixel, L2 {l2:.3g}", "change: {n} pixels, L2 {l2:.3g}", f.n_pixels).format(
                  n=f.n_pixels, l2=f.l2),
              _("result: says {said} (P({d1}) {p:.3f})").format(said=said[1], d1=digits[1], p=f.proba_after))
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04)
    grey = {"colorscale": "Greys", "zmin": 0, "zmax": 255, "showscale": False}
    change = np.asarray(f.change, dtype=np.float64).reshape(28, 28)
    limit = float(np.abs(change).max()) or 1.0
    fig.add_trace(go.Heatmap(z=np.asarray(f.original).reshape(28, 28), **grey,
                             hovertemplate=_("pixel (%{y}, %{x})<br>ink %{z:.0f}<extra></extra>")), 1, 1)
    fig.add_trace(go.Heatmap(z=change, zmid=0, zmin=-limit, zmax=limit, colorscale=DIVERGING, showscale=False,
                             hovertemplate=_("pixel (%{y}, %{x})<br>change %{z:+.3g}<extra></extra>")), 1, 2)
    fig.add_trace(go.Heatmap(z=np.asarray(f.result).reshape(28, 28), **grey,
                             hovertemplate=_("pixel (%{y}, %{x})<br>ink %{z:.1f}<extra></extra>")), 1, 3)
    if f.n_pixels <= 12:                                    # a few pixels: circle them, or they are invisible
        r, c = np.divmod(np.asarray(f.changed), 28)
        for col in (2, 3):
            fig.add_trace(go.Scatter(x=c, y=r, mode="markers", showlegend=False, hoverinfo="skip",
                                     marker={"symbol": "circle-open", "size": 14, "color": "#ff7f0e",
                                             "line": {"width": 2}}), 1, col)
    for i in range(1, 4):
        fig.update_xaxes(visible=False, range=[-0.5, 27.5], constrain="domain", row=1, col=i)
        fig.update_yaxes(visible=False, range=[27.5, -0.5], scaleanchor=f"x{'' if i == 1 else i}", row=1, col=i)
    fig.update_annotations(font={"size": 13})
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    return fig
