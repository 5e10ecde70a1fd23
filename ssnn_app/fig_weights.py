"""Figures for the Weights page: the hidden neurons' weights as one tiled heatmap, and a neuron up close.

Pure functions of NumPy arrays returning Plotly figures, plus the few sums they need
(which neurons never fire, one neuron's activations). Shapes as in ssnn_core.network:
W1 (n1, 784), b1 (n1, 1), W2 (1, n1); x_rows (m, 784) uint8 images, one per row.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.colors import diverging

from ssnn_core.network import hidden

from . import words
from .axes import TOP_LEGEND, log_axis
from .i18n import N_, _

TILE = 28          # a neuron's 784 weights drawn as a 28x28 tile
HGAP = 2           # empty (NaN) columns between tiles
VGAP = 7           # empty rows above each tile: room for its label
DIVERGING = diverging.RdBu_r        # blue = negative, white = 0, red = positive
POSITIVE, NEGATIVE, DEAD = "#b2182b", "#2166ac", "#7f7f7f"
FIG_WIDTH = 900    # px: the tiles are laid out for this width (the Weights page draws them exactly at it)
COLOURBAR_PX = 90  # px right of the tiles: the colour bar, its ticks and title
COLOURBAR_BELOW_PX = 56   # px below the tiles for a horizontal colour bar (a narrow screen's layout)
PHONE_TILE_PX = 60        # on a narrow screen, up to MANY neurons: tiles at least this wide
MANY = 40          # more neurons than this: labels show W2 only, and hovering or clicking anywhere on a tile works
MANY_COLS = 17     # columns of tiles for many neurons: '+0.00053' fits above a tile (44 px wide) at LABEL_MIN_PX
LABEL_PX = 12      # the labels' font size
LABEL_MIN_PX = 10  # no label is drawn smaller: below it the labels are on hover only
CLIP = 0.995       # one colour scale ends at this quantile of |weight|: only the strongest 0.5 % saturate
SORTS = {"index": N_("neuron index"), "abs": N_("|output weight| (strongest first)"),   # shown with _()
         "signed": N_("output weight (votes B … votes A)")}


def sort_name(key: str, names: tuple = ("0", "1")) -> str:
    """A SORTS option as shown: for classes other than digits the signed order names them
    ('output weight (votes Trouser … votes T-shirt/top)')."""
    if key == "signed" and not words.digit_names(names):
        return _("output weight (votes {b} … votes {a})").format(a=names[0], b=names[1])
    return _(SORTS[key])


def grid_shape(n: int, cols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of tiles for n neurons: wider than tall, 5 columns for 10 neurons; for more than MANY,
    MANY_COLS columns, so that each tile is wide enough for its label (18 rows of 17 for 300)."""
    if cols is None:
        cols = min(n, max(5, math.ceil(math.sqrt(2 * n)))) if n <= MANY else MANY_COLS
    return math.ceil(n / cols), cols


def colour_limit(values: np.ndarray) -> float:
    """Where one colour scale for all these weights ends: the CLIP quantile of |w| (a few extreme weights
    would otherwise leave every other tile pale), never 0."""
    a = np.abs(np.asarray(values, dtype=np.float64))
    a = a[np.isfinite(a)]
    if a.size == 0:
        return 1.0
    return float(np.quantile(a, CLIP)) or float(a.max()) or 1.0


