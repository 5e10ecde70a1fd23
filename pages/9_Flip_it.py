"""Flip it: how little a test digit must change for the network to answer the other way."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import flipui, pagekit, words
from ssnn_app.pagesetup import setup_page

setup_page("Flip it", ":material/swap_horiz:")
st.title("How fragile is the answer? Flip it")
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
    i = c1.number_input(f"Test image # (0-{m - 1})", 0, m - 1, key="w_flip_index")
    c2.button("the surest right answer", on_click=pick, args=(confident,), key="b_flip_sure")
    c3.button("a nearly wrong one", on_click=pick, args=(ev.nearly_wrong(1)[0] if right.size else 0,),
              key="b_flip_near")
    c4.button("a mistake", on_click=pick, args=(ev.misclassified[0] if ev.errors else 0,), key="b_flip_wrong",
              disabled=ev.errors == 0)
    return int(i)


view = pagekit.require_view("b_flip_train", pin=True)
if view.pair is None or view.evaluation is None:
    st.error(f"The model is here but the test data is not: {app_data.missing_reason()}")
    st.stop()
digits = view.hyper.digits
st.markdown(f"The network says **{digits[0]}** or **{digits[1]}** for every image. How much would an image have to "
            "change for it to say the other? Pick a test digit: ssnn finds the smallest change to its pixels "
            "(each kept between 0 and 255) that flips the answer, and the change with the fewest pixels.")
i = chooser_ui(view)
ev = view.evaluation
st.caption(f"Test image #{i} is {words.a(digits[int(ev.labels[i])])}; the network says {digits[int(ev.predicted[i])]} "
           f"with P({digits[1]}) = {ev.proba[i]:.4f}.")
flipui.flip_ui(view, view.pair.x_test[i], ("test", i), key="flip")
