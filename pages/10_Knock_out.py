"""Knock out: switch hidden neurons off or scale one's vote, on a copy, and see what changes."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_knockout, fig_train, fig_weights, inside, navigation, pagekit, widgets
from ssnn_app.i18n import N_, _, ngettext
from ssnn_app.pagesetup import setup_page

setup_page(N_("Knock out"), ":material/block:")
st.title(_("Which neurons matter: knock them out"))
SHOWN = 20                  # changed digits drawn at most per list
UNEDITED = {"w_ko_off": [], "w_ko_neuron": 0, "w_ko_scale": 1.0}


def restore() -> None:
    """Every control back to 'as trained' (assigned, not removed: the browser keeps a removed value)."""
    st.session_state.update(UNEDITED)


def set_off(neurons) -> None:
    st.session_state["w_ko_off"] = sorted(int(j) for j in neurons)


def label(j: int) -> str:
    return f"#{j}"          # fixed labels: a run that trains changes W2, not the options


def controls_ui(view, imp, dead) -> tuple[tuple, tuple]:
    n1 = view.hyper.hidden
    ss = st.session_state
    off_now, j_now = ss.get("w_ko_off", []), ss.get("w_ko_neuron", 0)
    if not (isinstance(off_now, list) and all(isinstance(j, int) and 0 <= j < n1 for j in off_now)
            and isinstance(j_now, int) and 0 <= j_now < n1):
        restore()                                           # another network: the old choice means nothing
    for key, value in UNEDITED.items():
        ss.setdefault(key, value)
    top = imp.order()
    c1, c2, c3, c4 = st.columns(4)
    k = min(3, n1)
    c1.button(_("Off: the {k} most important").format(k=k) if k > 1 else _("Off: the most important"),
              on_click=set_off, args=(top[:k],), key="b_ko_top")
    c2.button(_("Off: all but the most important"), on_click=set_off, args=(top[1:],), key="b_ko_rest",
              disabled=n1 == 1)
    n_dead = int(dead.sum())
    c3.button(ngettext("Off: the {n:,} dead one", "Off: the {n:,} dead ones", n_dead).format(n=n_dead)
              if dead.any() else _("No dead neurons"),
              on_click=set_off, args=(np.flatnonzero(dead),), key="b_ko_dead", disabled=not dead.any())
    c4.button(_("Restore the model"), on_click=restore, type="primary", key="b_ko_restore", icon=":material/undo:")
    off = st.multiselect(_("Neurons switched off"), range(n1), key="w_ko_off", format_func=label,
                         placeholder=_("none: every neuron is on"))
    c1, c2 = st.columns([1, 2])
    j = c1.selectbox(_("Scale the vote of neuron"), range(n1), key="w_ko_neuron", format_func=label)
    s = c2.slider(_("multiply W2[{j}] (now {w:+.3f}) by").format(j=j, w=view.params['W2'][0, j]), -3.0, 3.0, step=0.1,
                  key="w_ko_scale",
                  help=_("1 leaves it as trained, 0 knocks it out, −1 makes it vote for the other digit.")
                  if view.digit_words else
                  _("1 leaves it as trained, 0 knocks it out, −1 makes it vote for the other class."))
    return tuple(sorted(int(k) for k in off)), (((int(j), float(s)),) if s != 1.0 else ())


def result_ui(view, w, edited: bool) -> None:
    digits = view.names                     # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
    b, a = w.before, w.after
    changed = edited and (a.errors != b.errors or w.cost_after != w.cost_before)
    delta = (lambda text: text) if changed else (lambda text: None)   # no arrows while nothing changed
    c1, c2, c3 = st.columns(3)
    c1.metric(_("test error"), f"{100 * a.error_rate:.3f} %",
              delta(_("{points:+.3f} points").format(points=100 * (a.error_rate - b.error_rate))),
              delta_color="inverse")
    c2.metric(_("mistakes"), _("{errors} of {m:,}").format(errors=a.errors, m=a.labels.size),
              delta(f"{a.errors - b.errors:+d}"), delta_color="inverse")
    c3.metric(_("test cost"), f"{w.cost_after:.4g}", delta(f"{w.cost_after - w.cost_before:+.3g}"),
              delta_color="inverse")
    left, right = st.columns([1, 2])
    left.plotly_chart(fig_train.confusion_figure(a.confusion(), digits), key="ko_confusion")
    with right:
        headings = ((_("**{n} test digits became wrong**"), _("**{n} test digits became right**")) if view.digit_words
                    else (_("**{n} test images became wrong**"), _("**{n} test images became right**")))
        for heading, idx in zip(headings, (w.became_wrong, w.became_right)):
            st.markdown(heading.format(n=idx.size))
            if idx.size:
                for col, i in zip(st.columns(10), idx[:SHOWN // 2]):
                    with col:
                        widgets.show_digit(view.pair.x_test[i].reshape(28, 28),
                                           f"{digits[int(a.labels[i])]} · P {a.proba[i]:.2f} · #{i}", scale=2)
                if idx.size > SHOWN // 2:
                    more = ", ".join(f"#{i}" for i in idx[SHOWN // 2:60]) + (" ..." if idx.size > 60 else "")
                    st.caption(_("and {n} more: {items}").format(n=idx.size - SHOWN // 2, items=more))


def importance_ui(view, imp, off) -> None:
    st.subheader(_("Importance: each neuron knocked out alone"))
    p, digits = view.params, view.names
    fig = fig_knockout.importance_figure(imp, p["W2"], digits, off)
    st.plotly_chart(fig, key="ko_importance", on_select="rerun", selection_mode="points")
    data = widgets.clicked_point("ko_importance")
    order = imp.order()
    if data:                             # kept: the chart's selection resets whenever the chart changes
        st.session_state["_ko_look"] = (view.key[0], int(data[0]))
    looked = st.session_state.get("_ko_look")
    j = looked[1] if looked and looked[0] == view.key[0] and looked[1] < view.hyper.hidden else int(order[0])
    worst = order[0]
    st.markdown(_("Without neuron **#{worst}** the test error would be **{error:.3f} %** and the "
                  "test cost **{cost:.4g}** (with every neuron on: {base_error:.3f} %, "
                  "{base_cost:.4g}). Neurons are ranked by the error they leave, then by the cost. ").format(
                    worst=worst, error=100 * imp.error_rate[worst], cost=imp.cost[worst],
                    base_error=100 * imp.base_error_rate, base_cost=imp.base_cost)
                + (_("Every neuron is dead (none fires on any training image), so the answer is the bias b2 alone, "
                     "with or without them.") if inside.dead(view).all() else
                   _("No single neuron matters on its own: the others make up for any one of them.")
                   if imp.error_rate[worst] <= imp.base_error_rate and imp.cost[worst] <= imp.base_cost else
                   _("Its tile is the one to look at first. Click a bar to look at another neuron.")))
    if view.hyper.hidden > fig_knockout.IMPORTANCE_BARS:
        st.caption(_("The {bars} most important of {n1} neurons are drawn.").format(
            bars=fig_knockout.IMPORTANCE_BARS, n1=view.hyper.hidden))
    top = order[:8]
    left, right = st.columns([3, 2])
    dead = inside.dead(view)
    left.markdown(ngettext("**The tiles of the {n:,} most important neuron**, most important first",
                           "**The tiles of the {n:,} most important neurons**, most important first",
                           top.size).format(n=top.size))
    left.plotly_chart(fig_weights.tiles_figure(p["W1"][top], p["W2"][:, top], digits=digits, ids=top, cols=4,
                                               height=420, dead=dead[top]),
                      key="ko_tiles")
    with right:
        st.plotly_chart(fig_weights.neuron_figure(p["W1"][j], _("neuron {j}: its 784 weights").format(j=j),
                                                  height=300),
                        key="ko_neuron")
        if navigation.visible("pages/3_Weights.py") and st.button(
                _("Open neuron #{j} on the Weights page").format(j=j), key="b_ko_weights",
                icon=":material/open_in_new:"):
            st.session_state["w_neuron"] = j
            st.switch_page("pages/3_Weights.py")


view = pagekit.require_view("b_ko_train", pin=True)
if view.pair is None or view.evaluation is None:
    st.error(_("The model is here but the test data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
st.markdown(_("Switch hidden neurons off, or turn one neuron's vote up, down or around, and see at once what the "
              "network would get right and wrong. This is a **what-if on a copy**: the trained model is never "
              "changed, and *Restore the model* puts every neuron back."))
imp = inside.importance(view)
dead = inside.dead(view)
off, scale = controls_ui(view, imp, dead)
result_ui(view, inside.what_if(view, off, scale), bool(off or scale))
importance_ui(view, imp, off)
