"""How it works: the maths with this network's numbers, one iteration step by step, and a gradient check."""

import numpy as np
import streamlit as st

from ssnn_app import commands, fig_data, fig_howto, memo, navigation, pagekit, readmodel, settings, words
from ssnn_app.i18n import _, ngettext
from ssnn_app.pagesetup import setup_page
from ssnn_core.inspect import GRADCHECK_TOLERANCE, gradient_check
from ssnn_core.network import n_params

GRADCHECK_SAMPLES, GRADCHECK_PARAMS = 200, 20

setup_page("How it works", ":material/function:")
st.title(_("How it works"))


def subject() -> tuple[readmodel.View, str] | None:
    """The network this page studies: the session's model, or a fresh one from the settings; and the sentence
    that says which."""
    view = readmodel.current()
    if view is not None and view.pair is not None:
        h = view.hyper
        return view, _("This page works on the **current model** ({source}, n1 = {n1}, after {iterations} "
                       "iterations). Nothing here changes the model: every step runs on a copy.").format(
            source=words.source_name(view.source), n1=h.hidden, iterations=view.iteration)
    hyper = settings.current()
    view = readmodel.initial(hyper)
    if view is None:
        return None
    return view, _("This page works on **no trained model yet**, so a **freshly initialised network** from the "
                   "current settings (n1 = {n1}, seed {seed}, {dtype}): what training's first iteration does. "
                   "Nothing here changes the model: every step runs on a copy.").format(
        n1=hyper.hidden, seed=hyper.seed, dtype=hyper.dtype)


found = subject()
if found is None:
    pagekit.no_data_stop("howto_upload")
sub, what = found
n1, m = sub.params["W1"].shape[0], len(sub.pair.y_train)
a, b = sub.names                 # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
st.markdown(what)
if commands.current_run() is not None and n1 != settings.current().hidden:
    st.info(_("The settings now ask for n1 = {wanted}; the numbers below are for the model "
              "that exists (n1 = {n1}). Train a new one to see the new shapes.").format(
        wanted=settings.current().hidden, n1=n1))

# ------------------------------------------------------------------ the network in numbers

st.header(_("The network in numbers"))
c = st.columns(4)
c[0].metric(_("inputs n0 (pixels)"), "784")
c[1].metric(_("hidden neurons n1"), f"{n1}")
c[2].metric(_("training images m"), f"{m:,}")
c[3].metric(_("parameters"), f"{n_params(n1):,}")
st.markdown(
    _("One column of `X` per image: `X` is **(784, {m:,})** and `Y` is **(1, {m:,})**, with label 1 for "
      "“{b}” and 0 for “{a}”. The parameters:").format(m=m, a=a, b=b) + "\n\n"
    + "\n".join(f"- `{r['array']}`: **{r['shape']}** · "
                + ngettext("{n:,} number", "{n:,} numbers", r["numbers"]).format(n=r["numbers"])
                for r in fig_howto.shape_rows(n1, m)[:-1])
)

eqs = fig_howto.equations(n1, m)
NOTES = {
    "Forward": _("From pixels to a probability. Each column of X is one image; b1 and b2 are added to every column."),
    "Cost": _("Binary cross-entropy over all m = {m:,} images: 0 when every a_i equals its y_i, ln 2 ≈ 0.693 for a "
              "network that always says 0.5. (ssnn computes it from Z2 as log(1 + e^z) − y·z, which never takes "
              "the log of 0.)").format(m=m),
    "Backward": _("The gradient of J, from the output back. The sigmoid's slope and the log in J cancel, which is why "
                  "dZ2 is simply (A2 − Y)/m. ⊙ multiplies element by element; g′, ReLU's slope, is 1 where Z1 > 0 "
                  "and 0 elsewhere, so a neuron that is off for an image passes no gradient back for it."),
    "Update": _("One step downhill. α is the learning rate ({alpha:g}). One such step over all {m:,} "
                "images is one iteration; the article does 500.").format(alpha=sub.learning_rate, m=m),
}


def equations_ui() -> None:
    """Each stage's equations, with the shapes of this network beside them."""
    for stage_name in fig_howto.STAGES:
        st.subheader(_(stage_name))
        st.caption(NOTES[stage_name])
        for eq, shape in eqs[stage_name]:
            left, right = st.columns([5, 6], vertical_alignment="center")
            left.latex(eq)
            right.latex(shape)


with st.expander(_("The equations, with this network's shapes"), expanded=True):
    equations_ui()

# ------------------------------------------------------------------ step through one iteration

st.header(_("Step through one iteration"))


