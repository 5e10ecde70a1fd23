"""Try it: draw or upload a digit, watch it become the network's input, and see what the network says."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from ssnn_app import (
    classes,
    commands,
    fig_tryit,
    flipui,
    i18n,
    memo,
    navigation,
    numbersui,
    pagekit,
    readmodel,
    settings,
    widgets,
    words,
)
from ssnn_app import data as app_data
from ssnn_app.i18n import N_, _, ngettext
from ssnn_app.pagesetup import setup_page
from ssnn_core.images import MAX_BYTES

setup_page("Try it", ":material/draw:")
DIGIT_WORDS = classes.are_digits()       # MNIST: "draw a digit"; another data set: "an image", its classes by name
st.title(_("Try it: draw a digit") if DIGIT_WORDS else _("Try it: draw or upload an image"))

SOURCES = (N_("Draw"), N_("Upload"), N_("Examples"))      # the radio's values (English), shown with _()
HINTS = {"Draw": N_("Draw a digit on the canvas."), "Upload": N_("Upload a PNG or JPEG of one handwritten digit."),
         "Examples": N_("No dataset here: only the noise example is available.")}
HINTS_CLASSES = {**HINTS, "Draw": N_("Draw on the canvas."),             # a data set whose classes are not digits
                 "Upload": N_("Upload a PNG or JPEG of one image.")}


# ---------------------------------------------------------------- where the digit comes from


def draw_ui():
    st.space("small")                          # room for the canvas's floating toolbar
    result = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=280,
                       width=280, drawing_mode="freedraw", return_image_data=True, key="try_canvas")
    st.caption(_("Draw one digit, big, in the middle. The bin icon above the canvas clears it, "
                 "the arrows undo and redo.") if DIGIT_WORDS else
               _("Draw it big, in the middle. The bin icon above the canvas clears it, the arrows undo and redo."))
    return fig_tryit.prepare_canvas(result.image_data)


def upload_ui():
    f = st.file_uploader(_("A PNG or JPEG of one digit, dark on light or light on dark") if DIGIT_WORDS else
                         _("A PNG or JPEG of one image, dark on light or light on dark"),
                         type=["png", "jpg", "jpeg"], key="try_upload", max_upload_size=MAX_BYTES >> 20)
    if f is None:
        return None
    # decoded once per file, not on every rerun (and once per language: a bad file's reason is in words)
    auto = memo.in_session("try_upload", (f.file_id, i18n.lang()), lambda: fig_tryit.prepare_upload(f.getvalue()))
    if isinstance(auto, str):
        return auto
    how = how_ui(f.file_id, auto)
    if how == (fig_tryit.AS_IS if auto.as_is else fig_tryit.RECIPE):
        return auto
    return memo.in_session("try_upload_other", (f.file_id, i18n.lang(), how),
                           lambda: fig_tryit.prepare_upload(f.getvalue(), how))


def how_ui(file_id, auto) -> str:
    """As it is or MNIST's recipe, for any upload; a new file starts at what suits it (an image already
    MNIST's kind: as it is, so it gets the answer the other pages give the same image). Returns the choice."""
    ss = st.session_state
    if ss.get("try_upload_how_for") != file_id:
        ss["try_upload_how_for"] = file_id
        ss["try_upload_how"] = fig_tryit.AS_IS if auto.mnist_style else fig_tryit.RECIPE
        ss.pop("w_try_upload_how", None)
    if "w_try_upload_how" not in ss:              # widget state is dropped on other pages; keep the choice
        ss["w_try_upload_how"] = ss["try_upload_how"]
    how = st.radio(_("How to read it"), fig_tryit.HOWS, format_func=lambda k: _(fig_tryit.HOW_NAMES[k]),
                   horizontal=True, key="w_try_upload_how",
                   help=_("**As it is**: the pixels unchanged (made grey, and resized to 28×28 if the image is "
                          "not). **MNIST's recipe**: made white on black, cropped to the ink, scaled to 20 px and "
                          "centred by its centre of mass, as MNIST's digits were made."))
    ss["try_upload_how"] = how
    if auto.mnist_style:
        st.caption(_("This is a 28×28 grayscale image on black, like MNIST's: used as it is, it gets the same "
                     "answer as on the other pages."))
    elif how == fig_tryit.AS_IS:
        st.caption(_("Used as it is: MNIST's images are 28×28, white ink on black and centred, so an image "
                     "that is not may get an odd answer."))
    return how


