"""Hidden space: where each test digit sits for the network, and how the two classes pulled apart."""

import numpy as np
import streamlit as st

from ssnn_app import classes, fig_hidden, inside, navigation, pagekit, scrollto, widgets
from ssnn_app import data as app_data
from ssnn_app.i18n import N_, _, ngettext
from ssnn_app.pagesetup import setup_page

setup_page(N_("Hidden space"), ":material/scatter_plot:")
st.title(_("Where each digit sits for the network") if classes.are_digits() else
         _("Where each image sits for the network"))


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
                scrollto.request("why")                           # opened at its why-panel
                st.switch_page("pages/4_Mistakes.py")
            st.caption(_("Test image #{index} picked (the Mistakes page is not part of this lesson).").format(
                index=index))


view = pagekit.require_view("b_hidden_train", pin=True)
if view.pair is None or view.evaluation is None:
    st.error(_("The model is here but the test data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
digits, n1 = view.names, view.hyper.hidden          # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
digit_words = view.digit_words
if digit_words:
    each_dot = ngettext("Each dot is one of the {m:,} test digits, placed by what its {n1} hidden neuron output (a1).",
                        "Each dot is one of the {m:,} test digits, placed by what its {n1} hidden neurons output (a1).",
                        n1).format(m=view.evaluation.labels.size, n1=n1)
    about = _("{each_dot} **Across**: the evidence W2·a1 that the output neuron adds up, so z2 = W2·a1 + b2 and the "
              "network says **{d1}** right of the dashed line x = −b2 and **{d0}** left of it: the decision boundary "
              "is exactly that line. **Up**: the largest spread of a1 that the output does not look at (the first "
              "principal component of a1 once its part along W2 is taken out). Crosses are mistakes. Click a digit "
              "to see why on the Mistakes page.")
else:
    each_dot = ngettext("Each dot is one of the {m:,} test images, placed by what its {n1} hidden neuron output (a1).",
                        "Each dot is one of the {m:,} test images, placed by what its {n1} hidden neurons output (a1).",
                        n1).format(m=view.evaluation.labels.size, n1=n1)
    about = _("{each_dot} **Across**: the evidence W2·a1 that the output neuron adds up, so z2 = W2·a1 + b2 and the "
              "network says **{d1}** right of the dashed line x = −b2 and **{d0}** left of it: the decision boundary "
              "is exactly that line. **Up**: the largest spread of a1 that the output does not look at (the first "
              "principal component of a1 once its part along W2 is taken out). Crosses are mistakes. Click a dot "
              "to see why on the Mistakes page.")
st.markdown(about.format(each_dot=each_dot, d0=digits[0], d1=digits[1]))
open_clicked(view)
fit_each = st.toggle(_("Zoom each frame to fit"), key="w_hidden_fit",
                     help=_("Off: one scale for every frame, so you see the evidence grow. On: each frame fills the "
                            "chart, so you see the shape early on, when all the digits are still close to 0.")
                     if digit_words else
                     _("Off: one scale for every frame, so you see the evidence grow. On: each frame fills the "
                       "chart, so you see the shape early on, when all the images are still close to 0."))
iterations, frames, predicted = inside.hidden_frames(view)
st.plotly_chart(inside.hidden_figure(view, fit_each), key="hidden_space", on_select="rerun", selection_mode="points")

last = frames[-1]
ev = view.evaluation
xr, yr = fig_hidden.ranges([last] if fit_each else frames)
far = fig_hidden.outside(last, xr, yr)
if far.size:
    item = _("#{i} (evidence {x:.3g}, spread {y:.3g})")
    items = ", ".join(item.format(i=i, x=last.x[i], y=last.y[i]) for i in far[:8]) + (" ..." if far.size > 8 else "")
    st.caption((ngettext("{n} digit lies far beyond the others and is drawn at the chart's edge: {items}",
                         "{n} digits lie far beyond the others and are drawn at the chart's edge: {items}",
                         far.size) if digit_words else
                ngettext("{n} image lies far beyond the others and is drawn at the chart's edge: {items}",
                         "{n} images lie far beyond the others and are drawn at the chart's edge: {items}",
                         far.size)).format(n=far.size, items=items))
gap = [float(np.median(last.x[ev.labels == c])) for c in (0, 1)]
st.markdown(
    _("Now (iteration {it}): the median {d0} sits at evidence **{g0:+.3g}** and the median "
      "{d1} at **{g1:+.3g}**, the boundary at **{boundary:+.3g}**; {errors} of "
      "{m:,} are on the wrong side. ").format(it=view.iteration, d0=digits[0], g0=gap[0], d1=digits[1], g1=gap[1],
                                              boundary=last.boundary, errors=ev.errors, m=ev.labels.size)
    + (_("The vertical axis shows {spread:.0f} % of the spread the output ignores.").format(spread=100 * last.spread)
       if last.axis.any() else
       (_("With one hidden neuron there is no other direction: every digit sits on one line.") if digit_words else
        _("With one hidden neuron there is no other direction: every image sits on one line."))
       if n1 == 1 else
       (_("The digits differ in nothing the output ignores (for example, every neuron is dead), so "
          "they all sit on one line.") if digit_words else
        _("The images differ in nothing the output ignores (for example, every neuron is dead), so "
          "they all sit on one line.")))
)
if len(iterations) < 2:
    st.caption(_("This model carries no training snapshots (an uploaded model or a shared result), so there is "
                 "nothing to replay: train it on the Train page to watch the classes pull apart."))
else:
    st.caption((_("Press ▶ play to replay training: {n} moments of the run, iterations "
                  "{first} to {last}; each frame is the same test digits through the network as it "
                  "was then.") if digit_words else
                _("Press ▶ play to replay training: {n} moments of the run, iterations "
                  "{first} to {last}; each frame is the same test images through the network as it "
                  "was then.")).format(n=len(iterations), first=iterations[0], last=iterations[-1]))
