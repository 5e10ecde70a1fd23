"""Lesson: the article's path, step by step, each step with its live view (the pages' own figure builders)."""

import numpy as np
import streamlit as st

from ssnn_app import (
    classes,
    commands,
    fig_data,
    fig_home,
    fig_howto,
    fig_mistakes,
    fig_weights,
    livepanel,
    navigation,
    pagekit,
    readmodel,
    settings,
    widgets,
    words,
)
from ssnn_app import data as app_data
from ssnn_app.i18n import N_, _
from ssnn_app.pagesetup import setup_page
from ssnn_core import Hyper
from ssnn_core.inspect import blank_pixel_ink
from ssnn_core.network import n_params

setup_page("Lesson", ":material/school:")
ARTICLE_MISTAKES = (1749, 2031)           # the two test images the article shows it gets wrong
STEPS = [N_("The problem"), N_("One digit"), N_("From images to X"), N_("Standardisation"), N_("The network"),
         N_("Initialisation"), N_("Forward and backward"), N_("The training loop"), N_("Testing"),
         N_("Why does 1749 fail?"), N_("Where to go next")]
STEPS_CLASSES = [N_("One image") if s == "One digit" else s for s in STEPS]   # a data set whose classes are not digits


def step_title(step: int) -> str:
    return _((STEPS if classes.are_digits() else STEPS_CLASSES)[step - 1])


def current_step() -> int:
    """1..len(STEPS), from the URL (?step=6: a teacher can link a step); a bad value is step 1."""
    raw = str(st.query_params.get("step", "1"))
    if not raw.isdigit() or not 1 <= int(raw) <= len(STEPS):
        if "step" in st.query_params:
            st.warning(_("URL parameter step={value} ignored: use 1 to {n}").format(value=repr(raw[:20]),
                                                                                  n=len(STEPS)))
        return 1
    return int(raw)


def go(step: int) -> None:
    st.query_params["step"] = str(step)


def nav_ui(step: int, where: str) -> None:
    c1, c2, c3 = st.columns([1, 4, 1])
    c1.button(_("← Back"), on_click=go, args=(step - 1,), disabled=step == 1, key=f"b_lesson_back_{where}")
    c3.button(_("Next →"), on_click=go, args=(step + 1,), disabled=step == len(STEPS), type="primary",
              key=f"b_lesson_next_{where}")
    if where == "top":
        c2.progress(step / len(STEPS), text=_("Step {step} of {n}: {title}").format(
            step=step, n=len(STEPS), title=step_title(step)))


def step_problem(h: Hyper, pair) -> None:
    a, b = names = classes.pair_names(pair)
    if classes.are_digits():
        st.markdown(_("Handwritten digits, 28 × 28 pixels each, from the MNIST database. The network sees only "
                      "**{a}**s and **{b}**s and must say which it is: a yes/no question (is it {a_digit}?), the "
                      "smallest problem a neural network can learn, and enough to see every part of one at work.")
                    .format(a=a, b=b, a_digit=words.a(b)))
    else:
        st.markdown(_("Images from {dataset}, 28 × 28 pixels each. The network sees only **{a}** and **{b}** and "
                      "must say which it is: a yes/no question (is it {a_name}?), the smallest problem a neural "
                      "network can learn, and enough to see every part of one at work.").format(
            dataset=classes.dataset_name(), a=a, b=b, a_name=words.a(b)))
    for label in (0, 1):
        idx = fig_data.class_indices(pair.y_train, label)[:10]
        for col, i in zip(st.columns(10), idx):
            with col:
                widgets.show_digit(pair.x_train[i].reshape(28, 28), names[label], scale=2)