def _choose(example) -> None:
    st.session_state["try_example"] = example


def _noise() -> None:
    seed = st.session_state.get("try_noise_seed", 0) + 1
    st.session_state["try_noise_seed"] = seed
    _choose(("noise", seed))


def _random_test(m: int, digits) -> None:
    seed = st.session_state.get("try_random_seed", 0) + 1
    st.session_state["try_random_seed"] = seed
    _choose(("test", fig_tryit.random_index(seed, m), digits))


def examples_ui(pair, view, digits, names):
    """Buttons for real test digits and for noise; returns the chosen one (a real digit by default).
    digits: the classes' numbers (kept with a choice); names: the same classes by name, as shown."""
    st.caption(_("Real digits from the test set (never seen in training), or noise:") if DIGIT_WORDS else
               _("Real images from the test set (never seen in training), or noise:"))
    cols = st.columns(2)
    k = 0
    if pair is not None:
        evaluation = view.evaluation if view is not None else None
        for i, (idx, what) in enumerate(fig_tryit.example_indices(pair.y_test, names, evaluation)):
            cols[k % 2].button(f"#{idx} · {what}", key=f"b_try_test_{i}", on_click=_choose,
                               args=(("test", idx, digits),), width="stretch")
            k += 1
        cols[k % 2].button(_("Random"), icon=":material/casino:", key="b_try_random", on_click=_random_test,
                           args=(len(pair.y_test), digits), width="stretch")
        k += 1
    cols[k % 2].button(_("Try noise"), icon=":material/blur_on:", key="b_try_noise", on_click=_noise, width="stretch")
    example = st.session_state.get("try_example")
    if example is not None and example[0] == "noise":
        return fig_tryit.from_pixels(fig_tryit.noise_pixels(example[1]),
                                     _("random noise (seed {seed})").format(seed=example[1]))
    if pair is None:
        return None
    if example is None or example[2] != digits or example[1] >= len(pair.y_test):
        example = ("test", fig_tryit.example_indices(pair.y_test, digits)[0][0], digits)
    idx = example[1]
    name = names[pair.y_test[idx]]
    if words.digit_names(names):
        return fig_tryit.from_pixels(pair.x_test[idx], _("MNIST test image #{idx} (a {digit})").format(
            idx=idx, digit=name))
    return fig_tryit.from_pixels(pair.x_test[idx], _("{dataset} test image #{idx} ({a_name})").format(
        dataset=classes.translate(getattr(pair, "dataset", "MNIST")), idx=idx, a_name=words.a(name)))


def input_ui(view, digits, names):
    ss = st.session_state
    if "w_try_source" not in ss:                  # widget state is dropped on other pages; keep the choice
        ss["w_try_source"] = ss.get("try_source", SOURCES[0])
    source = st.radio(_("Where the digit comes from") if DIGIT_WORDS else _("Where the image comes from"), SOURCES,
                      format_func=_, horizontal=True, key="w_try_source")
    ss["try_source"] = source
    if source == SOURCES[0]:
        return draw_ui()
    if source == SOURCES[1]:
        return upload_ui()
    pair = view.pair if view is not None else app_data.pair(digits)
    return examples_ui(pair, view, digits, names)


# ---------------------------------------------------------------- what the network sees


def steps_ui(prepared) -> None:
    st.markdown(_("**Used as it is**") if prepared.as_is else _("**Made MNIST-like, step by step**"))
    names = [fig_tryit.step_name(name) for name, _img in prepared.steps]
    pngs = [widgets.digit_png(fig_tryit.thumbnail(img), scale=1) for _name, img in prepared.steps]
    st.image(pngs, caption=names, output_format="PNG", width=fig_tryit.THUMB)