def narrow_cols(n: int, width: int) -> int:
    """Columns of tiles for a figure `width` px wide on a narrow screen, its colour bar below: as many as the
    wide layout's, but no tile narrower than PHONE_TILE_PX, or than its label needs beyond MANY neurons
    (the width MANY_COLS gives each tile on a wide screen): 5 for 10 neurons at 358 px, 7 for 300."""
    _, wide = grid_shape(n)
    tile_px = PHONE_TILE_PX if n <= MANY else (FIG_WIDTH - COLOURBAR_PX) / MANY_COLS - HGAP
    return max(1, min(wide, n, int((width + HGAP) // (tile_px + HGAP))))


def px_per_cell(n: int, cols: int | None = None, width: int | None = None, colourbar_below: bool = False) -> float:
    """Screen pixels per weight when the tiles of n neurons fill a figure `width` px wide (beside the colour bar,
    or above it)."""
    _, cols = grid_shape(n, cols)
    room = (width or FIG_WIDTH) - (0 if colourbar_below else COLOURBAR_PX)
    return max(1.0, room / (cols * (TILE + HGAP) - HGAP))


def neuron_order(W2: np.ndarray, by: str = "index") -> np.ndarray:
    """Neuron indices in display order. W2: (1, n1). by: index | abs (largest |W2| first) | signed (largest first)."""
    w = np.asarray(W2, dtype=np.float64).reshape(-1)
    if by == "index":
        return np.arange(w.size)
    if by == "abs":
        return np.argsort(-np.abs(w), kind="stable")
    if by == "signed":
        return np.argsort(-w, kind="stable")
    raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {by!r}")


def tile_values(W1: np.ndarray, per_neuron: bool) -> np.ndarray:
    """(n1, 784) values to draw: the weights, or each row divided by its max |w| (then all in [-1, 1])."""
    w = np.asarray(W1, dtype=np.float64)
    if not per_neuron:
        return w
    peak = np.abs(w).max(axis=1, keepdims=True)                          # (n1, 1)
    return w / np.where(peak > 0, peak, 1.0)


_EM = {".": 0.26, "-": 0.32, "+": 0.572, " ": 0.26, "·": 0.26, "#": 0.572}   # widths in Plotly's font (Open Sans)


def text_em(text: str) -> float:
    """About how wide `text` is drawn, in em (a digit is 0.572 em in Open Sans, Plotly's font)."""
    return sum(_EM.get(c, 0.572 if c.isdigit() else 0.6) for c in text)


def tile_origin(slot: int, cols: int) -> tuple[int, int]:
    """Top-left (row, col) in the tiled image of the tile drawn in position `slot`."""
    r, c = divmod(slot, cols)
    return r * (TILE + VGAP) + VGAP, c * (TILE + HGAP)


def tile_image(values: np.ndarray, order: np.ndarray, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """One 2-D image holding every tile, NaN between tiles, and per cell (neuron, pixel row, pixel col).

    values: (n1, 784); order: neuron shown in each slot. Returns image (H, W) float32 and
    where (H, W, 3) uint16 (meaningful only where image is not NaN), for hover text.
    """
    n = len(order)
    rows, cols = grid_shape(n, cols)
    H, W = rows * (TILE + VGAP), cols * (TILE + HGAP) - HGAP
    image = np.full((H, W), np.nan, dtype=np.float32)
    where = np.zeros((H, W, 3), dtype=np.uint16)
    pix_r, pix_c = np.divmod(np.arange(TILE * TILE), TILE)
    for slot, j in enumerate(order):
        y0, x0 = tile_origin(slot, cols)
        image[y0:y0 + TILE, x0:x0 + TILE] = values[j].reshape(TILE, TILE)
        where[y0:y0 + TILE, x0:x0 + TILE, 0] = j
        where[y0:y0 + TILE, x0:x0 + TILE, 1] = pix_r.reshape(TILE, TILE)
        where[y0:y0 + TILE, x0:x0 + TILE, 2] = pix_c.reshape(TILE, TILE)
    return image, where


def _label(j: int, w2: float, dead: bool, short: bool) -> str:
    """A tile's label: '#3 · +0.53' ('+0.0053' alone for many neurons; their dead tiles are crossed out)."""
    if short:
        return words.weight(w2)
    text = f"#{j} · {words.weight(w2)}"
    return _("{label} ✕dead").format(label=text) if dead else text


def tiles_figure(W1: np.ndarray, W2: np.ndarray, order: np.ndarray | None = None, per_neuron: bool = False,
                 dead: np.ndarray | None = None, digits: tuple[int, int] = (0, 1), cols: int | None = None,
                 selected: int | None = None, ids: np.ndarray | None = None,
                 height: int | None = None, width: int | None = None, limit: float | None = None,
                 colourbar_below: bool = False) -> go.Figure:
    """Every neuron's weights as a 28x28 tile in one heatmap, each labelled with its output weight W2[j].

    Trace 0 is the heatmap; trace 1 holds one clickable label per tile (customdata = neuron index).
    Dead neurons (dead: (n1,) bool) are greyed out and crossed. ids: the neuron numbers of W1's rows when
    they are a few neurons of a larger network (default: 0..n1-1).
    Sized to its tiles: laid out for `width` px (drawn at exactly that width with st.plotly_chart(width="content");
    default: FIG_WIDTH, the figure then stretches to its container), `height` px from the tiles unless given.
    One colour scale for all tiles ends at `limit` (default: colour_limit of these weights; give one limit to
    several figures, the frames of a replay, to make them comparable); per_neuron: each tile in [-1, 1].
    colourbar_below: the colour bar lies under the tiles, which then take the whole width (a phone's layout,
    with cols from narrow_cols).
    Up to MANY neurons, each weight has its own hover text; for more (light to send and draw: no per-pixel
    data), a tile's label is its W2 alone and hovering anywhere on the tile tells which neuron it is.
    """
    w2 = np.asarray(W2, dtype=np.float64).reshape(-1)
    n = w2.size
    ids = np.arange(n) if ids is None else np.asarray(ids)
    order = np.arange(n) if order is None else np.asarray(order)
    dead = np.zeros(n, bool) if dead is None else np.asarray(dead, bool)
    rows, cols = grid_shape(n, cols)
    many = n > MANY
    k = px_per_cell(n, cols, width, colourbar_below)        # screen px per weight
    values = tile_values(W1, per_neuron)
    image, where = tile_image(values, order, cols)
    if per_neuron:
        limit = 1.0
    elif limit is None:
        limit = colour_limit(values)
    if per_neuron:
        what = _("weight ÷ neuron's max |w|")
        hover = _("neuron %{customdata[0]} · pixel (%{customdata[1]}, %{customdata[2]})<br>"
                  "weight ÷ neuron's max |w| %{z:.4f}")
    else:
        what = _("weight")
        hover = _("neuron %{customdata[0]} · pixel (%{customdata[1]}, %{customdata[2]})<br>weight %{z:.4f}")
    if colourbar_below:
        colourbar = {"title": {"text": what, "side": "top"}, "thickness": 10, "orientation": "h", "x": 0.5,
                     "xanchor": "center", "y": 0, "yanchor": "top", "ypad": 6, "len": 1.0, "lenmode": "fraction"}
    else:
        colourbar = {"title": {"text": what, "side": "right"}, "thickness": 12, "x": 1.0, "xanchor": "left",
                     "xpad": 8, "len": 1.0 if rows > 1 else 1.1}
    heat = {"z": image, "zmid": 0, "zmin": -limit, "zmax": limit, "colorscale": DIVERGING, "hoverongaps": False,
            "colorbar": colourbar}
    if many:                                                 # hover and click go to the tile (trace 1)
        heat["hoverinfo"] = "skip"
    else:
        where[..., 0] = ids[where[..., 0]]
        heat.update(customdata=where, hovertemplate=hover + "<extra></extra>")
    fig = go.Figure(go.Heatmap(**heat))
    slots = np.arange(n)
    y0, x0 = np.divmod(slots, cols)
    room = TILE * k - 2                                      # px a label may take: its tile's width
    labels = [_label(int(ids[j]), w2[j], bool(dead[j]), many) for j in order]
    font = int(min(LABEL_PX, VGAP * k, max(LABEL_MIN_PX, min((room / max(text_em(t), 1e-9) for t in labels),
                                                                 default=LABEL_PX))))
    short = [_label(int(ids[j]), w2[j], bool(dead[j]), True) for j in order]    # W2 alone
    labels = [t if text_em(t) * font <= room else s if text_em(s) * font <= room else ""   # else: on hover only
              for t, s in zip(labels, short)]
    if many:                                                 # a marker over the whole tile, its label above it
        lx = x0 * (TILE + HGAP) + (TILE - 1) / 2
        ly = y0 * (TILE + VGAP) + VGAP + (TILE - 1) / 2
        marker = {"size": 0.7 * TILE * k, "symbol": "square", "opacity": 0, "color": "#000"}   # text just above
    else:
        lx = x0 * (TILE + HGAP) + (TILE - 1) / 2
        ly = y0 * (TILE + VGAP) + (VGAP - 1) / 2
        marker = {"size": 18, "opacity": 0, "color": "#000"}
    text_shown = font >= LABEL_MIN_PX
    alive_hover = _("neuron {j}<br>output weight W2 = {w2}: votes for {digit}<br>click to inspect")
    dead_hover = _("neuron {j}<br>output weight W2 = {w2}: votes for {digit}"
                   "<br>dead: never fires on the training set<br>click to inspect")
    fig.add_trace(go.Scatter(
        x=lx, y=ly, mode="markers+text" if text_shown else "markers", customdata=ids[order],
        text=labels, textposition="top center" if many else "middle center",
        textfont={"size": font,
                  "color": [DEAD if dead[j] else POSITIVE if w2[j] > 0 else NEGATIVE for j in order]},
        marker=marker, showlegend=False,
        hovertemplate=[(dead_hover if dead[j] else alive_hover).format(
                           j=ids[j], w2=words.weight(w2[j]), digit=digits[1] if w2[j] > 0 else digits[0])
                       + "<extra></extra>" for j in order]))
    shapes = []
    for slot, j in enumerate(order):
        if not dead[j] and j != selected:
            continue
        ty, tx = tile_origin(slot, cols)
        a, b, c, d = tx - 0.5, ty - 0.5, tx + TILE - 0.5, ty + TILE - 0.5
        if dead[j]:
            shapes.append({"type": "rect", "x0": a, "y0": b, "x1": c, "y1": d, "line": {"width": 0},
                           "fillcolor": "rgba(127,127,127,0.55)"})
            shapes.append({"type": "path", "path": f"M{a},{b}L{c},{d}M{a},{d}L{c},{b}",
                           "line": {"color": DEAD, "width": 2}})
        if j == selected:
            shapes.append({"type": "rect", "x0": a - 0.5, "y0": b - VGAP + 0.5, "x1": c + 0.5, "y1": d + 0.5,
                           "line": {"color": "#ff9f1c", "width": 3}})
    H, W = image.shape
    margin = ({"l": 0, "r": 0, "t": 4, "b": COLOURBAR_BELOW_PX} if colourbar_below else
              {"l": 0, "r": COLOURBAR_PX, "t": 4, "b": 4})
    fig.update_layout(
        shapes=shapes, width=width, height=height or round(H * k) + margin["t"] + margin["b"], margin=margin,
        xaxis={"visible": False, "range": [-0.5, W - 0.5], "constrain": "domain", "fixedrange": True},
        yaxis={"visible": False, "range": [H - 0.5, -0.5], "scaleanchor": "x", "constrain": "domain",
               "fixedrange": True},
        plot_bgcolor="rgba(0,0,0,0)", dragmode=False, clickmode="event+select", uirevision="tiles")
    return fig


def neuron_figure(weights: np.ndarray, title: str = "", height: int = 340) -> go.Figure:
    """One neuron's 784 weights large, diverging colours centred at 0. weights: (784,) or (28, 28)."""
    w = np.asarray(weights, dtype=np.float64).reshape(TILE, TILE)
    limit = float(np.abs(w).max()) or 1.0
    fig = go.Figure(go.Heatmap(z=w, zmid=0, zmin=-limit, zmax=limit, colorscale=DIVERGING,
                               colorbar={"thickness": 12},
                               hovertemplate=_("pixel (%{y}, %{x})<br>weight %{z:.4f}") + "<extra></extra>"))
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 30 if title else 5, "b": 0},
                      title={"text": title, "font": {"size": 14}},
                      xaxis={"visible": False, "constrain": "domain"},
                      yaxis={"visible": False, "autorange": "reversed", "scaleanchor": "x"})
    return fig


def activation_histogram(a1: np.ndarray, labels: np.ndarray, digits: tuple, bins: int = 40) -> go.Figure:
    """One neuron's activations A1[j] over the training set, one overlaid histogram per class (digits: the
    classes' names, or the digits themselves)."""
    a1 = np.asarray(a1, dtype=np.float64)
    top = float(a1.max()) if a1.size and a1.max() > 0 else 1.0
    fig = go.Figure()
    for label, colour in ((0, NEGATIVE), (1, POSITIVE)):
        fig.add_trace(go.Histogram(x=a1[labels == label], name=words.class_label(digits[label]),
                                   opacity=0.6, marker={"color": colour},
                                   xbins={"start": 0, "end": top * 1.0001, "size": top / bins}))
    fig.update_layout(barmode="overlay", height=300, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis_title=_("activation A1 = relu(z1)"),
                      yaxis=log_axis(_("training images"), [1, max(a1.size, 1)]),
                      legend=TOP_LEGEND)
    return fig


def bars_figure(values: np.ndarray, name: str, digits: tuple[int, int] | None = None,
                dead: np.ndarray | None = None) -> go.Figure:
    """One bar per neuron, red when positive, blue when negative (dead neurons grey)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    dead = np.zeros(v.size, bool) if dead is None else np.asarray(dead, bool)
    colours = [DEAD if d else POSITIVE if x > 0 else NEGATIVE for x, d in zip(v, dead)]
    if digits is not None:                                   # the output weights W2: shown as everywhere else
        text = _("neuron {j}<br>{name} = {value}<br>votes for {digit}")
        hover = [text.format(j=j, name=name, value=words.weight(x), digit=digits[1] if x > 0 else digits[0])
                 + "<extra></extra>" for j, x in enumerate(v)]
    else:
        text = _("neuron {j}<br>{name} = {value:+.4f}")
        hover = [text.format(j=j, name=name, value=x) + "<extra></extra>" for j, x in enumerate(v)]
    fig = go.Figure(go.Bar(x=np.arange(v.size), y=v, marker={"color": colours}, hovertemplate=hover))
    fig.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      title={"text": name, "font": {"size": 14}}, xaxis_title=_("neuron"),
                      bargap=0.1 if v.size < 60 else 0)
    return fig


# ------------------------------------------------------------------ sums the figures need


def preactivations(W1: np.ndarray, b1: np.ndarray, scaler, x_rows: np.ndarray, dtype=np.float32,
                   chunk: int = 2048):
    """Yield Z1 = W1 @ X + b1 for successive chunks of images, (n1, k) each. x_rows: (m, 784) uint8."""
    W1 = np.asarray(W1, dtype=dtype)
    b1 = np.asarray(b1, dtype=dtype).reshape(-1, 1)
    for s in range(0, len(x_rows), chunk):
        with np.errstate(over="ignore", invalid="ignore"):
            yield hidden({"W1": W1, "b1": b1}, scaler.transform(x_rows[s:s + chunk], dtype))   # (n1, k)


def dead_neurons(W1: np.ndarray, b1: np.ndarray, scaler, x_rows: np.ndarray, dtype=np.float32) -> np.ndarray:
    """(n1,) bool: neurons whose activation relu(z1) is 0 for every image in x_rows (they never fire)."""
    fired = np.zeros(np.asarray(W1).shape[0], dtype=bool)
    for Z1 in preactivations(W1, b1, scaler, x_rows, dtype):
        fired |= (Z1 > 0).any(axis=1)
    return ~fired


def neuron_activations(W1: np.ndarray, b1: np.ndarray, j: int, scaler, x_rows: np.ndarray,
                       dtype=np.float32) -> np.ndarray:
    """(m,) activations A1[j] of one neuron for every image in x_rows."""
    parts = [np.maximum(Z1[0], 0) for Z1 in preactivations(W1[j:j + 1], b1[j:j + 1], scaler, x_rows, dtype)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def activations_on(W1: np.ndarray, b1: np.ndarray, j: int, X: np.ndarray) -> np.ndarray:
    """(m,) activations A1[j] of neuron j for standardised inputs X (784, m)."""
    return np.maximum(hidden({"W1": W1[j:j + 1], "b1": b1[j:j + 1]}, X)[0], 0)


def top_images(activations: np.ndarray, k: int = 8) -> np.ndarray:
    """Indices of the k largest activations, largest first (only those that fire)."""
    order = np.argsort(-np.asarray(activations), kind="stable")[:k]
    return order[np.asarray(activations)[order] > 0]
