"""Figures for the Mistakes page: which test digits are wrong, and why one of them is.

Pure functions of NumPy arrays (an Evaluation or an Explanation from ssnn_core.inspect) returning
orderings or Plotly figures. proba: (m,) P(digit B); labels: (m,) in {0, 1}; images 28x28 uint8.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go

from .fig_weights import DIVERGING, NEGATIVE, POSITIVE
from .i18n import N_, _

GALLERY_CAP = 60      # images shown at once; the rest are counted, not drawn
TOP_CONTRIBUTIONS = 15
SORTS = {"confident": N_("most confidently wrong first"), "unsure": N_("least confident first"),
         "index": N_("test index")}   # shown with _()


def gallery_order(indices: np.ndarray, proba: np.ndarray, labels: np.ndarray, sort: str = "confident",
                  true_class: int | None = None) -> np.ndarray:
    """Test indices to show, filtered by true label (None = all) and sorted by |P - 0.5|."""
    idx = np.asarray(indices, dtype=np.int64)
    if true_class is not None:
        idx = idx[np.asarray(labels)[idx] == true_class]
    if sort == "index":
        return np.sort(idx)
    confidence = np.abs(np.asarray(proba, dtype=np.float64)[idx] - 0.5)
    if sort == "confident":
        return idx[np.argsort(-confidence, kind="stable")]
    if sort == "unsure":
        return idx[np.argsort(confidence, kind="stable")]
    raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")


def waterfall_parts(contributions: np.ndarray, b2: float, top: int = TOP_CONTRIBUTIONS) -> tuple[list, list]:
    """(names, values): the `top` largest non-zero W2[j]*A1[j], the other non-zero ones summed, then b2.
    Silent neurons (A1 = 0) add nothing and are left out. The values sum to z2."""
    c = np.asarray(contributions, dtype=np.float64)
    order = np.argsort(-np.abs(c), kind="stable")
    order = order[c[order] != 0]
    shown, rest = order[:top], order[top:]
    names = [_("neuron {j}").format(j=j) for j in shown]
    values = [float(c[j]) for j in shown]
    if rest.size:
        names.append(_("{n} other neurons").format(n=rest.size))
        values.append(float(c[rest].sum()))
    names.append(_("bias b2"))
    values.append(float(b2))
    return names, values


def waterfall_figure(contributions: np.ndarray, b2: float, z2: float, digits: tuple[int, int],
                     top: int = TOP_CONTRIBUTIONS, narrow: bool = False) -> go.Figure:
    """How the logit z2 is built: each neuron's vote W2[j]*A1[j] (largest first), the others, b2, then z2.
    narrow: a phone's width: the title on two lines (broken at its comma), so that none of it is cut off."""
    names, values = waterfall_parts(contributions, b2, top)
    fig = go.Figure(go.Waterfall(
        x=names + [_("z2 (logit)")], y=values + [z2], measure=["relative"] * len(values) + ["total"],
        orientation="v", increasing={"marker": {"color": POSITIVE}}, decreasing={"marker": {"color": NEGATIVE}},
        totals={"marker": {"color": "#444444"}}, connector={"line": {"color": "#bbbbbb", "width": 1}},
        hovertemplate="%{x}: %{y:+.4g}<extra></extra>"))
    fig.add_hline(y=0, line={"color": "#888888", "width": 1})
    title = _("votes for {digit_b} (up) and for {digit_a} (down), summing to "
              "z2 = {z2:+.4g}").format(digit_b=digits[1], digit_a=digits[0], z2=z2)
    if narrow:
        title = re.sub(r"[,，]\s*", "<br>", title, count=1)
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 60 if narrow else 40, "b": 10}, showlegend=False,
                      title={"text": title, "font": {"size": 14}},
                      yaxis_title=_("contribution to z2"))
    return fig


def gradient_figure(gradient: np.ndarray, height: int = 300) -> go.Figure:
    """dz2/dx as a 28x28 map: red pixels, made darker, push towards digit B; blue ones towards digit A."""
    g = np.asarray(gradient, dtype=np.float64).reshape(28, 28)
    limit = float(np.abs(g).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=g, zmid=0, zmin=-limit, zmax=limit, colorscale=DIVERGING, colorbar={"thickness": 10},
                               hovertemplate=_("pixel (%{y}, %{x})<br>dz2/dx %{z:.4g}<extra></extra>")))
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 30, "b": 0},
                      title={"text": _("input gradient dz2/dx"), "font": {"size": 14}},
                      xaxis={"visible": False, "constrain": "domain"},
                      yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
    return fig


def digit_figure(pixels: np.ndarray, marked: np.ndarray | None = None, height: int = 300,
                 title: str | None = None) -> go.Figure:
    """The 28x28 image (ink dark), with the pixels in `marked` (flat indices) circled in orange.
    title: None = 'the digit'."""
    title = _("the digit") if title is None else title
    p = np.asarray(pixels).reshape(28, 28)
    fig = go.Figure(go.Heatmap(z=p, colorscale="Greys", zmin=0, zmax=255, showscale=False,
                               hovertemplate=_("pixel (%{y}, %{x})<br>ink %{z}<extra></extra>")))
    if marked is not None and len(marked):
        r, c = np.divmod(np.asarray(marked), 28)
        fig.add_trace(go.Scatter(x=c, y=r, mode="markers", showlegend=False,
                                 marker={"symbol": "square-open", "size": 11, "color": "#ff7f0e", "line": {"width": 2}},
                                 hovertemplate=_("pixel (%{y}, %{x})<br>blank in every training image<extra></extra>")))
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 30, "b": 0},
                      title={"text": title, "font": {"size": 14}},
                      xaxis={"visible": False, "constrain": "domain", "range": [-0.5, 27.5]},
                      yaxis={"visible": False, "range": [27.5, -0.5], "scaleanchor": "x"})
    return fig
