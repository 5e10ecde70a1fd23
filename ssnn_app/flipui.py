"""The "flip it" panel, shared by the Flip it page (a test digit) and Try it (your own digit)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from . import fig_flip, inside
from .i18n import N_, _, ngettext
from .readmodel import View

NOTE = N_("**Why this matters: adversarial examples.** A change this small would not fool a person: the image "
          "still looks like the same digit. The network only adds up weighted pixels and bends the sum at each hidden "
          "neuron's zero, so there is always a direction in which a little ink moves its answer fast; following it "
          "finds the nearest image it answers the other way. Big networks that read photos can be fooled the "
          "same way, by changes too faint to see (Szegedy et al. 2014; Goodfellow et al. 2015). Here the network "
          "is small enough to find that change exactly.")
NOTE_CLASSES = N_("**Why this matters: adversarial examples.** A change this small would not fool a person: the "
                  "image still looks like the same thing. The network only adds up weighted pixels and bends the sum "
                  "at each hidden neuron's zero, so there is always a direction in which a little ink moves its answer "
                  "fast; following it finds the nearest image it answers the other way. Big networks that read photos "
                  "can be fooled the same way, by changes too faint to see (Szegedy et al. 2014; Goodfellow et al. "
                  "2015). Here the network is small enough to find that change exactly.")   # classes other than digits
# (the chart key's suffix, the paragraph above its chart: the way's name in bold, then what it does)
WAYS = (("change", N_("**The smallest change**: the smallest change in pixel values ssnn finds that makes the network "
                      "answer the other way. The network is linear piece by piece, so ssnn follows the input gradient "
                      "through each piece, exactly, to where z2 just crosses 0 (it also tries the fewest-pixels change "
                      "below; the smaller wins). It is the smallest along these paths, not a proof that nothing "
                      "smaller exists.")),
        ("pixels", N_("**The fewest pixels**: one pixel at a time, always the one whose change to blank or full ink "
                      "moves the answer most, until it flips (the last one only as far as needed).")))


def describe(f, digits) -> str:
    visible = int(np.count_nonzero(np.abs(f.change) >= 1))
    values = {"n": f.n_pixels, "visible": visible, "l2": f.l2, "linf": f.linf, "digit": digits[f.label_after],
              "d1": digits[1], "p": f.proba_after}
    if visible != f.n_pixels:
        return ngettext("**{n}** pixel changed ({visible} of them by a grey level or more), L2 size **{l2:.3g}** "
                        "(one pixel from blank to full ink is 255), the largest change {linf:.3g} grey levels: the "
                        "network now says **{digit}** with P({d1}) = {p:.4f}.",
                        "**{n}** pixels changed ({visible} of them by a grey level or more), L2 size **{l2:.3g}** "
                        "(one pixel from blank to full ink is 255), the largest change {linf:.3g} grey levels: the "
                        "network now says **{digit}** with P({d1}) = {p:.4f}.", f.n_pixels).format(**values)
    return ngettext("**{n}** pixel changed, L2 size **{l2:.3g}** (one pixel from blank to full ink is 255), the "
                    "largest change {linf:.3g} grey levels: the network now says **{digit}** with P({d1}) = {p:.4f}.",
                    "**{n}** pixels changed, L2 size **{l2:.3g}** (one pixel from blank to full ink is 255), the "
                    "largest change {linf:.3g} grey levels: the network now says **{digit}** with P({d1}) = {p:.4f}.",
                    f.n_pixels).format(**values)


def flip_ui(view: View, pixels: np.ndarray, name, key: str) -> None:
    """Both ways of flipping the answer for one image (raw 0..255 pixels, (784,)); name: its cache key."""
    digits = view.names                # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
    with st.spinner(_("Looking for the smallest change...")):
        smallest, fewest = inside.flips(view, np.asarray(pixels, dtype=np.float64).reshape(-1), name)
    for (suffix, what), f in zip(WAYS, (smallest, fewest)):
        st.markdown(_(what))
        if f is None:
            st.info(_("No change within the pixel range 0-255 flips this answer that way."))
            continue
        st.plotly_chart(fig_flip.flip_figure(f, digits), key=f"{key}_{suffix}")
        st.markdown(describe(f, digits))
    if view.scaler.mode == "seed" and smallest is not None and np.any(view.scaler.blank[smallest.changed]):
        st.warning(_("With the article's scaling the change goes mostly into pixels that are blank in every training "
                     "image: they are divided by 1e-9, so a trace of ink there outweighs the whole digit (the same "
                     "reason test image 1749 fails). With the safe scaling this takes far more ink."))
    st.info(_(NOTE) if view.digit_words else _(NOTE_CLASSES), icon=":material/school:")