def step_result() -> fig_howto.StepResult:
    def make():
        with st.spinner(_("One forward and backward pass over {m:,} images...").format(m=m)):
            X = sub.scaler.transform(sub.pair.x_train, sub.params["W1"].dtype)        # (784, m)
            copy = {k: v.copy() for k, v in sub.params.items()}
            return fig_howto.one_iteration(copy, X, sub.pair.y_train[None, :], sub.learning_rate)

    return memo.in_session("howto_step", sub.key, make)


r = step_result()
stage = st.segmented_control(_("Stage"), fig_howto.STAGES, default="Forward", required=True, key="howto_stage",
                             format_func=lambda s: f"{fig_howto.STAGES.index(s) + 1}. {_(s)}")


def show_forward() -> None:
    st.latex(eqs["Forward"][0][0] + r",\quad " + eqs["Forward"][1][0])
    c = st.columns(3)
    c[0].metric(_("ReLUs active (Z1 > 0)"), f"{100 * r.active_fraction:.1f} %",
                help=_("Share of all n1 × m hidden values that are positive."))
    c[1].metric(_("dead neurons"), _("{k} of {n}").format(k=r.dead_neurons, n=n1),
                help=_("Hidden neurons that are 0 for every image."))
    c[2].metric(_("mean A2"), f"{r.a2.mean():.4f}")
    c = st.columns(2)
    c[0].plotly_chart(fig_howto.matrix_heatmap(r.z1_head, _("Z1 {shape}: first {k} images").format(
        shape=str(r.z1_head.shape), k=r.z1_head.shape[1]), zlabel="Z1"), key="howto_z1")
    c[1].plotly_chart(fig_howto.matrix_heatmap(r.a1_head, f"A1 = ReLU(Z1) {r.a1_head.shape}", diverging=False,
                                               zlabel="A1"), key="howto_a1")
    st.caption(_("Rows are hidden neurons, columns are images. ReLU keeps the positive part and zeroes the rest."))
    st.latex(eqs["Forward"][2][0] + r",\quad " + eqs["Forward"][3][0])
    c = st.columns(2)
    c[0].plotly_chart(fig_howto.class_histogram(r.z2, r.y, sub.names,
                                                (_("Z2 (1, {m:,}) by true digit") if sub.digit_words else
                                                 _("Z2 (1, {m:,}) by true class")).format(m=m), "Z2"),
                      key="howto_z2")
    c[1].plotly_chart(fig_howto.class_histogram(r.a2, r.y, sub.names,
                                                _("A2 = σ(Z2): probability of “{b}”").format(b=b), "A2"),
                      key="howto_a2")


def show_cost() -> None:
    st.latex(eqs["Cost"][0][0])
    c = st.columns(3)
    c[0].metric(_("cost J"), f"{r.cost:.6f}")
    c[1].metric(_("training accuracy"), f"{100 * r.accuracy:.2f} %",
                help=_("A2 > 0.5 means the network says label 1."))
    c[2].metric(_("worst single image"), f"{r.losses.max():.3g}", help=_("The largest per-image term of the sum."))
    st.plotly_chart(fig_howto.class_histogram(r.losses, r.y, sub.names, _("Each image's share of J "
                                              "(before dividing by m)"), "−[y log a + (1 − y) log(1 − a)]"),
                    key="howto_losses")
    st.caption(_("J is the average of these. Images the network is sure and right about sit near 0; "
                 "the right-hand tail are the ones it is unsure or wrong about, and they dominate the gradient."))


def show_backward() -> None:
    st.latex(eqs["Backward"][0][0] + r",\quad " + eqs["Backward"][1][0] + r",\quad " + eqs["Backward"][2][0])
    c = st.columns(2)
    c[0].plotly_chart(fig_howto.class_histogram(r.dz2, r.y, sub.names, f"dZ2 = (A2 − Y)/m, (1, {m:,})", "dZ2"),
                      key="howto_dz2")
    c[1].plotly_chart(fig_howto.vector_bars(r.grads["dW2"],
                                            _("dW2 (1, {n1}): one number per hidden neuron").format(n1=n1), "dW2"),
                      key="howto_dw2")
    st.latex(eqs["Backward"][3][0] + r",\quad " + eqs["Backward"][4][0])
    j = fig_howto.strongest_neuron(r.grads)
    c = st.columns([3, 2])
    c[0].plotly_chart(fig_howto.matrix_heatmap(r.dz1_head, _("dZ1 ({n1}, {m:,}): first {k} images").format(
        n1=n1, m=m, k=r.dz1_head.shape[1]), zlabel="dZ1"), key="howto_dz1")
    c[1].plotly_chart(fig_data.digit_heatmap(r.grads["dW1"][j],
                                             _("dW1 row {j} as 28×28: neuron {j}'s pixels").format(j=j)),
                      key="howto_dw1")
    st.plotly_chart(fig_howto.norms_figure(r.grad_norms, _("gradient size per parameter, ‖dW‖"), _("‖dW‖ (log)")),
                    key="howto_gnorms")
    st.caption(_("Neuron {j} gets the largest gradient. Its dW1 row is the direction its 784 weights will move "
                 "against: red pixels will lose weight, blue ones gain. Zero-gradient pixels at the border are "
                 "the ones no training image ever inks.").format(j=j))