def step_one_digit(h: Hyper, pair) -> None:
    x = pair.x_train[0]
    first = classes.pair_names(pair)[int(pair.y_train[0])]
    st.markdown(_("To the computer the first training image, {article} **{first}**, is 784 numbers: "
                  "each pixel's ink from 0 (blank) to 255 (full).").format(article=words.article(first), first=first))
    left, right = st.columns([1, 2])
    with left:
        widgets.show_digit(x.reshape(28, 28), _("as you see it"), scale=6)
    right.plotly_chart(fig_data.digit_heatmap(x, _("as the network gets it: 0..255"), diverging=False),
                       key="lesson_pixels")


def step_flatten(h: Hyper, pair) -> None:
    m, mt = len(pair.y_train), len(pair.y_test)
    names = classes.pair_names(pair)
    mnist = app_data.mnist()
    if classes.are_digits():
        st.markdown(_("Out of MNIST's 60,000 training images, the {m:,} that are {a_digit0} or {a_digit1} are "
                      "picked (and {mt:,} test images). Each image's 28 × 28 grid is laid out as one column of "
                      "784 numbers, so all of them together make one matrix **X of shape (784, {m:,})**, and their "
                      "answers a row **Y (1, {m:,})**: 1 for {a_digit1}, 0 for {a_digit0}.").format(
            m=m, mt=mt, a_digit0=words.a(names[0]), a_digit1=words.a(names[1])))
    else:
        st.markdown(_("Out of the {total:,} training images of {dataset}, the {m:,} that are {a_name0} or {a_name1} "
                      "are picked (and {mt:,} test images). Each image's 28 × 28 grid is laid out as one column of "
                      "784 numbers, so all of them together make one matrix **X of shape (784, {m:,})**, and their "
                      "answers a row **Y (1, {m:,})**: 1 for {a_name1}, 0 for {a_name0}.").format(
            total=len(mnist.y_train) if mnist is not None else m, dataset=classes.dataset_name(), m=m, mt=mt,
            a_name0=words.a(names[0]), a_name1=words.a(names[1])))
    st.plotly_chart(fig_data.balance_figure(fig_data.class_counts(pair.y_train), fig_data.class_counts(pair.y_test),
                                            names), key="lesson_balance")


def step_standardise(h: Hyper, pair) -> None:
    scaler = app_data.scaler(pair, h.scaling)
    std = fig_data.pixel_std(pair.x_train)
    st.markdown(_("Each pixel is **standardised**: minus its mean over the training images, divided by its standard "
                  "deviation, so every input has a comparable size. Some pixels (the corners, the edges) are blank in "
                  "**every** training image: {n} of 784 here, in red below. Their deviation is 0, "
                  "and dividing by 0 needs a rule: keep that in mind for step 10.").format(n=int(scaler.blank.sum())))
    st.plotly_chart(fig_data.std_figure(std, scaler.blank), key="lesson_std")


def step_network(h: Hyper, pair) -> None:
    st.markdown(_("784 inputs → **{n1}** hidden neurons (ReLU: a neuron outputs its input if positive, else 0) "
                  "→ 1 output neuron (the logistic function: a probability that the image is {a_digit}). "
                  "**{n:,}** numbers to learn:").format(n1=h.hidden, a_digit=words.a(classes.pair_names(pair)[1]),
                                                        n=n_params(h.hidden)))
    left, right = st.columns([3, 2])
    left.plotly_chart(fig_home.network_figure(h.hidden), key="lesson_network")
    rows = fig_howto.shape_rows(h.hidden, len(pair.y_train))   # English keys (fig_howto.SHAPE_COLUMNS), shown as _(key)
    right.dataframe([{_(k): v for k, v in r.items()} for r in rows], hide_index=True, key="lesson_shapes")


def step_init(h: Hyper, pair) -> None:
    st.markdown(_("Before any learning, every weight is a small random number (normal, times 0.01) drawn with seed "
                  "**{seed}** (the article used 561), and every bias is 0. Here are the {n1} hidden neurons' "
                  "784 weights each, as pictures: noise, nothing learned yet. (Why not all 0? Then every neuron would "
                  "compute the same thing and learn the same thing.)").format(seed=h.seed, n1=h.hidden))
    view = readmodel.initial(h)
    p = view.params
    st.plotly_chart(fig_weights.tiles_figure(p["W1"], p["W2"], digits=classes.pair_names(pair)),
                    key="lesson_init_tiles")


