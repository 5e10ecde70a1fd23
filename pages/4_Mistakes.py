"""Mistakes: the test digits the network gets wrong (or nearly wrong), and why."""

import numpy as np
import streamlit as st

from ssnn_app import classes, fig_mistakes, numbersui, pagekit, readmodel, scrollto, viewport, widgets, words
from ssnn_app import data as app_data
from ssnn_app.i18n import _
from ssnn_app.pagesetup import setup_page
from ssnn_core import explain
from ssnn_core.inspect import blank_pixel_ink

setup_page("Mistakes", ":material/search_insights:")
st.title(_("The digits it gets wrong, and why") if classes.are_digits() else _("The images it gets wrong, and why"))


def caption(view: readmodel.View, i: int) -> str:
    digits, ev = view.names, view.evaluation
    return _("true {digit} · P({digit_b}) {p:.3f} · #{i}").format(digit=digits[int(ev.labels[i])], digit_b=digits[1],
                                                                 p=ev.proba[i], i=i)


def open_why(i: int) -> None:
    st.session_state["w_mistake"] = int(i)        # the why-panel below opens on it
    scrollto.request("why")                       # and the page scrolls down to it


def gallery(view: readmodel.View, indices: np.ndarray, where: str) -> None:
    """Crisp images in rows that wrap to the screen's width, each captioned with its true digit, P(digit B) and
    test index, with a button that opens it in the why-panel."""
    for cell, i in zip(widgets.gallery_cells(len(indices)), indices):
        with cell:
            widgets.show_digit(view.pair.x_test[i].reshape(28, 28), caption(view, int(i)), scale=3)
            st.button(_("Why?"), key=f"b_why_{where}_{int(i)}", on_click=open_why, args=(int(i),),
                      help=_("Open test image #{i} in the why-panel below").format(i=int(i)), type="tertiary")


def gallery_ui(view: readmodel.View) -> np.ndarray:
    digits, ev = view.names, view.evaluation       # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
    wrong = ev.misclassified
    st.markdown(_("**{errors}** of {m:,} test images are misclassified (error rate {rate:.3f} %). P({digit_b}) is "
                  "the network's probability that the image is {a_digit_b}; above 0.5 it says {digit_b}, "
                  "otherwise {digit_a}.").format(errors=ev.errors, m=ev.labels.size, rate=100 * ev.error_rate,
                                                 digit_b=digits[1], a_digit_b=words.a(digits[1]), digit_a=digits[0]))
    if wrong.size == 0:
        st.success(_("No mistakes at all on the test set. The nearly-wrong digits below are the closest calls.")
                   if view.digit_words else
                   _("No mistakes at all on the test set. The nearly-wrong images below are the closest calls."))
        return wrong
    c1, c2 = st.columns(2)
    sort = c1.radio(_("Order"), list(fig_mistakes.SORTS), format_func=lambda k: _(fig_mistakes.SORTS[k]),
                    horizontal=True, key="w_mistakes_sort")
    shown_classes = {"all": _("all"), 0: _("true {digit}").format(digit=digits[0]),
                     1: _("true {digit}").format(digit=digits[1])}
    true_class = c2.radio(_("Show"), list(shown_classes), format_func=shown_classes.get, horizontal=True,
                          key="w_mistakes_class")
    shown = fig_mistakes.gallery_order(wrong, ev.proba, ev.labels, sort, None if true_class == "all" else true_class)
    if shown.size == 0:
        st.caption(_("No mistakes of this kind."))
    elif shown.size > fig_mistakes.GALLERY_CAP:
        st.caption(_("Showing the first {cap} of {n}.").format(cap=fig_mistakes.GALLERY_CAP, n=shown.size))
    shown = shown[:fig_mistakes.GALLERY_CAP]
    gallery(view, shown, "wrong")
    return shown


def blank_pixels_ui(view: readmodel.View, i: int, ink: np.ndarray) -> None:
    """Say plainly when pixels that no training image ever inked are behind the answer."""
    raw = view.pair.x_test[i]
    where, level, value = _("pixel (row, col)"), _("ink (0-255)"), _("standardised value")
    rows = [{where: f"({k // 28}, {k % 28})", level: int(raw[k]), value: f"{float(view.X_test[k, i]):.3g}"}
            for k in ink]
    if view.scaler.mode == "seed":
        st.error(_("**Blank pixels are to blame.** {n} pixel(s) of this image (circled) have ink where every "
                   "training image is blank. Their training standard deviation is 0, and the article's scaling "
                   "divides by std + 1e-9, so the ink is multiplied by about a billion: these inputs swamp "
                   "everything else the network sees. With the safe scaling (std 0 replaced by 1) this digit is "
                   "not a problem.").format(n=ink.size))
    else:
        st.info(_("{n} pixel(s) of this image (circled) have ink where every training image is blank. "
                  "Safe scaling divides them by 1, and their weights never trained (they are still the tiny "
                  "initial values), so they matter little here; the article's scaling would blow them up.").format(
                      n=ink.size))
    st.dataframe(rows, hide_index=True, key="blank_table")