def exact_input_ui(prepared, view) -> None:
    st.markdown(_("**The exact input the network sees**"))
    a, b = st.columns([1, 2])
    with a:
        widgets.show_digit(prepared.pixels, _("28×28 pixels, 0..255"), scale=6)
    if view is None:
        b.caption(_("With a model, its standardised version appears here: each pixel minus the training mean, "
                    "divided by the training standard deviation."))
        return
    x = view.scaler.transform(prepared.pixels.reshape(1, 784), view.params["W1"].dtype)   # (784, 1)
    b.plotly_chart(fig_tryit.input_figure(x[:, 0]), key="try_input")


# ---------------------------------------------------------------- the prediction


def model_ui(view) -> bool:
    """Say which model answers; offer to train one. True when there is a model to ask."""
    if view is not None and view.iteration > 0:
        st.caption(_("Answered by the current model: {model}.").format(model=commands.current_run().describe()))
        return True
    h = settings.current()
    if view is None:
        st.warning(_("A trained network is needed to make a prediction."))
    else:
        st.warning(_("This network has not been trained yet (iteration 0): its answers are coin flips."))
    c1, c2 = st.columns([2, 1])
    pagekit.train_here_button("b_try_train", _("▶ Train a network here (784→{n1}→1, {iterations} iterations)").format(
        n1=h.hidden, iterations=h.iterations), column=c1)
    if navigation.visible("pages/2_Train.py"):
        c2.page_link("pages/2_Train.py", label=_("or watch it learn on the Train page"),
                     icon=":material/model_training:")
    return view is not None


def teaching_note(digits, noise: bool) -> None:
    if not words.digit_names(digits):        # classes other than digits: no "a 7", no "a digit at all"
        if noise:
            st.warning(_("This is random noise, not a picture of anything. The network knows only two answers, "
                         "**{digit_a}** and **{digit_b}**. Anything else still gets one of them, often with high "
                         "confidence: the probability says which side of its dividing line the image falls on, not "
                         "whether it is either of them at all.").format(digit_a=digits[0], digit_b=digits[1]))
        else:
            st.info(_("The network knows only two answers, **{digit_a}** and **{digit_b}**. Anything else still gets "
                      "one of them, often with high confidence: the probability says which side of its dividing line "
                      "the image falls on, not whether it is either of them at all. Try **Try noise** under Examples: "
                      "random pixels, not a picture of anything.").format(digit_a=digits[0], digit_b=digits[1]))
        return
    if noise:
        st.warning(_("This is random noise, not a digit. The network knows only two answers, **{digit_a}** and "
                     "**{digit_b}**. A 7, a letter or a scribble still gets one of them, often with high confidence: "
                     "the probability says which side of its dividing line the image falls on, not whether it is a "
                     "digit at all.").format(digit_a=digits[0], digit_b=digits[1]))
    else:
        st.info(_("The network knows only two answers, **{digit_a}** and **{digit_b}**. A 7, a letter or a "
                  "scribble still gets one of them, often with high confidence: the probability says which side of "
                  "its dividing line the image falls on, not whether it is a digit at all. Try **Try noise** "
                  "under Examples: random pixels, not a digit at all.").format(digit_a=digits[0], digit_b=digits[1]))