def step_propagation(h: Hyper, pair) -> None:
    m = len(pair.y_train)
    st.markdown(_("**Forward propagation** takes X to a probability for every image at once; the **cost** J measures "
                  "how wrong those are; **backward propagation** gives the gradient of J for every weight; the "
                  "**update** moves each weight a little downhill. With this network's shapes:"))
    eqs = fig_howto.equations(h.hidden, m)
    for stage in fig_howto.STAGES:
        st.markdown(f"**{_(stage)}**")   # fig_howto.STAGES, marked there
        for eq, shape in eqs[stage]:
            c1, c2 = st.columns([3, 2])
            c1.latex(eq)
            c2.latex(shape)


def step_train(h: Hyper, pair) -> None:
    run = commands.current_run()
    article = Hyper()
    st.markdown(_("One iteration = forward, cost, backward, update, over all {m:,} images. The article "
                  "does {article_iterations} of them with learning rate {article_lr:g}; these settings do "
                  "{iterations} with learning rate {lr:g}. Press **Train** and watch the cost fall: the network "
                  "is learning.").format(m=len(pair.y_train), article_iterations=article.iterations,
                                         article_lr=article.learning_rate, iterations=h.iterations,
                                         lr=h.learning_rate))
    active = run is not None and run.status.active
    c1, c2 = st.columns([1, 3])
    c1.button(_("▶ Train"), type="primary", on_click=lambda: commands.train(settings.current()), disabled=active,
              key="b_lesson_train")
    c2.caption(_("784 → {n1} → 1, {iterations} iterations, seed {seed}. Change them on the Train page.").format(
        n1=h.hidden, iterations=h.iterations, seed=h.seed))
    livepanel.show(commands.current_run(), True, h.iterations, "lesson_cost")


def trained_view():
    view = readmodel.current()
    if view is None or view.iteration == 0 or view.evaluation is None:
        st.info(_("There is no trained network yet: train it in step 8 (The training loop), then come back."))
        c1, _rest = st.columns([1, 3])
        c1.button(_("Go to step 8"), on_click=go, args=(8,), key="b_lesson_to8")
        return None
    return view


def step_test(h: Hyper, pair) -> None:
    view = trained_view()
    if view is None:
        return
    ev, digits = view.evaluation, view.names       # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
    st.markdown(_("The test images were never used in training. The network gets **{errors}** of "
                  "{n:,} wrong: an error rate of **{rate:.3f} %**.").format(errors=ev.errors, n=ev.labels.size,
                                                                           rate=100 * ev.error_rate))
    shown = list(ev.misclassified[:8])
    if view.hyper.digits == (0, 1) and view.digit_words:     # the article's MNIST run
        shown = [i for i in ARTICLE_MISTAKES if i not in shown] + shown
        st.caption(_("The article's run got exactly two wrong, test images 1749 and 2031 (the first two below)."))
    for col, i in zip(st.columns(max(len(shown), 1)), shown[:10]):
        with col:
            said = digits[int(ev.predicted[i])]
            widgets.show_digit(pair.x_test[i].reshape(28, 28), _("#{i}: {a_digit}, said {said}").format(
                i=i, a_digit=words.a(digits[int(ev.labels[i])]), said=said), scale=3)


