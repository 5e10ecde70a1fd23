"""Axis settings every chart shares."""

from __future__ import annotations

import numpy as np

# A legend in one row above the plot, left-aligned. Anchored by its bottom, so that on a narrow screen, where
# its entries wrap to several rows, it grows upwards into the top margin (which Plotly widens for it) rather
# than down over the plot; left, away from the toolbar at the top right.
TOP_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}


def log_axis(title: str, values=None) -> dict:
    """A log axis labelled at each power of ten only (minor ticks unlabelled) when the values span a decade
    or more; Plotly's own labels when they do not (else the axis could have no label at all)."""
    axis = {"title": {"text": title}, "type": "log"}
    v = np.asarray(values if values is not None else [1e-3, 1], dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and np.log10(v.max() / v.min()) >= 1:
        axis.update(dtick=1, minor={"ticks": "outside"})
    return axis