def blank_ink_note(pred, view) -> None:
    n = pred.blank_ink.size
    if not n:
        return
    units = fig_tryit.num(abs(pred.x[pred.blank_ink]).max())   # as the colour bar's subtitle writes it
    clip = fig_tryit.num(fig_tryit.CLIP)
    if view.scaler.mode == "seed" and not view.digit_words:      # test image 1749 is MNIST's
        st.warning(ngettext(
            "{n:,} inked pixel was blank in every training image. The article's scaling divides them by 1e-9, so "
            "they reach {units} standard units and can swamp everything else. The colour bar above stops at "
            "±{clip}: those pixels are drawn in its end colour.",
            "{n:,} inked pixels were blank in every training image. The article's scaling divides them by 1e-9, so "
            "they reach {units} standard units and can swamp everything else. The colour bar above stops at "
            "±{clip}: those pixels are drawn in its end colour.", n).format(n=n, units=units, clip=clip))
    elif view.scaler.mode == "seed":
        st.warning(ngettext(
            "{n:,} inked pixel was blank in every training image. The article's scaling divides them by 1e-9, so "
            "they reach {units} standard units and can swamp everything else (that is why the article gets "
            "test image 1749 wrong). The colour bar above stops at ±{clip}: those pixels are drawn in its end "
            "colour.",
            "{n:,} inked pixels were blank in every training image. The article's scaling divides them by 1e-9, so "
            "they reach {units} standard units and can swamp everything else (that is why the article gets "
            "test image 1749 wrong). The colour bar above stops at ±{clip}: those pixels are drawn in its end "
            "colour.", n).format(n=n, units=units, clip=clip))
    else:
        st.caption(ngettext(
            "{n:,} inked pixel was blank in every training image: their weights never received a gradient and "
            "keep their small random starting values.",
            "{n:,} inked pixels were blank in every training image: their weights never received a gradient and "
            "keep their small random starting values.", n).format(n=n))


def prediction_ui(prepared, view, digits, noise: bool) -> None:
    """digits: the two classes by name ('0', '1'; 'T-shirt/top', 'Trouser')."""
    pred = fig_tryit.predict_digit(view.params, view.scaler, digits, prepared.pixels)
    c1, c2 = st.columns([1, 2])
    c1.metric(_("The network says"), str(pred.digit), border=True)
    c1.metric(_("Confidence"), fig_tryit.percent(pred.confidence),
              help=_("P(it is {a_digit}) = {proba:.6g}, the logistic of z2 = {z2}").format(
                  a_digit=words.a(digits[1]), proba=pred.proba, z2=fig_tryit.num(pred.explanation.z2)))
    with c2:
        st.plotly_chart(fig_tryit.probability_figure(pred.proba, digits), key="try_proba")
        teaching_note(digits, noise)
    blank_ink_note(pred, view)
    a, b = st.columns(2)
    a.plotly_chart(fig_tryit.activations_figure(pred.explanation, view.params["W2"][0], digits), key="try_a1")
    b.plotly_chart(fig_tryit.contributions_figure(pred.explanation, digits), key="try_votes")
    numbersui.numbers_ui(view.params, pred.x, pred.explanation, digits, key="w_try_neuron")
    st.subheader(_("How fragile is this answer?"))
    if st.toggle(_("Find the smallest change that flips it"), key="w_try_flip"):
        flipui.flip_ui(view, prepared.pixels, ("image", prepared.pixels.tobytes()), key="try_flip")


# ---------------------------------------------------------------- the page

view = readmodel.current()
digits = view.hyper.digits if view is not None else settings.current().digits
names = view.names if view is not None else (classes.name(digits[0]), classes.name(digits[1]))
left, right = st.columns([1, 2], gap="large")
with left:
    prepared = input_ui(view, digits, names)
with right:
    if prepared is None:
        st.info(_((HINTS if DIGIT_WORDS else HINTS_CLASSES)[st.session_state.get("try_source", SOURCES[0])]))
    elif isinstance(prepared, str):
        st.error(prepared)
    elif prepared.empty:
        st.info(_("No ink found: draw a digit.") if DIGIT_WORDS else _("No ink found: draw something."))
    else:
        steps_ui(prepared)
        exact_input_ui(prepared, view)

if prepared is not None and not isinstance(prepared, str) and not prepared.empty:
    st.subheader(_("What the network says"))
    if model_ui(view):
        example = st.session_state.get("try_example")
        noise = st.session_state.get("w_try_source") == SOURCES[2] and example is not None and example[0] == "noise"
        prediction_ui(prepared, view, names, noise)
elif view is None or view.iteration == 0:
    st.subheader(_("What the network says"))
    model_ui(view)
