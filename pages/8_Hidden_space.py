"""Hidden space: where each test digit sits for the network, and how the two classes pulled apart."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_hidden, inside, navigation, pagekit, widgets
from ssnn_app.pagesetup import setup_page

setup_page("Hidden space", ":material/scatter_plot:")
st.title("Where each digit sits for the network")


def open_clicked(view) -> None:
    """A click on a digit opens it in the Mistakes page's why-panel."""
    ss = st.session_state
    if pagekit.page_opened():
        ss.pop("_hidden_clicked", None)        # a new visit: any click is new (the chart's state is new too)
    data = widgets.clicked_point("hidden_space", curves=(0, 1))
    if data:
        index = int(data[0])
        if ss.get("_hidden_clicked") != (view.key, index):     # a click, not its selection replayed
            ss["_hidden_clicked"] = (view.key, index)
            ss["inspect_image"] = (view.key[0], index)            # for this run's Mistakes page
            ss["_inspect_fresh"] = True
            ss["w_mistake"] = index
            if navigation.visible("pages/4_Mistakes.py"):
                st.switch_page("pages/4_Mistakes.py")
            st.caption(f"Test image #{index} picked (the Mistakes page is not part of this lesson).")


view = pagekit.require_view("b_hidden_train", pin=True)
if view.pair is None or view.evaluation is None:
    st.error(f"The model is here but the test data is not: {app_data.missing_reason()}")
    st.stop()
digits, n1 = view.hyper.digits, view.hyper.hidden
st.markdown(
    f"Each dot is one of the {view.evaluation.labels.size:,} test digits, placed by what its {n1} hidden "
    f"neuron{'s' if n1 > 1 else ''} output (a1). **Across**: the evidence W2·a1 that the output neuron adds up, so z2 = W2·a1 + b2 and the network "
    f"says **{digits[1]}** right of the dashed line x = −b2 and **{digits[0]}** left of it: the decision boundary is "
    "exactly that line. **Up**: the largest spread of a1 that the output does not look at (the first principal "
    "component of a1 once its part along W2 is taken out). Crosses are mistakes. Click a digit to see why on the "
    "Mistakes page."
)
open_clicked(view)
fit_each = st.toggle("Zoom each frame to fit", key="w_hidden_fit",
                     help="Off: one scale for every frame, so you see the evidence grow. On: each frame fills the "
                          "chart, so you see the shape early on, when all the digits are still close to 0.")
iterations, frames, predicted = inside.hidden_frames(view)
st.plotly_chart(inside.hidden_figure(view, fit_each), key="hidden_space", on_select="rerun", selection_mode="points")

last = frames[-1]
ev = view.evaluation
xr, yr = fig_hidden.ranges([last] if fit_each else frames)
far = fig_hidden.outside(last, xr, yr)
if far.size:
    st.caption(f"{far.size} digit{'s lie' if far.size > 1 else ' lies'} far beyond the others and "
               f"{'are' if far.size > 1 else 'is'} drawn at the chart's edge: "
               + ", ".join(f"#{i} (evidence {last.x[i]:.3g}, spread {last.y[i]:.3g})" for i in far[:8])
               + (" ..." if far.size > 8 else ""))
gap = [float(np.median(last.x[ev.labels == c])) for c in (0, 1)]
st.markdown(
    f"Now (iteration {view.iteration}): the median {digits[0]} sits at evidence **{gap[0]:+.3g}** and the median "
    f"{digits[1]} at **{gap[1]:+.3g}**, the boundary at **{last.boundary:+.3g}**; {ev.errors} of "
    f"{ev.labels.size:,} are on the wrong side. "
    + (f"The vertical axis shows {100 * last.spread:.0f} % of the spread the output ignores."
       if last.axis.any() else "With one hidden neuron there is no other direction: every digit sits on one line."
       if n1 == 1 else "The digits differ in nothing the output ignores (for example, every neuron is dead), so "
       "they all sit on one line.")
)
if len(iterations) < 2:
    st.caption("This model carries no training snapshots (an uploaded model or a shared result), so there is "
               "nothing to replay: train it on the Train page to watch the classes pull apart.")
else:
    st.caption(f"Press ▶ play to replay training: {len(iterations)} moments of the run, iterations "
               f"{iterations[0]} to {iterations[-1]}; each frame is the same test digits through the network as it "
               "was then.")
