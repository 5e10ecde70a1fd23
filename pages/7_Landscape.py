"""Landscape: the cost along the straight line from the start to the trained network, and a 2-D slice."""

import numpy as np
import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_landscape, inside, pagekit
from ssnn_app.pagesetup import setup_page
from ssnn_core.network import n_params

setup_page("Landscape", ":material/landscape:")
st.title("The cost landscape: what training moved through")

SPANS = [0.25, 0.5, 1.0, 2.0]
STEPS = {15: "15 × 15 (quick)", 25: "25 × 25", 41: "41 × 41 (fine)"}


def line_note(ln, view) -> str:
    inside_ = (ln.alphas >= 0) & (ln.alphas <= 1)
    c = ln.costs[inside_]
    falls = bool(np.all(np.diff(c) < 0))
    say = (f"From the start (a = 0, cost {ln.cost_at(0):.4g}) to the trained network (a = 1, cost {ln.cost_at(1):.4g}) "
           + ("the cost **falls all the way**: walking straight there, training would never have had to climb. "
              if falls else "the cost **does not fall all the way**: the straight path crosses a hill. "))
    say += ("Over the whole range drawn the curve is convex. " if ln.is_convex() else
            "The curve is **not convex** (it bends both ways), yet it has no bump between start and end. "
            if falls else "The curve is not convex. ")
    if ln.path_iteration.size > 2:
        k = 1
        it, a, cost = int(ln.path_iteration[k]), float(ln.path_alpha[k]), float(ln.path_cost[k])
        line_cost = float(np.interp(a, ln.alphas, ln.costs))
        if np.isfinite(cost):
            say += (f"The run itself did not walk the line: after {it} iterations it was already {a:.2f} of the way "
                    f"(projected), {100 * ln.path_off[k]:.0f} % of the line's length off it, with cost {cost:.4g} "
                    f"where the line has {line_cost:.4g}.")
    return say


def line_ui(view) -> None:
    st.subheader("The straight line from start to finish")
    st.markdown("Every weight and bias moves at once from its initial value (a = 0) straight to its trained value "
                "(a = 1): θ(a) = (1 − a)·θ₀ + a·θ₁, from a = −0.5 to 1.5 (Goodfellow, Vinyals & Saxe, 2015). "
                "The dots are the run's own states, placed where they project onto the line, with the cost "
                "the run recorded there.")
    ln = inside.line(view)
    log_y = st.toggle("Log scale for the cost", value=True, key="w_land_log")
    st.plotly_chart(fig_landscape.line_figure(ln, log_y, view.iteration), key="land_line")
    st.markdown(line_note(ln, view))
    st.caption(f"Costs on all {ln.m:,} training images, in float64. |θ₁ − θ₀| = {ln.length:.4g}."
               + ("" if view.snapshots and view.snapshots[0].iteration == 0 else
                  f" This model carries no record of its start, so θ₀ is the seeded initialisation (seed "
                  f"{view.hyper.seed}) it would have started from, and the run's own states are not known."))


def slice_controls(view) -> tuple[str, int, float, int]:
    c1, c2, c3, c4 = st.columns([3, 1, 1, 2])
    kinds = {"random": "two random directions (filter-normalised)", "path": "the training path's own directions"}
    kind = c1.radio("Directions", list(kinds), format_func=kinds.get, key="w_land_dirs", horizontal=True)
    seed = c2.number_input("Seed", 0, 10_000, 0, key="w_land_seed", disabled=kind != "random",
                           help="Seeds the two random directions.")
    span = c3.select_slider("Range ±", SPANS, value=1.0, key="w_land_span", disabled=kind != "random",
                            help="How far along each direction: 1 moves every neuron's weights by their own size.")
    steps = c4.radio("Grid", list(STEPS), format_func=STEPS.get, index=1, key="w_land_steps", horizontal=True)
    return kind, int(seed), float(span), int(steps)


def axis_titles(kind: str, seed: int, view) -> tuple[str, str]:
    if kind == "random":
        return f"random direction 1 (seed {seed})", f"random direction 2 (seed {seed})"
    _, _, share = inside.path_directions(view)
    return (f"path direction 1 ({100 * share[0]:.0f} % of its spread)",
            f"path direction 2 ({100 * share[1]:.0f} % of its spread)")


def slice_ui(view) -> None:
    st.subheader("A slice through the landscape")
    st.markdown("The cost around the trained network (the centre), over a plane through it. **Random directions** "
                "are drawn per neuron at the size of that neuron's own weights (Li et al., NeurIPS 2018), so one "
                "unit is a change as large as the weights. **The path's own directions** are the two along which "
                "the run's states spread most: the plane the training path lies closest to.")
    kind, seed, span, steps = slice_controls(view)
    if kind == "path":
        try:
            inside.path_directions(view)
        except ValueError:
            st.info("This model's training path does not span two directions: it has fewer than two saved "
                    "states (an uploaded model or a shared result carries none), or it moved along one line only "
                    "(a very short run, or a network whose neurons never fire). Use random directions, or "
                    "train it longer on the Train page.")
            return
    bar = st.progress(0.0, text="Computing the slice...")
    sl = inside.slice_(view, kind, seed, span, steps, progress=lambda f: bar.progress(f, text=f"Computing the slice: {f:.0%}"))
    bar.empty()
    st.plotly_chart(fig_landscape.slice_figure(sl, axis_titles(kind, seed, view)), key="land_slice")
    lowest = np.unravel_index(np.argmin(sl.costs), sl.costs.shape)
    off = float(np.median(sl.path_off[:-1])) if sl.path_off.size > 1 else None
    sample = ("all" if sl.m == len(view.pair.y_train) else f"a fixed sample of {sl.m:,} of the") + " training images"
    st.markdown(f"Cost at the centre **{sl.centre_cost:.4g}**; lowest in this slice **{sl.costs[lowest]:.4g}** at "
                f"({sl.alphas[lowest[1]]:.2g}, {sl.betas[lowest[0]]:.2g}); highest {sl.costs.max():.4g}. "
                f"Computed on {sample}.")
    st.info(f"**What a slice can and cannot show.** The network has {n_params(view.hyper.hidden):,} numbers, so this "
            f"plane is 2 directions out of {n_params(view.hyper.hidden):,}. It shows the shape of the cost along "
            "those two only: a valley here may be a ridge along a direction not drawn, and a slice never proves "
            "there is no better minimum elsewhere. "
            + ("" if off is None else
               f"The training path is drawn where it projects; about {100 * off:.0f} % of a typical state's "
               "distance from the centre lies off this plane"
               + (" (random directions in so many dimensions are almost at right angles to the path, so it "
                  "shrinks to a short squiggle near the centre: pick the path's own directions to see it)."
                  if kind == "random" else ".")), icon=":material/info:")


view = pagekit.require_view("b_land_train", pin=True)
if view.pair is None:
    st.error(f"The model is here but the training data is not: {app_data.missing_reason()}")
    st.stop()
line_ui(view)
slice_ui(view)
