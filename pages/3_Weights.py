"""Weights: what each hidden neuron looks for, how it votes, and how its picture formed."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_weights, inside, pagekit, readmodel, widgets
from ssnn_app.i18n import N_, _
from ssnn_app.pagesetup import setup_page

setup_page("Weights", ":material/grid_view:")
st.title(_("What the hidden neurons look for"))


def controls_ui() -> tuple[str, bool]:
    c1, c2 = st.columns([2, 1])
    sorts = {**fig_weights.SORTS, "importance": N_("importance (the Knock out page)")}
    sort = c1.radio(_("Order the tiles by"), list(sorts), format_func=lambda k: _(sorts[k]), horizontal=True,
                    key="w_tiles_sort",
                    help=_("Importance: how much the test error and cost rise when the neuron is switched off alone."))
    per_neuron = c2.toggle(_("One colour scale per neuron"), key="w_tiles_per_neuron",
                           help=_("Off: one scale for all tiles, so strong and weak neurons compare. "
                                  "On: each tile divided by its own largest |weight|, to see every neuron's pattern."))
    return sort, per_neuron


def apply_tile_click(order: np.ndarray) -> None:
    """A click on a tile's label (Plotly selection, trace 1) selects that neuron; read before drawing."""
    event = st.session_state.get("tiles")
    points = [pt for pt in (event.selection.points if event else []) if pt.get("curve_number") == 1]
    if points:
        pt = points[0]
        clicked = int(pt["customdata"] if "customdata" in pt else order[pt["point_index"]])
        if st.session_state.get("_tiles_clicked") != clicked:   # a new click, not a stale selection
            st.session_state["_tiles_clicked"] = clicked
            st.session_state["w_neuron"] = clicked


def order_of(view: readmodel.View, sort: str, W2: np.ndarray) -> np.ndarray:
    """Tile order: by W2 (fig_weights.SORTS), or by importance, the most important neuron first."""
    return inside.importance(view).order() if sort == "importance" else fig_weights.neuron_order(W2, sort)


def tiles_ui(view: readmodel.View, dead: np.ndarray, sort: str, per_neuron: bool) -> None:
    p = view.params
    order = order_of(view, sort, p["W2"])
    apply_tile_click(order)
    fig = fig_weights.tiles_figure(p["W1"], p["W2"], order, per_neuron, dead, view.hyper.digits,
                                   selected=st.session_state.get("w_neuron", 0))
    st.plotly_chart(fig, key="tiles", on_select="rerun", selection_mode="points")


def neuron_ui(view: readmodel.View, dead: np.ndarray) -> None:
    p, digits = view.params, view.hyper.digits
    n1 = p["W2"].shape[1]
    chosen = st.session_state.get("w_neuron", 0)
    if not isinstance(chosen, int) or chosen >= n1:     # another network, or a label of an older model state
        st.session_state["w_neuron"] = 0
    j = st.selectbox(_("Neuron"), range(n1), key="w_neuron",
                     format_func=lambda k: (_("#{k} · W2 {w2:+.3f} · dead") if dead[k] else "#{k} · W2 {w2:+.3f}")
                     .format(k=k, w2=p["W2"][0, k]))
    j = j if isinstance(j, int) else 0
    w2, b1 = float(p["W2"][0, j]), float(p["b1"][j, 0])
    left, right = st.columns([2, 3])
    left.plotly_chart(fig_weights.neuron_figure(p["W1"][j], _("neuron {j}: its 784 weights").format(j=j)),
                      key="neuron_big")
    with right:
        c1, c2, c3 = st.columns(3)
        c1.metric(_("bias b1"), f"{b1:+.4f}")
        c2.metric(_("output weight W2"), f"{w2:+.4f}")
        c3.metric(_("votes for"), _("digit {digit}").format(digit=digits[1] if w2 > 0 else digits[0]))
        if dead[j]:
            st.warning(_("This neuron is **dead**: z1 = W1·x + b1 is below 0 for every training image, so it "
                         "always outputs 0, passes no gradient back, and has stopped learning."))
        a_train = fig_weights.neuron_activations(p["W1"], p["b1"], j, view.scaler, view.pair.x_train, p["W1"].dtype)
        st.plotly_chart(fig_weights.activation_histogram(a_train, view.pair.y_train, digits), key="neuron_hist")
    a_test = fig_weights.activations_on(p["W1"], p["b1"], j, view.X_test)          # (m_test,)
    top = fig_weights.top_images(a_test, 8)
    st.markdown(_("**The test digits that excite neuron {j} most**").format(j=j))
    if top.size == 0:
        st.caption(_("It fires on no test image."))
    for col, i in zip(st.columns(8), top):
        with col:
            label = digits[int(view.pair.y_test[i])]
            widgets.show_digit(view.pair.x_test[i].reshape(28, 28), f"{label} · A1 {a_test[i]:.2f} · #{i}", scale=3)


def replay_ui(view: readmodel.View, sort: str, per_neuron: bool) -> None:
    st.subheader(_("Replay: how the pictures formed"))
    snaps = view.snapshots or []
    if not snaps:
        st.caption(_("No snapshots for this model (uploaded models and shared results carry none): "
                     "train it on the Train page to replay its training."))
        return
    its = [s.iteration for s in snaps]
    it = st.select_slider(_("Iteration"), options=its, value=its[-1], key="w_replay")
    snap = snaps[its.index(it)]
    order = fig_weights.neuron_order(snap.W2, "index" if sort == "importance" else sort)
    st.plotly_chart(fig_weights.tiles_figure(snap.W1, snap.W2, order, per_neuron, digits=view.hyper.digits),
                    key="tiles_replay")


view = pagekit.require_view("b_weights_train")
if view.pair is None:
    st.error(_("The model is here but the data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
digits = view.hyper.digits
st.markdown(_(
    "Each tile is one hidden neuron's 784 input weights, laid out like the 28×28 image. **Red** pixels push the "
    "neuron's output up when they have ink, **blue** ones push it down, white ones hardly matter. The number "
    "above a tile is the neuron's output weight W2: positive (red) means it votes for **{b}**, "
    "negative (blue) for **{a}**. Click a label, or pick a neuron below, to look closer."
).format(a=digits[0], b=digits[1]))
dead = inside.dead(view)   # never fire on the training set; made once per model for every session
if dead.any():
    st.caption(_("{n} of {total} neurons never fire on the training set (greyed out and crossed).").format(
        n=int(dead.sum()), total=dead.size))
sort, per_neuron = controls_ui()
tiles_ui(view, dead, sort, per_neuron)

st.subheader(_("One neuron up close"))
neuron_ui(view, dead)
replay_ui(view, sort, per_neuron)

st.subheader(_("Output weights and biases"))
c1, c2 = st.columns(2)
c1.plotly_chart(fig_weights.bars_figure(view.params["W2"], _("output weight W2"), digits, dead), key="bars_w2")
c2.plotly_chart(fig_weights.bars_figure(view.params["b1"], _("hidden bias b1"), dead=dead), key="bars_b1")
