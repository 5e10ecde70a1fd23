"""The Try it page's pure parts: turning a user's digit into the network's input, the prediction, the figures.

No Streamlit here. Images are (H, W) uint8, white ink on black; x is one standardised sample (784,).
Every standardised value, activation and vote the page shows is written one way, num(): three significant
digits, powers of ten as e+11 (2.07e+11, 3e+9, 0.5), in the warnings, the hover texts and the bar labels;
the axis ticks are written the same way by Plotly (TICKS: d3's ".3~g").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ssnn_core import ImageError, explain
from ssnn_core.images import AS_IS, AUTO, BOX, RECIPE, SIZE, Prepared, load_image, prepare_array
from ssnn_core.inspect import Explanation, blank_pixel_ink

from . import words
from .i18n import N_, _, error_text

THUMB = 112                    # on-screen size of each preprocessing step, in pixels
TOP_NEURONS = 8                # neurons shown one by one in the contributions waterfall
UP, DOWN = "#d62728", "#1f77b4"   # votes for digits[1] / for digits[0], as the diverging maps (RdBu_r)
MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}
CLIP = 20.0                    # the standardised input's colour bar stops at +-CLIP std units (seed scaling: 1e11)
TICKS = {"exponentformat": "e", "tickformat": ".3~g"}   # axis and colour bar ticks written as num() writes
                                                        # numbers (5e+8, 1.24e+9, 0.5), not Plotly's 0.5B
HOWS = (AS_IS, RECIPE)         # the ways to read an upload offered on the page (ssnn_core.images' names)
HOW_NAMES = {AS_IS: N_("As it is"), RECIPE: N_("MNIST's recipe")}
# the names ssnn_core.images gives its preprocessing steps (English) -> their messages, shown with step_name()
STEP_NAMES = {"grayscale": N_("grayscale"), "inverted (light background)": N_("inverted (light background)"),
              "kept (dark background)": N_("kept (dark background)"), "cropped to the ink": N_("cropped to the ink"),
              f"scaled to {BOX} px": N_("scaled to {box} px"), "centred in 28x28": N_("centred in 28x28"),
              "as it is": N_("as it is"), f"resized to {SIZE}x{SIZE}": N_("resized to {size}x{size}")}


@dataclass(frozen=True)
class Prediction:
    """What the network makes of one image. proba: P(digit is digits[1]); x: (784,) standardised input."""

    digit: int
    proba: float
    confidence: float          # probability of the predicted digit
    x: np.ndarray              # (784,)
    explanation: Explanation
    blank_ink: np.ndarray      # indices of inked pixels that were blank in every training image


# ---------------------------------------------------------------- inputs


def a_class(name) -> str:
    """'a 3' ('数字 3' in Chinese) for a digit, 'a Trouser' / 'an Ankle boot' ('裤子') for another class."""
    return _("a {digit}").format(digit=name) if words.is_digit(name) else words.a(name)


def prepare_upload(raw: bytes, how: str = AUTO) -> Prepared | str:
    """An uploaded file's bytes -> the prepared image, or a one-line reason it cannot be used.
    how: AUTO (an image already MNIST's kind as it is, any other through the recipe), AS_IS or RECIPE."""
    try:
        return load_image(raw, how)
    except ImageError as exc:
        return _("This file cannot be used: {reason}").format(reason=error_text(exc))


def step_name(name: str) -> str:
    """A preprocessing step's name (Prepared.steps) in the current language; an unknown one as it is."""
    return _(STEP_NAMES[name]).format(box=BOX, size=SIZE) if name in STEP_NAMES else name


def prepare_canvas(image_data: np.ndarray | None) -> Prepared | None:
    """The canvas's (280, 280, 4) RGBA drawing -> prepared image; None before anything is drawn."""
    if image_data is None:
        return None
    return prepare_array(image_data)


def from_pixels(pixels: np.ndarray, name: str) -> Prepared:
    """A ready 28x28 image (an MNIST test digit, or noise): no preprocessing, one step to show."""
    pixels = np.asarray(pixels, dtype=np.uint8).reshape(28, 28)
    return Prepared(pixels, [(name, pixels)], not pixels.any(), False, as_is=True)


def noise_pixels(seed: int) -> np.ndarray:
    """(28, 28) uint8 uniform random grey levels: certainly not a digit."""
    return np.random.default_rng(seed).integers(0, 256, size=(28, 28), dtype=np.uint8)


def random_index(seed: int, m: int) -> int:
    """A reproducible random test index in 0..m-1."""
    return int(np.random.default_rng(seed).integers(m))


def example_indices(labels: np.ndarray, digits: tuple[int, int], evaluation=None,
                    per_class: int = 2) -> list[tuple[int, str]]:
    """A few test images worth trying: the first ones of each class, then a mistake and a close call.

    labels: (m,) in {0, 1}. Returns (test index, what it is) pairs.
    """
    picks = []
    for label in (0, 1):
        picks += [(int(i), a_class(digits[label])) for i in np.flatnonzero(labels == label)[:per_class]]
    if evaluation is not None:
        if evaluation.errors:
            picks.append((int(evaluation.misclassified[0]), _("mistake")))
        near = evaluation.nearly_wrong(1)
        if near.size:
            picks.append((int(near[0]), _("close call")))
    seen, out = set(), []
    for idx, why in picks:
        if idx not in seen:
            seen.add(idx)
            out.append((idx, why))
    return out


def predict_digit(params: dict, scaler, digits: tuple[int, int], pixels: np.ndarray) -> Prediction:
    """pixels: (28, 28) uint8 -> the network's answer, standardised exactly like the training images."""
    dtype = np.asarray(params["W1"]).dtype
    x = scaler.transform(np.asarray(pixels).reshape(1, 784), dtype)[:, 0]   # (784,)
    e = explain(params, x)
    label = int(e.z2 > 0)                      # = proba > 0.5, and the same rule as evaluate()
    confidence = e.proba if label else 1.0 - e.proba
    return Prediction(digits[label], e.proba, confidence, x, e, blank_pixel_ink(pixels, scaler.blank))


def thumbnail(img: np.ndarray, size: int = THUMB) -> np.ndarray:
    """A 2-D uint8 image made about `size` px square: padded to a square with black (so a thin stroke
    stays thin in a row of steps), then small ones enlarged by pixel repetition (crisp), large ones
    shrunk by area averaging (so a phone photo is not sent to the browser at full size)."""
    img = np.asarray(img, dtype=np.uint8)
    h, w = img.shape
    side = max(h, w)
    square = np.zeros((side, side), dtype=np.uint8)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = img
    img, h, w = square, side, side
    if max(h, w) <= size:
        k = max(1, size // max(h, w))
        return np.kron(img, np.ones((k, k), dtype=np.uint8))
    f = size / max(h, w)
    return np.asarray(Image.fromarray(img).resize((max(1, round(w * f)), max(1, round(h * f))),
                                                  Image.Resampling.BOX))


def num(v: float, sign: bool = False) -> str:
    """The page's one number format: 3 significant digits; a power of ten as e+11, e-5 (no padding zero),
    and a minus sign (−), as d3's ".3~g" writes Plotly's ticks (TICKS) from 1e-4 up. sign: always + or −."""
    text = re.sub(r"e([+-])0(\d)", r"e\1\2", format(float(v), "+.3g" if sign else ".3g"))
    return "−" + text[1:] if text.startswith("-") else text          # Plotly's minus sign, U+2212


def colour_limit(x: np.ndarray) -> float:
    """Where the standardised input's colour bar stops: at the largest |value|, between 1 and CLIP."""
    return float(np.clip(np.abs(np.asarray(x, dtype=np.float64)).max(initial=0.0), 1.0, CLIP))


def clipped(x: np.ndarray) -> bool:
    """Some value lies beyond the colour bar's ends (drawn in its end colour)."""
    return bool(np.abs(np.asarray(x, dtype=np.float64)).max(initial=0.0) > colour_limit(x))


def percent(p: float) -> str:
    """A probability as a percentage that never rounds a near-certainty to a false 100 %."""
    if p >= 0.9999:
        return "> 99.99 %"
    if p <= 0.0001:
        return "< 0.01 %"
    return f"{100 * p:.2f} %"


# ---------------------------------------------------------------- figures


def probability_figure(proba: float, digits: tuple[int, int]) -> go.Figure:
    """Two horizontal bars, digits[0] on top: P(digits[0]) and P(digits[1]), summing to 1."""
    p = [1.0 - proba, proba]
    fig = go.Figure(go.Bar(x=[100 * v for v in p], y=[a_class(d) for d in digits], orientation="h",
                           marker={"color": [DOWN, UP]}, text=[percent(v) for v in p], textposition="auto",
                           hovertemplate="%{y}: %{x:.4f} %<extra></extra>"))
    fig.update_xaxes(range=[0, 100], title_text=_("probability %"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=170, margin=MARGIN, title=_("How sure is it?"))
    return fig


def input_figure(x: np.ndarray) -> go.Figure:
    """The standardised input as a 28x28 diverging heatmap centred at 0 (grey = an average pixel).

    The article's scaling can reach 1e11: the colours stop at +-colour_limit(x) (at most CLIP), and when a
    value lies beyond, the colour bar says so at its ends (<= -20, >= 20, title "clipped at ±20") and a
    subtitle gives the largest value, written as the page's warning writes it (num)."""
    img = np.asarray(x, dtype=np.float64).reshape(28, 28)
    lim, cut = colour_limit(img), clipped(img)
    colorbar = {"title": {"text": _("std units")}, "thickness": 12, **TICKS}
    title = {"text": _("Standardised: (pixel − mean) / std")}
    if cut:
        ticks = [-lim, -lim / 2, 0.0, lim / 2, lim]
        colorbar.update(title={"text": _("std units,<br>clipped at ±{lim}").format(lim=num(lim))},
                        tickvals=ticks, ticktext=[f"≤ {num(-lim)}", num(-lim / 2), "0", num(lim / 2),
                                                  f"≥ {num(lim)}"])
        title["subtitle"] = {"text": _("values reach {largest} std units; colours clipped at ±{lim}").format(
            largest=num(np.abs(img).max()), lim=num(lim))}
    fig = go.Figure(go.Heatmap(z=img, colorscale="RdBu_r", zmid=0, zmin=-lim, zmax=lim, colorbar=colorbar,
                               customdata=[[num(v) for v in row] for row in img],
                               hovertemplate=_("row %{y}, col %{x}: %{customdata}<extra></extra>")))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showticklabels=False)
    fig.update_xaxes(showticklabels=False, constrain="domain")
    fig.update_layout(height=280 if cut else 260, margin={**MARGIN, "t": 55} if cut else MARGIN, title=title)
    return fig


def activations_figure(e: Explanation, w2: np.ndarray, digits: tuple[int, int]) -> go.Figure:
    """A1 per hidden neuron, coloured by which digit its output weight votes for. w2: (n1,) = W2[0]."""
    w2 = np.asarray(w2, dtype=np.float64)
    colour = [UP if w > 0 else DOWN for w in w2]
    shown = [[num(a), num(w)] for a, w in zip(e.activations, w2)]
    fig = go.Figure(go.Bar(x=np.arange(w2.size), y=e.activations, marker={"color": colour}, customdata=shown,
                           hovertemplate=_("neuron %{x}: A1 = %{customdata[0]}, W2 = %{customdata[1]}"
                                           "<extra></extra>")))
    fig.update_xaxes(title_text=_("hidden neuron"))
    fig.update_yaxes(title_text=_("activation A1 (ReLU)"), **TICKS)
    fig.update_layout(height=300, margin=MARGIN, showlegend=False,
                      title=_("Hidden layer: red bars vote for {digit_b}, blue for {digit_a}").format(
                          digit_b=digits[1], digit_a=digits[0]))
    return fig


def contributions_figure(e: Explanation, digits: tuple[int, int], top: int = TOP_NEURONS) -> go.Figure:
    """Waterfall from 0 to z2: the largest W2[j]*A1[j], the rest summed, then b2. z2 > 0 means digits[1]."""
    c = e.contributions
    voting = np.flatnonzero(c)                           # silent neurons (A1 = 0) have no say
    order = voting[np.argsort(-np.abs(c[voting]), kind="stable")][:top]
    names = [_("neuron {j}").format(j=j) for j in order]
    values = [float(c[j]) for j in order]
    if voting.size > order.size:
        names.append(_("{n} others").format(n=voting.size - order.size))
        values.append(float(c.sum() - c[order].sum()))
    names += [_("bias b2"), "z2"]
    values += [e.b2, e.z2]
    measure = ["relative"] * (len(values) - 1) + ["total"]
    fig = go.Figure(go.Waterfall(x=names, y=values, measure=measure, orientation="v",
                                 increasing={"marker": {"color": UP}}, decreasing={"marker": {"color": DOWN}},
                                 totals={"marker": {"color": UP if e.z2 > 0 else DOWN}},
                                 text=[num(v, sign=True) for v in values], textposition="outside",
                                 hovertemplate="%{x}: %{text}<extra></extra>"))
    fig.add_hline(y=0, line={"color": "grey", "width": 1})
    fig.update_yaxes(title_text=_("logit z2  (> 0: {digit_b}, < 0: {digit_a})").format(digit_b=digits[1],
                                                                                       digit_a=digits[0]),
                     **TICKS)
    fig.update_layout(height=320, margin=MARGIN, showlegend=False,
                      title=_("Who decided: each neuron's vote W2[j]·A1[j], adding up to z2"))
    return fig
