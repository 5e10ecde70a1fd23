"""Weights: what each hidden neuron looks for, how it votes, and how its picture formed.

At n1 = 300 every interaction stays light (issue #15, item 7; bench/weights.py): the tiles carry no per-pixel
hover data beyond MANY neurons, the figures are sized to their tiles, a neuron's activations are kept per
session, and the replay is a fragment: moving or playing it redraws the replay alone.
"""

import math

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_weights, inside, memo, pagekit, readmodel, viewport, widgets, words
from ssnn_app.i18n import N_, _
from ssnn_app.pagesetup import setup_page

REPLAY_TICK_S = 0.7     # seconds between two frames while the replay plays
REPLAY_STEPS = 24       # frames shown by one play at most (evenly spread; the first and the last always)
REPLAY_SCALES = {"all": N_("one for all frames"), "frame": N_("each frame its own"),
                 "neuron": N_("each neuron its own")}

setup_page("Weights", ":material/grid_view:")
st.title(_("What the hidden neurons look for"))


def controls_ui(names: tuple[str, str]) -> tuple[str, bool]:
    c1, c2 = st.columns([2, 1])
    sorts = {**fig_weights.SORTS, "importance": N_("importance (the Knock out page)")}
    sort = c1.radio(_("Order the tiles by"), list(sorts), horizontal=True,
                    format_func=lambda k: fig_weights.sort_name(k, names) if k in fig_weights.SORTS else _(sorts[k]),
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


def tiles_layout(n: int) -> dict:
    """Width, columns and colour bar of a tiles figure of n neurons, for this reader's screen: laid out for
    FIG_WIDTH on a wide one; on a phone, as wide as the page, fewer columns, the colour bar below."""
    if not viewport.narrow():
        return {"width": fig_weights.FIG_WIDTH}
    width = viewport.content_width(fig_weights.FIG_WIDTH)
    return {"width": width, "cols": fig_weights.narrow_cols(n, width), "colourbar_below": True}


def order_of(view: readmodel.View, sort: str, W2: np.ndarray) -> np.ndarray:
    """Tile order: by W2 (fig_weights.SORTS), or by importance, the most important neuron first."""
    return inside.importance(view).order() if sort == "importance" else fig_weights.neuron_order(W2, sort)


def tiles_ui(view: readmodel.View, dead: np.ndarray, sort: str, per_neuron: bool) -> np.ndarray:
    """The tiles of every neuron; returns their order (the replay keeps it)."""
    p = view.params
    order = order_of(view, sort, p["W2"])
    apply_tile_click(order)
    n1 = p["W2"].shape[1]
    if n1 > fig_weights.MANY:
        st.caption(_("Hover over a tile to see its neuron and output weight W2; click it to look closer."))
    fig = fig_weights.tiles_figure(p["W1"], p["W2"], order, per_neuron, dead, view.names,
                                   selected=st.session_state.get("w_neuron", 0), **tiles_layout(n1))
    st.plotly_chart(fig, key="tiles", on_select="rerun", selection_mode="points", width="content")
    if not per_neuron:
        limit, peak = fig_weights.colour_limit(p["W1"]), float(np.abs(p["W1"]).max())
        if peak > limit:
            st.caption(_("One colour scale for all tiles, up to ±{limit}: the few stronger weights (up to ±{peak}) "
                         "are drawn at full colour, so that weaker neurons do not fade.").format(
                limit=words.weight(limit).lstrip("+"), peak=words.weight(peak).lstrip("+")))
    return order


def neuron_ui(view: readmodel.View, dead: np.ndarray) -> None:
    p, digits = view.params, view.names        # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
    n1 = p["W2"].shape[1]
    chosen = st.session_state.get("w_neuron", 0)
    if not isinstance(chosen, int) or chosen >= n1:     # another network, or a label of an older model state
        st.session_state["w_neuron"] = 0
    j = st.selectbox(_("Neuron"), range(n1), key="w_neuron",
                     format_func=lambda k: (_("#{k} · W2 {w2} · dead") if dead[k] else "#{k} · W2 {w2}")
                     .format(k=k, w2=words.weight(p["W2"][0, k])))
    j = j if isinstance(j, int) else 0
    w2, b1 = float(p["W2"][0, j]), float(p["b1"][j, 0])
    left, right = st.columns([2, 3])
    left.plotly_chart(fig_weights.neuron_figure(p["W1"][j], _("neuron {j}: its 784 weights").format(j=j)),
                      key="neuron_big")
    with right:
        c1, c2, c3 = st.columns(3)
        c1.metric(_("bias b1"), f"{b1:+.4f}")
        c2.metric(_("output weight W2"), words.weight(w2))
        c3.metric(_("votes for"), words.class_label(digits[1] if w2 > 0 else digits[0]))
        if dead[j]:
            st.warning(_("This neuron is **dead**: z1 = W1·x + b1 is below 0 for every training image, so it "
                         "always outputs 0, passes no gradient back, and has stopped learning."))
        a_train = memo.in_session("w_neuron_train", (view.key, j), lambda: fig_weights.neuron_activations(
            p["W1"], p["b1"], j, view.scaler, view.pair.x_train, p["W1"].dtype))
        st.plotly_chart(fig_weights.activation_histogram(a_train, view.pair.y_train, digits), key="neuron_hist")
    a_test = fig_weights.activations_on(p["W1"], p["b1"], j, view.X_test)          # (m_test,)
    top = fig_weights.top_images(a_test, 8)
    st.markdown((_("**The test digits that excite neuron {j} most**") if view.digit_words else
                 _("**The test images that excite neuron {j} most**")).format(j=j))
    if top.size == 0:
        st.caption(_("It fires on no test image."))
    for cell, i in zip(widgets.gallery_cells(len(top)), top):
        with cell:
            label = digits[int(view.pair.y_test[i])]
            widgets.show_digit(view.pair.x_test[i].reshape(28, 28), f"{label} · A1 {a_test[i]:.2f} · #{i}", scale=3)


def replay_limit(view: readmodel.View, path: list, shown: np.ndarray) -> float:
    """One colour scale for every frame of the replay (the largest of the frames' own), once per model state."""
    return memo.in_session("w_replay_limit", (view.key, shown.tobytes()),
                           lambda: max(fig_weights.colour_limit(params["W1"][shown]) for _, params in path))


def _play() -> None:
    its = st.session_state.get("_w_replay_its") or []
    if st.session_state.get("w_replay_playing"):
        st.session_state["w_replay_playing"] = False
    else:
        if its and st.session_state.get("w_replay") == its[-1]:   # at the end: play from the start
            st.session_state["w_replay"] = its[0]
        st.session_state["w_replay_playing"] = True
        st.session_state["_w_replay_hold"] = True                 # show this frame first, then move on


def _stop() -> None:
    """The slider moved by hand: stop playing (and the page reruns once, to stop the fragment's timer)."""
    if st.session_state.get("w_replay_playing"):
        st.session_state["w_replay_playing"] = False
        st.session_state["_w_replay_stopped"] = True


def replay_ui(view: readmodel.View, order: np.ndarray) -> None:
    """The run's snapshots and its final state, in the tiles' order (the first MANY tiles of a larger network:
    light enough to play, large enough to see); a slider, a play button, one colour scale for all frames by
    default. A fragment: moving or playing it redraws the replay alone."""
    st.subheader(_("Replay: how the pictures formed"))
    if not view.snapshots:
        st.caption(_("No snapshots for this model (uploaded models and shared results carry none): "
                     "train it on the Train page to replay its training."))
        return
    path = inside.states(view)               # the snapshots, then the model as it is now: the last frame is final
    its = [it for it, _ in path]
    st.session_state["_w_replay_its"] = its
    if st.session_state.get("w_replay") not in its:
        st.session_state["w_replay"] = its[-1]
    playing = bool(st.session_state.get("w_replay_playing"))
    shown = np.asarray(order[:fig_weights.MANY])
    if shown.size < order.size:
        st.caption(_("The replay shows the first {shown} of the {n1} tiles above, in their order (order them by "
                     "|output weight| to watch the strongest neurons form).").format(shown=shown.size, n1=order.size))

    @st.fragment(run_every=REPLAY_TICK_S if playing else None)
    def replay() -> None:
        label = _("Pause") if st.session_state.get("w_replay_playing") else _("Play")
        c1, c2, c3 = st.columns([1, 4, 3], vertical_alignment="bottom")
        if c1.button(label, key="b_w_replay_play", on_click=_play,
                     icon=":material/pause:" if st.session_state.get("w_replay_playing") else ":material/play_arrow:"):
            st.rerun()                            # the whole page: start (or stop) the fragment's timer
        if st.session_state.pop("_w_replay_stopped", False):
            st.rerun()
        if st.session_state.get("w_replay_playing") and not st.session_state.pop("_w_replay_hold", False):
            k = its.index(st.session_state["w_replay"])
            st.session_state["w_replay"] = its[min(k + max(1, math.ceil((len(its) - 1) / REPLAY_STEPS)),
                                                   len(its) - 1)]
        ended = st.session_state.get("w_replay_playing") and st.session_state["w_replay"] == its[-1]
        if ended:
            st.session_state["w_replay_playing"] = False
        c2.select_slider(_("Iteration"), options=its, key="w_replay", on_change=_stop)
        scale = c3.radio(_("Colour scale"), list(REPLAY_SCALES), key="w_replay_scale", horizontal=True,
                         format_func=lambda k: _(REPLAY_SCALES[k]),
                         help=_("One for all frames: the same colours mean the same weight in every frame, "
                                "so you see the weights grow."))
        it, params = path[its.index(st.session_state["w_replay"])]
        limit = replay_limit(view, path, shown) if scale == "all" else None
        st.plotly_chart(fig_weights.tiles_figure(params["W1"][shown], params["W2"][:, shown], None, scale == "neuron",
                                                 digits=view.names, ids=shown, limit=limit,
                                                 **tiles_layout(shown.size)),
                        key="tiles_replay", width="content")
        st.caption(_("Iteration {it} of {last}.").format(it=it, last=its[-1]) if it != its[-1] else
                   _("Iteration {it}: the model as it is now.").format(it=it))
        if ended:
            st.rerun()                            # the whole page once more: no timer left ticking

    replay()


view = pagekit.require_view("b_weights_train")
if view.pair is None:
    st.error(_("The model is here but the data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
digits = view.names
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
sort, per_neuron = controls_ui(digits)
tile_order = tiles_ui(view, dead, sort, per_neuron)

st.subheader(_("One neuron up close"))
neuron_ui(view, dead)
replay_ui(view, tile_order)

st.subheader(_("Output weights and biases"))
c1, c2 = st.columns(2)
c1.plotly_chart(fig_weights.bars_figure(view.params["W2"], _("output weight W2"), digits, dead), key="bars_w2")
c2.plotly_chart(fig_weights.bars_figure(view.params["b1"], _("hidden bias b1"), dead=dead), key="bars_b1")
