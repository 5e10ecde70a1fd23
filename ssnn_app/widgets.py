"""Widgets shared by pages: the hyperparameter controls and small image helpers."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from ssnn_core import ConfigError, Hyper

from . import classes, commands, i18n, settings, teacher, viewport
from .i18n import _

LR_STEPS = (1, 1.5, 2, 3, 5, 7)       # round values, about evenly spaced on a log scale, 6 per decade
LR_OPTIONS = [float(f"{m * 10.0 ** e:.3g}") for e in range(-3, 1) for m in LR_STEPS] + [10.0]   # 0.001 .. 10


def _lr_options(current: float) -> list[float]:
    return sorted(set(LR_OPTIONS) | {current})


def _apply_widgets() -> None:
    ss = st.session_state
    try:
        hyper = Hyper(digits=(ss.w_digit_a, ss.w_digit_b), hidden=ss.w_hidden, learning_rate=ss.w_lr,
                      iterations=ss.w_iterations, seed=ss.w_seed, dtype=ss.w_dtype, scaling=ss.w_scaling)
    except ConfigError as exc:
        ss["settings_problem"] = exc   # shown in the language of the moment (i18n.error_text)
        return
    ss.pop("settings_problem", None)
    settings.use(hyper)
    commands.configure(hyper)  # a run in training takes a new learning rate or target at once


def settings_ui() -> Hyper:
    """The hyperparameter controls (in the sidebar); returns the settings in force."""
    h = settings.current()
    ss = st.session_state
    for key, value in (("w_hidden", h.hidden), ("w_lr", h.learning_rate), ("w_iterations", h.iterations),
                       ("w_seed", h.seed), ("w_digit_a", h.digits[0]), ("w_digit_b", h.digits[1]),
                       ("w_dtype", h.dtype), ("w_scaling", h.scaling)):
        if ss.get(key) != value:  # the settings are the truth; widgets mirror them
            ss[key] = value
    flags = teacher.current()
    lock = flags.is_locked
    if viewport.narrow():       # the sidebar starts collapsed on a phone: say where the settings went
        st.info(_("**Settings** (hidden neurons, learning rate, iterations, seed, the two digits) are in the side "
                  "panel: tap **»** at the top left.") if classes.are_digits() else
                _("**Settings** (hidden neurons, learning rate, iterations, seed, the two classes) are in the side "
                  "panel: tap **»** at the top left."), icon=":material/tune:")
    with st.sidebar:
        st.header(_("Settings"))
        if flags.locked:
            st.caption(_(":material/lock: Settings shown greyed out are fixed by this lesson's link."))
        st.slider(_("Hidden neurons n1"), settings.UI_HIDDEN[0], settings.UI_HIDDEN[1], key="w_hidden",
                  on_change=_apply_widgets, disabled=lock("hidden"),
                  help=_("Width of the ReLU layer. Changing it starts a new network."))
        st.select_slider(_("Learning rate α"), options=_lr_options(h.learning_rate), key="w_lr",
                         on_change=_apply_widgets, format_func=lambda v: f"{v:g}", disabled=lock("learning_rate"),
                         help=_("Log scale. A change applies from the next iteration, even while training."))
        st.slider(_("Iterations"), settings.UI_ITERATIONS[0], settings.UI_ITERATIONS[1], key="w_iterations",
                  on_change=_apply_widgets, disabled=lock("iterations"),
                  help=_("Full-batch gradient-descent steps to train for."))
        st.number_input(_("Seed"), 0, 2**32 - 1, step=1, key="w_seed", on_change=_apply_widgets, disabled=lock("seed"),
                        help=_("Seeds the initial weights; the article used 561."))
        a, b = st.columns(2)
        names = classes.names()                 # the data set's classes, by name; the values stay 0, 1, ...
        if classes.are_digits():
            label_a, label_b = _("Digit A (label 0)"), _("Digit B (label 1)")
        else:
            label_a, label_b = _("Class A (label 0)"), _("Class B (label 1)")
        a.selectbox(label_a, range(len(names)), key="w_digit_a", on_change=_apply_widgets,
                    format_func=lambda k: names[k], disabled=lock("digits"))
        b.selectbox(label_b, range(len(names)), key="w_digit_b", on_change=_apply_widgets,
                    format_func=lambda k: names[k], disabled=lock("digits"))
        if "advanced" not in flags.hidden:
            with st.expander(_("Advanced")):
                st.radio(_("Precision"), ["float32", "float64"], key="w_dtype", on_change=_apply_widgets,
                         horizontal=True, disabled=lock("dtype"),
                         help=_("float32 is about twice as fast and makes the same mistakes."))
                st.radio(_("Scaling"), ["safe", "seed"], key="w_scaling", on_change=_apply_widgets, horizontal=True,
                         disabled=lock("scaling"),
                         help=_("safe: pixels blank in all training images get scale 1. "
                                "seed: the article's std + 1e-9, which breaks on ink in such pixels."))
        if ss.get("settings_problem"):
            st.error(i18n.error_text(ss["settings_problem"]))
    return settings.current()


def digit_png(pixels: np.ndarray, scale: int = 4) -> bytes:
    """A 28x28 (or any 2-D) uint8 image upscaled by pixel repetition (no blur), as PNG bytes."""
    big = np.kron(np.asarray(pixels, dtype=np.uint8), np.ones((scale, scale), dtype=np.uint8))
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="PNG")
    return buf.getvalue()


GALLERY_PX = 92       # one image of a gallery: 28 px at scale 3 (84), its caption on two lines; 8 to a row at 1400 px


def gallery_cells(n: int, width: int = GALLERY_PX) -> list:
    """n containers `width` px wide in one row that wraps: about ten to a row on a wide screen, three on a
    phone, where Streamlit would stack columns one under the other (issue #15, item 11)."""
    row = st.container(horizontal=True, gap="small")
    return [row.container(width=width, gap="xxsmall") for _ in range(n)]


def show_digit(pixels: np.ndarray, caption: str | None = None, scale: int = 4) -> None:
    st.image(digit_png(pixels, scale), caption=caption, output_format="PNG",
             width=int(np.asarray(pixels).shape[1]) * scale)        # its pixels exactly, never stretched


def clicked_point(chart_key: str, curves=(0,)) -> list | None:
    """The customdata of the first point selected on the Plotly chart `chart_key` (on_select="rerun") in
    one of the traces `curves`, as a list (None before a click). Streamlit hands a point's array customdata
    over as a list or as a dict keyed "0", "1", ...; a single value comes as itself."""
    event = st.session_state.get(chart_key)
    points = [pt for pt in (event.selection.points if event else []) if pt.get("curve_number") in curves]
    if not points or "customdata" not in points[0]:
        return None
    data = points[0]["customdata"]
    if isinstance(data, dict):
        return [data[k] for k in sorted(data, key=int)]
    return list(data) if isinstance(data, (list, tuple)) else [data]
