"""The "flip it" panel, shared by the Flip it page (a test digit) and Try it (your own digit)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from . import fig_flip, inside
from .readmodel import View

NOTE = ("**Why this matters: adversarial examples.** A change this small would not fool a person: the image still "
        "looks like the same digit. The network only adds up weighted pixels and bends the sum at each hidden "
        "neuron's zero, so there is always a direction in which a little ink moves its answer fast; following it "
        "finds the nearest image it answers the other way. Big networks that read photos can be fooled the "
        "same way, by changes too faint to see (Szegedy et al. 2014; Goodfellow et al. 2015). Here the network "
        "is small enough to find that change exactly.")


def describe(f, digits) -> str:
    visible = int(np.count_nonzero(np.abs(f.change) >= 1))
    pixels = f"**{f.n_pixels}** pixel{'s' if f.n_pixels != 1 else ''} changed"
    if visible != f.n_pixels:
        pixels += f" ({visible} of them by a grey level or more)"
    return (f"{pixels}, L2 size **{f.l2:.3g}** (one pixel from blank to full ink is 255), the largest change "
            f"{f.linf:.3g} grey levels: the network now says **{digits[f.label_after]}** with "
            f"P({digits[1]}) = {f.proba_after:.4f}.")


def flip_ui(view: View, pixels: np.ndarray, name, key: str) -> None:
    """Both ways of flipping the answer for one image (raw 0..255 pixels, (784,)); name: its cache key."""
    digits = view.hyper.digits
    with st.spinner("Looking for the smallest change..."):
        smallest, fewest = inside.flips(view, np.asarray(pixels, dtype=np.float64).reshape(-1), name)
    for title, f, how in (
            ("The smallest change", smallest,
             "the smallest change in pixel values ssnn finds that makes the network answer the other way. The "
             "network is linear piece by piece, so ssnn follows the input gradient through each piece, exactly, "
             "to where z2 just crosses 0 (it also tries the fewest-pixels change below; the smaller wins). It is "
             "the smallest along these paths, not a proof that nothing smaller exists"),
            ("The fewest pixels", fewest,
             "one pixel at a time, always the one whose change to blank or full ink moves the answer most, "
             "until it flips (the last one only as far as needed)")):
        st.markdown(f"**{title}**: {how}.")
        if f is None:
            st.info("No change within the pixel range 0-255 flips this answer that way.")
            continue
        st.plotly_chart(fig_flip.flip_figure(f, digits), key=f"{key}_{title.split()[-1]}")
        st.markdown(describe(f, digits))
    if view.scaler.mode == "seed" and smallest is not None and np.any(view.scaler.blank[smallest.changed]):
        st.warning("With the article's scaling the change goes mostly into pixels that are blank in every training "
                   "image: they are divided by 1e-9, so a trace of ink there outweighs the whole digit (the same "
                   "reason test image 1749 fails). With the safe scaling this takes far more ink.")
    st.info(NOTE, icon=":material/school:")