def why_ui(view: readmodel.View, i: int) -> None:
    digits = view.names
    e = explain(view.params, view.X_test[:, i])
    said = digits[1] if e.z2 > 0 else digits[0]
    truth = digits[int(view.evaluation.labels[i])]
    verdict = _("correct") if said == truth else _("wrong")
    st.markdown(_("Test image **#{i}** is {article} **{truth}**. The network computes the logit **z2 = {z2:+.4g}**, "
                  "so P({digit_b}) = sigmoid(z2) = **{proba:.4g}** and it says **{said}** ({verdict}). "
                  "z2 is the sum of every hidden neuron's vote W2[j]·A1[j] plus the bias b2:").format(
                      i=i, article=words.article(truth), truth=truth, z2=e.z2, digit_b=digits[1], proba=e.proba,
                      said=said, verdict=verdict))
    ink = blank_pixel_ink(view.pair.x_test[i], view.scaler.blank)
    left, mid, right = st.columns([1, 1, 2])
    left.plotly_chart(fig_mistakes.digit_figure(view.pair.x_test[i], ink,
                                                title=_("#{i}, true {digit}").format(i=i, digit=truth)),
                      key="why_digit")
    mid.plotly_chart(fig_mistakes.gradient_figure(e.input_gradient), key="why_gradient")
    right.plotly_chart(fig_mistakes.waterfall_figure(e.contributions, e.b2, e.z2, digits, narrow=viewport.narrow()),
                       key="why_waterfall")
    st.caption(_("The gradient map shows how z2 would change if a pixel's (standardised) value grew: red pixels "
                 "push towards {digit_b}, blue ones towards {digit_a}. Only neurons that fire for this image "
                 "pass a gradient back.").format(digit_b=digits[1], digit_a=digits[0]))
    if ink.size:
        blank_pixels_ui(view, i, ink)
    numbersui.numbers_ui(view.params, view.X_test[:, i], e, digits, key="w_mistake_neuron")


view = pagekit.require_view("b_mistakes_train", pin=True)
if view.pair is None or view.evaluation is None:
    st.error(_("The model is here but the test data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
shown = gallery_ui(view)
nearly = view.evaluation.nearly_wrong(20)
st.subheader(_("Nearly wrong"))
st.caption(_("Correctly classified test digits whose probability is closest to 0.5: the next mistakes waiting "
             "to happen.") if view.digit_words else
           _("Correctly classified test images whose probability is closest to 0.5: the next mistakes waiting "
             "to happen."))
gallery(view, nearly, "nearly")

scrollto.here("why")
st.subheader(_("Why?"))
options = [int(i) for i in shown] + [int(i) for i in nearly if i not in set(shown.tolist())]
if pagekit.page_opened() and not st.session_state.pop("_inspect_fresh", False):
    st.session_state.pop("inspect_image", None)         # an earlier visit's pick: not this one's
pick = st.session_state.get("inspect_image")            # (run id, test index) clicked on Hidden space
picked = pick[1] if isinstance(pick, tuple) and pick[0] == view.key[0] else None
if picked is not None and 0 <= picked < view.evaluation.labels.size and picked not in options:
    options.insert(0, picked)
if st.session_state.get("w_mistake") not in options:
    st.session_state.pop("w_mistake", None)


def describe(k: int) -> str:
    ev = view.evaluation
    parts = [caption(view, k)]
    if ev.predicted[k] != ev.labels[k]:
        parts.append(_("wrong"))
    elif k in set(nearly.tolist()):
        parts.append(_("nearly wrong"))
    if k == picked:
        parts.append(_("picked"))
    return " · ".join(parts)


i = st.selectbox(_("Test image"), options, key="w_mistake", format_func=describe)
i = i if isinstance(i, int) else options[0]     # a label of another model state matches no option
why_ui(view, int(i))