def show_update() -> None:
    st.latex(eqs["Update"][0][0] + rf",\quad \alpha = {sub.learning_rate:g}")
    c = st.columns(3)
    c[0].metric(_("cost at iteration {n}").format(n=sub.iteration), f"{r.cost:.6f}",
                help=_("The cost of the parameters as they are now, before this step (the Train page's final "
                       "train cost is the one its last step saw, one update earlier)."))
    c[1].metric(_("cost after one step"), f"{r.new_cost:.6f}", delta=f"{r.new_cost - r.cost:+.3g}",
                delta_color="inverse")
    c[2].metric(_("training accuracy after"), f"{100 * r.new_accuracy:.2f} %",
                delta=(_("{d:+.2f} points").format(d=100 * (r.new_accuracy - r.accuracy))
                       if abs(r.new_accuracy - r.accuracy) >= 5e-5 else None))
    config = {k: st.column_config.NumberColumn(_(k), format="%.3e") for k in fig_howto.UPDATE_COLUMNS[1:]}
    config["parameter"] = st.column_config.Column(_("parameter"))
    st.dataframe(fig_howto.update_rows(r), key="howto_update_table", hide_index=True, column_config=config)
    if r.new_cost < r.cost:
        st.caption(_("The cost fell. Each parameter moved by α times its gradient; |·| is the square root of the sum "
                     "of squares. The model in your session is unchanged: the Train page's **Step 1** does this for "
                     "real."))
    else:
        st.caption(_("The cost did not fall (the step was too big: try a smaller α). Each parameter moved by α times "
                     "its gradient; |·| is the square root of the sum of squares. The model in your session is "
                     "unchanged: the Train page's **Step 1** does this for real."))


{"Forward": show_forward, "Cost": show_cost, "Backward": show_backward, "Update": show_update}[stage]()

# ------------------------------------------------------------------ gradient check

st.header(_("Is backprop right? A gradient check"))
st.markdown(
    # Translators: the first half of a sentence; a formula follows, then the second half ("is compared with ...").
    _("Backprop's formulas can be checked without any calculus: nudge one parameter θ up and down by a tiny ε and "
      "see how the cost changes. The **central difference** ")
)
rel_error, g_backprop, g_numeric = _("relative error"), _("backprop"), _("numeric")
st.latex(r"\frac{\partial J}{\partial \theta} \approx "
         r"\frac{J(\theta + \varepsilon) - J(\theta - \varepsilon)}{2\varepsilon},"
         rf"\qquad \text{{{rel_error}}} = \frac{{|g_{{\text{{{g_backprop}}}}} - g_{{\text{{{g_numeric}}}}}|}}"
         rf"{{\max(|g_{{\text{{{g_backprop}}}}}|, |g_{{\text{{{g_numeric}}}}}|)}}")
st.markdown(
    # Translators: the second half of the sentence that starts "... The **central difference**", after a formula.
    _("is compared with backprop's number for {params} randomly chosen parameters, on {samples} "
      "training images, with ε = 1e-5. Below **{tolerance:g}** means backprop is right; a wrong formula "
      "gives errors near 1. It runs in **float64**: J changes by only about ε × gradient, and float32 (7 digits) "
      "would lose that change in rounding. Nudges that push a hidden unit across ReLU's corner at 0 measure two "
      "slopes at once, so they are shown but not counted. A weight of a pixel that none of the 200 images inks has "
      "gradient exactly 0 both ways.").format(params=GRADCHECK_PARAMS, samples=GRADCHECK_SAMPLES,
                                             tolerance=GRADCHECK_TOLERANCE)
)


def run_gradcheck() -> None:
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(m, size=min(GRADCHECK_SAMPLES, m), replace=False))
    X = sub.scaler.transform(sub.pair.x_train[idx], np.float64)                         # (784, 200)
    seed = int(st.session_state.get("w_gradcheck_seed", 0))
    results = gradient_check(sub.params, X, sub.pair.y_train[idx][None, :], n_checks=GRADCHECK_PARAMS, seed=seed)
    st.session_state["_howto_gradcheck"] = (sub.key, results)


c1, c2 = st.columns([1, 3])
c1.number_input(_("Parameters drawn with seed"), 0, 10_000, 0, key="w_gradcheck_seed",
                help=_("Another seed checks another 20 parameters."))
