"""Axis settings every chart shares."""

from __future__ import annotations

import numpy as np


def log_axis(title: str, values=None) -> dict:
    """A log axis labelled at each power of ten only (minor ticks unlabelled) when the values span a decade
    or more; Plotly's own labels when they do not (else the axis could have no label at all)."""
    axis = {"title": {"text": title}, "type": "log"}
    v = np.asarray(values if values is not None else [1e-3, 1], dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and np.log10(v.max() / v.min()) >= 1:
        axis.update(dtick=1, minor={"ticks": "outside"})
    return axis
