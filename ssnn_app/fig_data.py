"""Figures and small computations for the Data page: pure functions of uint8 images, no Streamlit.

Images arrive as rows, one sample per row: x (m, 784) uint8, labels y (m,) in {0, 1}, as in PairData.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ssnn_core.scaling import Standardiser

from . import words
from .axes import TOP_LEGEND
from .i18n import _, pgettext

SIDE = 28
CLASS_COLOURS = ("#1f77b4", "#ff7f0e")
SPLIT_COLOURS = {"train": "#4c78a8", "test": "#f58518"}
BLANK_COLOUR = "#d62728"


def split_name(split: str) -> str:
    """A split ("train" or "test") as a user reads it."""
    return pgettext("data split", "train") if split == "train" else pgettext("data split", "test")


# ------------------------------------------------------------------ browsing


def page_count(n_items: int, per_page: int) -> int:
    """Pages needed to show n_items, at least 1 (an empty class still has one, empty, page)."""
    return max(1, -(-n_items // per_page))


def page_slice(n_items: int, page: int, per_page: int) -> range:
    """Positions shown on 1-based `page`; a page past the end is clamped to the last one."""
    page = min(max(1, page), page_count(n_items, per_page))
    start = (page - 1) * per_page
    return range(start, min(start + per_page, n_items))


def class_indices(y: np.ndarray, label: int) -> np.ndarray:
    """Indices (ascending) of the rows with this label; y: (m,)."""
    return np.flatnonzero(np.asarray(y) == label)


def pixel_grid(row: np.ndarray) -> np.ndarray:
    """One image row (784,) -> (28, 28) uint8, the array the article prints."""
    return np.asarray(row, dtype=np.uint8).reshape(SIDE, SIDE)


# ------------------------------------------------------------------ statistics


def class_counts(y: np.ndarray) -> tuple[int, int]:
    """How many rows have label 0 and label 1."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=2)
    return int(counts[0]), int(counts[1])