def step_1749(h: Hyper, pair) -> None:
    if not classes.are_digits():
        st.info(_("This step is about the article's data, MNIST's 0 vs 1: {dataset} has no test image 1749 of "
                  "its own to look at. Step 4's rule matters here too: the Data page shows this data set's "
                  "blank pixels.").format(dataset=classes.dataset_name()))
        return
    if h.digits != (0, 1) or len(pair.y_test) <= 1749:
        st.info(_("This step is about the article's pair, 0 vs 1: choose digits 0 and 1 to see image 1749."))
        return
    scaler = app_data.scaler(pair, "seed")
    ink = blank_pixel_ink(pair.x_test[1749], scaler.blank)
    if ink.size == 1:
        st.markdown(_("The article could not say why its network calls test image 1749, a plain 0, a 1. This project "
                      "found the reason: step 4's rule. The article divides by *std + 1e-9*, so a pixel blank in every "
                      "training image is divided by 0.000000001. Image 1749 has ink on a pixel like that (ringed in "
                      "orange): its value becomes tens of billions, which drowns out everything else the network "
                      "sees."))
    else:
        st.markdown(_("The article could not say why its network calls test image 1749, a plain 0, a 1. This project "
                      "found the reason: step 4's rule. The article divides by *std + 1e-9*, so a pixel blank in every "
                      "training image is divided by 0.000000001. Image 1749 has ink on {n} pixels like that (ringed "
                      "in orange): their values become tens of billions, which drowns out everything else the "
                      "network sees.").format(n=ink.size))
    x_seed = fig_data.standardised(scaler, pair.x_test[1749])
    c1, c2 = st.columns(2)
    c1.plotly_chart(fig_mistakes.digit_figure(pair.x_test[1749], ink, title=_("test image 1749")), key="lesson_1749")
    c2.metric(_("largest standardised value (article's rule)"), f"{float(np.abs(x_seed).max()):.3g}")
    c2.metric(_("pixels with ink where training had none"), f"{ink.size}")
    st.markdown(_("**The fix** is to give those pixels scale 1 instead (what scikit-learn's StandardScaler does): "
                  "ssnn's default *safe* scaling. With it the same run gets image 1749 right."))
    c1, c2 = st.columns(2)
    c1.button(_("Train with the article's settings"), key="b_lesson_article",
              on_click=lambda: (settings.use(Hyper(scaling="seed", dtype="float64")), go(8)))
    c2.button(_("Train with the safe scaling"), key="b_lesson_safe",
              on_click=lambda: (settings.use(Hyper(scaling="safe", dtype="float64")), go(8)))


def step_next(h: Hyper, pair) -> None:
    st.markdown(_("You have followed the whole article. Every page takes one part further:"))
    digit_words = classes.are_digits()
    for path, label, what in (
            ("pages/2_Train.py", _("Train"), _("change the knobs: a learning rate of 5, 300 neurons, another pair")),
            ("pages/3_Weights.py", _("Weights"), _("what each hidden neuron learned to look for")),
            ("pages/4_Mistakes.py", _("Mistakes"), _("every wrong digit, and why, number by number") if digit_words
             else _("every wrong image, and why, number by number")),
            ("pages/8_Hidden_space.py", _("Hidden space"), _("watch the two classes pull apart")),
            ("pages/9_Flip_it.py", _("Flip it"), _("how little change fools the network")),
            ("pages/6_Try_it.py", _("Try it"), _("your own handwriting") if digit_words else _("your own images"))):
        if navigation.visible(path):
            c1, c2 = st.columns([1, 4])
            c1.page_link(path, label=label)
            c2.markdown(what)


STEP_UI = [step_problem, step_one_digit, step_flatten, step_standardise, step_network, step_init, step_propagation,
           step_train, step_test, step_1749, step_next]

hyper = settings.current()
if classes.are_digits():
    st.title(_("Lesson: a neural network that tells 0 from 1"))
else:
    st.title(_("Lesson: a neural network that tells {a} from {b}").format(
        a=classes.name(hyper.digits[0]), b=classes.name(hyper.digits[1])))
pair = pagekit.require_pair(hyper.digits, "lesson_upload")
step = current_step()
nav_ui(step, "top")
st.header(f"{step}. {step_title(step)}")
STEP_UI[step - 1](hyper, pair)
st.divider()
nav_ui(step, "bottom")
