"""Landscape: the cost along the straight line from the start to the trained network, and a 2-D slice."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_landscape, inside, pagekit
from ssnn_app.i18n import N_, _
from ssnn_app.pagesetup import setup_page
from ssnn_core.network import n_params

setup_page(N_("Landscape"), ":material/landscape:")
st.title(_("The cost landscape: what training moved through"))

SPANS = [0.25, 0.5, 1.0, 2.0]
STEPS = {15: N_("15 × 15 (quick)"), 25: "25 × 25", 41: N_("41 × 41 (fine)")}
KINDS = {"random": N_("two random directions (filter-normalised)"), "path": N_("the training path's own directions")}


def line_note(ln, view) -> str:
    inside_ = (ln.alphas >= 0) & (ln.alphas <= 1)
    c = ln.costs[inside_]
    falls = bool(np.all(np.diff(c) < 0))
    ends = {"start": ln.cost_at(0), "end": ln.cost_at(1)}
    say = (_("From the start (a = 0, cost {start:.4g}) to the trained network (a = 1, cost {end:.4g}) the cost "
             "**falls all the way**: walking straight there, training would never have had to climb. ")
           if falls else
           _("From the start (a = 0, cost {start:.4g}) to the trained network (a = 1, cost {end:.4g}) the cost "
             "**does not fall all the way**: the straight path crosses a hill. ")).format(**ends)
    say += (_("Over the whole range drawn the curve is convex. ") if ln.is_convex() else
            _("The curve is **not convex** (it bends both ways), yet it has no bump between start and end. ")
            if falls else _("The curve is not convex. "))
    if ln.path_iteration.size > 2:
        k = 1
        it, a, cost = int(ln.path_iteration[k]), float(ln.path_alpha[k]), float(ln.path_cost[k])
        line_cost = float(np.interp(a, ln.alphas, ln.costs))
        if np.isfinite(cost):
            say += _("The run itself did not walk the line: after {it} iterations it was already {a:.2f} of the way "
                     "(projected), {off:.0f} % of the line's length off it, with cost {cost:.4g} "
                     "where the line has {line_cost:.4g}.").format(it=it, a=a, off=100 * ln.path_off[k], cost=cost,
                                                                   line_cost=line_cost)
    return say


def line_ui(view) -> None:
    st.subheader(_("The straight line from start to finish"))
    st.markdown(_("Every weight and bias moves at once from its initial value (a = 0) straight to its trained value "
                  "(a = 1): θ(a) = (1 − a)·θ₀ + a·θ₁, from a = −0.5 to 1.5 (Goodfellow, Vinyals & Saxe, 2015). "
                  "The dots are the run's own states, placed where they project onto the line, with the cost "
                  "the run recorded there."))
    ln = inside.line(view)
    log_y = st.toggle(_("Log scale for the cost"), value=True, key="w_land_log")
    st.plotly_chart(fig_landscape.line_figure(ln, log_y, view.iteration), key="land_line")
    st.markdown(line_note(ln, view))
    if view.snapshots and view.snapshots[0].iteration == 0:
        st.caption(_("Costs on all {m:,} training images, in float64. |θ₁ − θ₀| = {length:.4g}.").format(
            m=ln.m, length=ln.length))
    else:
        st.caption(_("Costs on all {m:,} training images, in float64. |θ₁ − θ₀| = {length:.4g}. This model carries "
                     "no record of its start, so θ₀ is the seeded initialisation (seed {seed}) it would have started "
                     "from, and the run's own states are not known.").format(m=ln.m, length=ln.length,
                                                                            seed=view.hyper.seed))


def slice_controls(view) -> tuple[str, int, float, int]:
    c1, c2, c3, c4 = st.columns([3, 1, 1, 2])
    kind = c1.radio(_("Directions"), list(KINDS), format_func=lambda k: _(KINDS[k]), key="w_land_dirs",
                    horizontal=True)
    seed = c2.number_input(_("Seed"), 0, 10_000, 0, key="w_land_seed", disabled=kind != "random",
                           help=_("Seeds the two random directions."))
    span = c3.select_slider(_("Range ±"), SPANS, value=1.0, key="w_land_span", disabled=kind != "random",
                            help=_("How far along each direction: 1 moves every neuron's weights by their own size."))
    steps = c4.radio(_("Grid"), list(STEPS), format_func=lambda s: _(STEPS[s]), index=1, key="w_land_steps",
                     horizontal=True)
    return kind, int(seed), float(span), int(steps)


def axis_titles(kind: str, seed: int, view) -> tuple[str, str]:
    if kind == "random":
        title = _("random direction {k} (seed {seed})")
        return title.format(k=1, seed=seed), title.format(k=2, seed=seed)
    _d1, _d2, share = inside.path_directions(view)
    title = _("path direction {k} ({share:.0f} % of its spread)")
    return title.format(k=1, share=100 * share[0]), title.format(k=2, share=100 * share[1])


def slice_ui(view) -> None:
    st.subheader(_("A slice through the landscape"))
    st.markdown(_("The cost around the trained network (the centre), over a plane through it. **Random directions** "
                  "are drawn per neuron at the size of that neuron's own weights (Li et al., NeurIPS 2018), so one "
                  "unit is a change as large as the weights. **The path's own directions** are the two along which "
                  "the run's states spread most: the plane the training path lies closest to."))
    kind, seed, span, steps = slice_controls(view)
    if kind == "path":
        try:
            inside.path_directions(view)
        except ValueError:
            st.info(_("This model's training path does not span two directions: it has fewer than two saved "
                      "states (an uploaded model or a shared result carries none), or it moved along one line only "
                      "(a very short run, or a network whose neurons never fire). Use random directions, or "
                      "train it longer on the Train page."))
            return
    bar = st.progress(0.0, text=_("Computing the slice..."))
    computing = _("Computing the slice: {fraction:.0%}")     # translated here: the callback may run elsewhere
    sl = inside.slice_(view, kind, seed, span, steps,
                       progress=lambda f: bar.progress(f, text=computing.format(fraction=f)))
    bar.empty()
    st.plotly_chart(fig_landscape.slice_figure(sl, axis_titles(kind, seed, view)), key="land_slice")
    lowest = np.unravel_index(np.argmin(sl.costs), sl.costs.shape)
    off = float(np.median(sl.path_off[:-1])) if sl.path_off.size > 1 else None
    computed_on = (_("Computed on all training images.") if sl.m == len(view.pair.y_train) else
                   _("Computed on a fixed sample of {m:,} of the training images.").format(m=sl.m))
    st.markdown(_("Cost at the centre **{centre:.4g}**; lowest in this slice **{lowest:.4g}** at "
                  "({a:.2g}, {b:.2g}); highest {highest:.4g}. {computed_on}").format(
        centre=sl.centre_cost, lowest=sl.costs[lowest], a=sl.alphas[lowest[1]], b=sl.betas[lowest[0]],
        highest=sl.costs.max(), computed_on=computed_on))
    n = n_params(view.hyper.hidden)
    text = _("**What a slice can and cannot show.** The network has {n:,} numbers, so this "
             "plane is 2 directions out of {n:,}. It shows the shape of the cost along "
             "those two only: a valley here may be a ridge along a direction not drawn, and a slice never proves "
             "there is no better minimum elsewhere. ").format(n=n)
    if off is not None:
        text += (_("The training path is drawn where it projects; about {off:.0f} % of a typical state's "
                   "distance from the centre lies off this plane (random directions in so many dimensions are "
                   "almost at right angles to the path, so it shrinks to a short squiggle near the centre: pick "
                   "the path's own directions to see it).") if kind == "random" else
                 _("The training path is drawn where it projects; about {off:.0f} % of a typical state's "
                   "distance from the centre lies off this plane.")).format(off=100 * off)
    st.info(text, icon=":material/info:")


view = pagekit.require_view("b_land_train", pin=True)
if view.pair is None:
    st.error(_("The model is here but the training data is not: {reason}").format(reason=app_data.missing_reason()))
    st.stop()
line_ui(view)
slice_ui(view)