def mean_images(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(2, 28, 28) float64: the average image of label 0 and of label 1 (zeros if a class is empty)."""
    out = np.zeros((2, SIDE, SIDE))
    for label in (0, 1):
        rows = x[np.asarray(y) == label]
        if len(rows):
            out[label] = rows.mean(axis=0, dtype=np.float64).reshape(SIDE, SIDE)
    return out


def pixel_std(x: np.ndarray) -> np.ndarray:
    """(784,) float64 per-pixel standard deviation over the images x (m, 784)."""
    return np.asarray(x).std(axis=0, dtype=np.float64)


def ink_on_blank(x: np.ndarray, blank: np.ndarray) -> np.ndarray:
    """Indices of images in x (k, 784) with ink (> 0) on a pixel that is blank in all training images."""
    return np.flatnonzero((np.asarray(x)[:, blank] > 0).any(axis=1))


def value_range(values: np.ndarray) -> tuple[float, float]:
    return float(np.min(values)), float(np.max(values))


@dataclass(frozen=True)
class DataStats:
    """What the Data page shows about a digit pair, computed once per dataset.

    means: (2, 28, 28); std, blank: (784,); scalers: {"safe": Standardiser, "seed": Standardiser};
    ink_test: test indices with ink on a pixel blank in every training image."""

    train_counts: tuple[int, int]
    test_counts: tuple[int, int]
    means: np.ndarray
    std: np.ndarray
    blank: np.ndarray
    scalers: dict
    ink_test: np.ndarray


def summarise(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
              scalers: dict) -> DataStats:
    """x_*: (m, 784) uint8 rows, y_*: (m,) labels in {0, 1}; scalers: {"safe": ..., "seed": ...} fitted
    on x_train (their `blank` is the pixels never inked in training)."""
    blank = scalers["safe"].blank
    return DataStats(class_counts(y_train), class_counts(y_test), mean_images(x_train, y_train),
                     pixel_std(x_train), blank, dict(scalers), ink_on_blank(x_test, blank))


def standardised(scaler: Standardiser, row: np.ndarray) -> np.ndarray:
    """One raw image (784,) -> (784,) float64 as the network sees it with this scaler."""
    return scaler.transform(np.asarray(row).reshape(1, -1), np.float64)[:, 0]


# The pixel table's geometry (CSS px). A 1400 px window with the sidebar open leaves ~940 px for the page, so
# the table cannot sit beside the picture at full size: it takes its own width, and the page lets it wrap below.
CELL_PX = 28            # one pixel's column: "255" fits
INDEX_PX = 30           # the row numbers 0-27 (Streamlit's default index column is ~50 px)
ROW_PX = 35             # Streamlit's default row height; the header row is as tall
BORDER_PX = 1           # the table's frame, on each side


def pixel_table_size(side: int = SIDE) -> tuple[int, int]:
    """(width, height) in CSS px that show a side x side pixel table whole: header row, row numbers and frame
    included, so neither a column nor the last row ends up behind a scroll bar."""
    return INDEX_PX + side * CELL_PX + 2 * BORDER_PX, (side + 1) * ROW_PX + 2 * BORDER_PX


def pixel_table_columns(side: int = SIDE) -> dict:
    """`column_config` for st.dataframe: every pixel column CELL_PX wide, the row numbers INDEX_PX."""
    return {"_index": {"width": INDEX_PX}, **{str(c): {"width": CELL_PX} for c in range(side)}}


def pixel_table(pixels: np.ndarray):
    """(28, 28) uint8 -> a pandas Styler: the 0-255 values, each cell shaded by its own value
    (0 black, 255 white, like the picture), so the digit shows through the numbers."""
    df = pd.DataFrame(np.asarray(pixels, dtype=np.int64), columns=[str(c) for c in range(pixels.shape[1])])

    def shade(v: int) -> str:
        return f"background-color: rgb({v},{v},{v}); color: {'black' if v > 127 else '#bbbbbb'}"

    return df.style.map(shade)


# ------------------------------------------------------------------ figures


def balance_figure(train: tuple[int, int], test: tuple[int, int], digits: tuple) -> go.Figure:
    """Grouped bars: images per class in the training and test sets, with the counts written on.
    digits: the two classes' names ('0', '1'; 'T-shirt/top', 'Trouser'), or the digits themselves."""
    names = [words.class_label(d) for d in digits]
    fig = go.Figure()
    for split, counts in (("train", train), ("test", test)):
        fig.add_trace(go.Bar(x=names, y=list(counts), name=split_name(split), text=[f"{c:,}" for c in counts],
                             textposition="outside", marker_color=SPLIT_COLOURS[split]))
    top = max(max(train), max(test), 1)
    fig.update_layout(barmode="group", height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      yaxis={"title": _("images"), "range": [0, top * 1.15]},
                      legend=TOP_LEGEND)
    return fig


def mean_images_figure(means: np.ndarray, digits: tuple) -> go.Figure:
    """The (2, 28, 28) class means side by side, on one 0-255 grey scale; digits: the classes' names."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[_("average {digit}").format(digit=d) for d in digits],
                        horizontal_spacing=0.04)
    for col in (1, 2):
        fig.add_trace(go.Heatmap(z=means[col - 1], zmin=0, zmax=255, coloraxis="coloraxis",
                                 hovertemplate=_("row %{y}, col %{x}: %{z:.1f}") + "<extra></extra>"),
                      row=1, col=col)
    fig.update_layout(coloraxis={"colorscale": "gray", "cmin": 0, "cmax": 255,
                                 "colorbar": {"title": {"text": _("mean")}}},
                      height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    for i in (1, 2):
        fig.update_xaxes(visible=False, constrain="domain", row=1, col=i)
        fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=f"x{'' if i == 1 else i}",
                         row=1, col=i)
    return fig


def std_figure(std: np.ndarray, blank: np.ndarray) -> go.Figure:
    """Per-pixel standard deviation (784,) as a 28x28 map, with the always-blank pixels painted red."""
    fig = go.Figure(go.Heatmap(z=std.reshape(SIDE, SIDE), colorscale="Viridis", name=_("std"),
                               colorbar={"title": {"text": _("std")}},
                               hovertemplate=_("row %{y}, col %{x}: std %{z:.1f}") + "<extra></extra>"))
    mask = np.where(blank.reshape(SIDE, SIDE), 1.0, np.nan)
    fig.add_trace(go.Heatmap(z=mask, colorscale=[[0, BLANK_COLOUR], [1, BLANK_COLOUR]], showscale=False,
                             name=_("blank"),
                             hovertemplate=_("row %{y}, col %{x}: blank in every training image") + "<extra></extra>"))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      title={"text": _("std per pixel · red: blank in every training image ({n})").format(
                          n=int(blank.sum())),
                             "font": {"size": 13}})
    return fig


def digit_heatmap(values: np.ndarray, title: str, marks: np.ndarray | None = None,
                  diverging: bool = True, clip: float | None = None) -> go.Figure:
    """One image (784,) or (28, 28) as a heatmap with its true value range in the title.
    diverging: colour scale centred at 0 (for standardised values); clip: colours saturate at ±clip, so one
    huge value cannot wash out the rest (hover still shows the true value). marks: pixel indices ringed in red."""
    z = np.asarray(values, dtype=np.float64).reshape(SIDE, SIDE)
    lo, hi = value_range(z)
    if not diverging:
        style = {"colorscale": "gray", "zmin": 0, "zmax": 255}
    elif clip:
        style = {"colorscale": "RdBu_r", "zmin": -clip, "zmax": clip}
    else:
        style = {"colorscale": "RdBu_r", "zmid": 0.0}
    fig = go.Figure(go.Heatmap(z=z, hovertemplate=_("row %{y}, col %{x}: %{z:.4g}") + "<extra></extra>", **style))
    if marks is not None and len(marks):
        rows, cols = np.divmod(np.asarray(marks), SIDE)
        ink = _("ink on a blank pixel")
        fig.add_trace(go.Scatter(x=cols, y=rows, mode="markers", name=ink,
                                 marker={"symbol": "circle-open", "size": 14, "color": BLANK_COLOUR,
                                         "line": {"width": 2}},
                                 hovertemplate=ink + "<extra></extra>"))
    fig.update_xaxes(visible=False, constrain="domain", range=[-0.5, 27.5])
    fig.update_yaxes(visible=False, range=[27.5, -0.5], scaleanchor="x")
    if clip and diverging:
        text = _("{title}<br><sup>min {lo:.4g} · max {hi:.4g} · colours clipped at ±{clip:g}</sup>").format(
            title=title, lo=lo, hi=hi, clip=clip)
    else:
        text = _("{title}<br><sup>min {lo:.4g} · max {hi:.4g}</sup>").format(title=title, lo=lo, hi=hi)
    fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 50, "b": 10}, showlegend=False,
                      title={"text": text, "font": {"size": 14}})
    return fig
