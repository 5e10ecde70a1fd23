"""Flip it: how little a test digit must change for the network to answer the other way."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import flipui, pagekit, words
from ssnn_app.i18n import N_, _
from ssnn_app.pagesetup import setup_page

setup_page(N_("Flip it"), ":material/swap_horiz:")
st.title(_("How fragile is the answer? Flip it"))
DEFAULT = 2031


def pick(index: int) -> None:
    st.session_state["w_flip_index"] = int(index)


def chooser_ui(view) -> int:
    ev = view.evaluation
    m = ev.labels.size
    chosen = st.session_state.get("w_flip_index")
    if not (isinstance(chosen, int) and 0 <= chosen < m):
        st.session_state["w_flip_index"] = min(DEFAULT, m - 1)
    right = np.flatnonzero(ev.predicted == ev.labels)
    confident = right[np.argmax(np.abs(ev.proba[right] - 0.5))] if right.size else 0
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    i = c1.number_input(_("Test image # (0-{last})").format(last=m - 1), 0, m - 1, key="w_flip_index")
    c2.button(_("the surest right answer"), on_click=pick, args=(confident,), key="b_flip_sure")
    c3.button(_("a nearly wrong one"), on_click=pick, args=(ev.nearly_wrong(1)[0] if right.size else 0,),
              key="b_flip_near")
    c4.button(_("a mistake"), on_click=pick, args=(ev.misclassified[0] if ev.errors else 0,), key="b_flip_wrong",
              disabled=ev.errors == 0)
    return int(i)


view = pagekit.require_view("b_flip_train", pin=True)
if view.pair is None or view.evaluation is None:
    st.error(_("The model is here but the test data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
digits = view.names                     # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
st.markdown((_("The network says **{d0}** or **{d1}** for every image. How much would an image have to "
               "change for it to say the other? Pick a test digit: ssnn finds the smallest change to its pixels "
               "(each kept between 0 and 255) that flips the answer, and the change with the fewest pixels.")
             if view.digit_words else
             _("The network says **{d0}** or **{d1}** for every image. How much would an image have to "
               "change for it to say the other? Pick a test image: ssnn finds the smallest change to its pixels "
               "(each kept between 0 and 255) that flips the answer, and the change with the fewest pixels."))
            .format(d0=digits[0], d1=digits[1]))
i = chooser_ui(view)
ev = view.evaluation
st.caption(_("Test image #{i} is {a_digit}; the network says {said} with P({d1}) = {p:.4f}.").format(
    i=i, a_digit=words.a(digits[int(ev.labels[i])]), said=digits[int(ev.predicted[i])], d1=digits[1],
    p=ev.proba[i]))
flipui.flip_ui(view, view.pair.x_test[i], ("test", i), key="flip")