c2.button(_("Run the gradient check"), key="b_gradcheck", on_click=run_gradcheck, type="primary")
done = st.session_state.get("_howto_gradcheck")
if done is not None and done[0] == sub.key:
    results = done[1]
    worst, used, kinks, blanks = fig_howto.gradcheck_verdict(results)
    ok = worst < GRADCHECK_TOLERANCE
    c = st.columns(3)
    c[0].metric(_("worst relative error"), f"{worst:.2e}")
    c[1].metric(_("checks counted"), _("{k} of {n}").format(k=used, n=len(results)),
                help=_("Left out: {kinks} crossed a ReLU kink, {blanks} are weights of a pixel no image inks.").format(
                    kinks=kinks, blanks=blanks))
    c[2].metric(_("verdict"), _("backprop is right") if ok else _("mismatch"))
    if ok:
        st.success(_("Worst relative error {worst:.2e} < {tolerance:g}: the gradients backprop computes are the "
                     "true slopes of J.").format(worst=worst, tolerance=GRADCHECK_TOLERANCE))
    else:
        st.error(_("Worst relative error {worst:.2e} ≥ {tolerance:g}: backprop and the numeric slope disagree; "
                   "something in the gradient is wrong.").format(worst=worst, tolerance=GRADCHECK_TOLERANCE))
    if blanks:
        st.caption(_("{blanks} of the checks are weights of pixels that none of the {samples} images inks: "
                     "both slopes are exactly 0 whatever backprop does, so they say nothing and are not counted. "
                     "Draw again with another seed to check other parameters.").format(
            blanks=blanks, samples=GRADCHECK_SAMPLES))
    numeric = ("backprop", "numeric", "relative error")
    st.dataframe(fig_howto.gradcheck_rows(results), key="howto_gradcheck_table", hide_index=True,
                 height=35 * (len(results) + 1) + 3,
                 column_config={k: (st.column_config.NumberColumn(_(k), format="%.6e") if k in numeric
                                    else st.column_config.Column(_(k))) for k in fig_howto.GRADCHECK_COLUMNS})
elif done is not None:
    st.caption(_("The model changed since the last check: run it again."))

# ------------------------------------------------------------------ why it works

st.header(_("Why this can tell {a} from {b}").format(a=a, b=b))
if not sub.digit_words:                # the paragraphs below are about digits' shapes (a ring, a stroke)
    st.markdown(
        _("Each hidden neuron computes a weighted sum of the 784 pixels, so its row of `W1` is a **28×28 template**: "
          "positive weights where it wants ink, negative where it wants none. A neuron whose template is “ink where "
          "{b} images have it and {a} images do not” fires for {b} and stays at 0 for {a} (compare the average "
          "images on the Data page); ReLU cuts off the negative part, so each neuron reports only how strongly its "
          "own pattern is present.").format(a=a, b=b)
        + "\n\n"
        + _("The output neuron then **votes**: `W2` gives each hidden neuron a weight, positive for neurons that speak "
            "for “{b}”, negative for “{a}”, and σ turns the total into a probability. The less the two classes' "
            "shapes overlap, the fewer templates it needs and the fewer test images it gets wrong.").format(a=a, b=b)
    )
else:
    st.markdown(
        # Translators: {A_digit_a} is "A 0" / "An 8" starting a sentence, {a_digit_a} "a 0"; in Chinese the digit.
        _("Each hidden neuron computes a weighted sum of the 784 pixels, so its row of `W1` is a **28×28 template**: "
          "positive weights where it wants ink, negative where it wants none. {A_digit_a} is ink "
          "in a ring with an empty middle; "
          "{a_digit_b} is a vertical stroke through the middle, exactly where {a_digit_a} is empty (compare the "
          "average images on the Data page). A neuron whose template is “ink in the centre” fires for {b}s and "
          "stays at 0 for {a}s; ReLU cuts off the negative part, so each neuron reports only how strongly its own "
          "pattern is present.")
        .format(A_digit_a=words.a(a).capitalize(), a_digit_a=words.a(a), a_digit_b=words.a(b), a=a, b=b)
        + "\n\n"
        + _("The output neuron then **votes**: `W2` gives each hidden neuron a weight, positive for neurons that speak "
            "for “{b}”, negative for “{a}”, and σ turns the total into a probability. Because the two shapes barely "
            "overlap, a handful of templates is enough, which is why even n1 = 10 gets almost every test image right.")
        .format(a=a, b=b)
    )
if navigation.visible("pages/3_Weights.py"):
    st.page_link("pages/3_Weights.py", label=_("See the templates this network learned (Weights page)"),
                 icon=":material/grid_view:")
