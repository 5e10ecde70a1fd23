"""Home: what the network is, where the data comes from, and where to go next."""

import streamlit as st

from ssnn_app import board, classes, fig_home, navigation, settings, sharelink, teacher, words
from ssnn_app import data as app_data
from ssnn_app.i18n import N_, _
from ssnn_app.pagesetup import setup_page
from ssnn_core import Hyper
from ssnn_core.network import n_params

setup_page("Home", ":material/home:")
hyper = settings.current()
name_a, name_b = classes.name(hyper.digits[0]), classes.name(hyper.digits[1])
digit_words = classes.are_digits()       # MNIST: "the digits 0 and 1"; another data set: its classes by name

st.title(_("ssnn · see a neural network learn"))
if digit_words:
    st.markdown(_(
        "A **super simple neural network**, written from scratch in NumPy, learns to tell handwritten "
        "**{a}** from **{b}** in the MNIST database. Every part of it is on show: "
        "the knobs, the training, the weights it learns and the digits it gets wrong."
    ).format(a=name_a, b=name_b))
else:
    st.markdown(_(
        "A **super simple neural network**, written from scratch in NumPy, learns to tell **{a}** from **{b}** "
        "in {dataset}. Every part of it is on show: the knobs, the training, the weights it learns and the "
        "images it gets wrong."
    ).format(a=name_a, b=name_b, dataset=classes.dataset_name()))

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(fig_home.network_figure(hyper.hidden), key="network")
with right:
    st.subheader(_("The network with the current settings"))
    st.markdown("\n".join((
        _("- input: 784 pixel values of a 28×28 image, standardised ({scaling} scaling)").format(scaling=hyper.scaling),
        _("- hidden layer: **{n1}** ReLU neurons").format(n1=hyper.hidden),
        (_("- output: one logistic neuron, the probability the digit is {article} **{digit}**") if digit_words else
         _("- output: one logistic neuron, the probability the image is {article} **{name}**")).format(
            article=words.article(name_b), digit=name_b, name=name_b),
        _("- **{n:,}** numbers to learn, by full-batch gradient descent "
          "(learning rate {lr:g}, {iterations} iterations, seed {seed})").format(
            n=n_params(hyper.hidden), lr=hyper.learning_rate, iterations=hyper.iterations, seed=hyper.seed),
    )))
    pair = app_data.pair(hyper.digits)
    if pair is not None:
        st.success(_("Data: {source} · {m:,} training and {mt:,} test images of {a} and {b}").format(
            source=words.source_name(pair.source), m=len(pair.y_train), mt=len(pair.y_test), a=name_a, b=name_b))
        app_data.upload_notice()     # what an upload just did (it reran the page)
    else:
        st.error(_("No MNIST data yet: {reason}").format(reason=app_data.missing_reason()))
        app_data.data_upload_ui("home_upload")


def _article_settings() -> None:
    settings.use(Hyper(scaling="seed", dtype="float64"))
    st.session_state["goto_train"] = True
    st.session_state["autostart"] = True  # the Train page starts it, with its live chart


st.button(_("▶ Train with the article's settings"), type="primary", on_click=_article_settings, key="b_article",
          disabled=pair is None or not navigation.visible("pages/2_Train.py"),
          help=_("784 → 10 → 1, learning rate 0.5, 500 iterations, seed 561, float64, the article's scaling."))
if st.session_state.pop("goto_train", False):
    st.switch_page("pages/2_Train.py")

st.subheader(_("Where to go"))
guide = [
    ("pages/12_Lesson.py", _("Lesson"), ":material/school:", _("the article's path step by step, training included")),
    ("pages/1_Data.py", _("Data"), ":material/dataset:",
     _("the digits themselves: pixels, class balance, what standardisation does") if digit_words else
     _("the images themselves: pixels, class balance, what standardisation does")),
    ("pages/2_Train.py", _("Train"), ":material/model_training:",
     _("set the knobs, train, pause, step, and watch the cost fall live")),
    ("pages/3_Weights.py", _("Weights"), ":material/grid_view:",
     _("every hidden neuron's 784 weights as a 28×28 picture, and how they formed")),
    ("pages/4_Mistakes.py", _("Mistakes"), ":material/search_insights:",
     _("the test digits it gets wrong, and why") if digit_words else _("the test images it gets wrong, and why")),
    ("pages/5_How_it_works.py", _("How it works"), ":material/function:",
     _("the maths with your numbers, one iteration step by step, gradient check")),
    ("pages/6_Try_it.py", _("Try it"), ":material/draw:",
     _("draw or upload a digit and see what the network makes of it") if digit_words else
     _("draw or upload an image and see what the network makes of it")),
    ("pages/7_Landscape.py", _("Landscape"), ":material/landscape:",
     _("the cost along the straight line from start to finish, and a slice through the landscape around it")),
    ("pages/8_Hidden_space.py", _("Hidden space"), ":material/scatter_plot:",
     _("where each test digit sits for the network, replayed as the two classes pull apart") if digit_words else
     _("where each test image sits for the network, replayed as the two classes pull apart")),
    ("pages/9_Flip_it.py", _("Flip it"), ":material/swap_horiz:",
     _("the smallest change to a digit that makes the network answer the other way") if digit_words else
     _("the smallest change to an image that makes the network answer the other way")),
    ("pages/10_Knock_out.py", _("Knock out"), ":material/block:",
     _("switch hidden neurons off and see which ones matter")),
]
if board.enabled():
    guide.append(("pages/11_Class_board.py", _("Class board"), ":material/leaderboard:",
                  _("every run that ended on this server: who found the best learning rate?")))
for path, label, icon, what in guide:
    if not navigation.visible(path):          # a teacher's link may show only some pages
        continue
    c1, c2 = st.columns([1, 4])
    c1.page_link(path, label=label, icon=icon)
    c2.markdown(what)


def link_builder_ui() -> None:
    """For teachers: tick what a lesson locks, hides and shows; copy the link."""
    with st.expander(_("For teachers: make a lesson link"), icon=":material/school:"):
        st.caption(_("The link opens ssnn with the current settings. Locked settings cannot be changed from the page; "
                     "hidden pages are left out of the navigation; the presenter view has larger type for a "
                     "projector."))
        c1, c2 = st.columns(2)
        labels = LOCK_LABELS if digit_words else {**LOCK_LABELS, "digits": N_("the class pair")}
        lock = c1.multiselect(_("Lock at the current values"), list(teacher.LOCKABLE), key="w_link_lock",
                              format_func=lambda k: _(labels[k]))
        hide = c2.multiselect(_("Hide"), list(teacher.HIDEABLE), key="w_link_hide",
                              format_func=lambda k: _(teacher.HIDEABLE[k]))
        pages = st.multiselect(_("Show only these pages (none: all)"), list(teacher.PAGES), key="w_link_pages",
                               format_func=lambda k: _(teacher.PAGES[k]))
        present = st.toggle(_("Presenter view (larger type, thicker lines)"), key="w_link_present")
        flags = teacher.Flags({teacher.LOCKABLE[k]: getattr(hyper, teacher.LOCKABLE[k]) for k in lock},
                              frozenset(hide), tuple(k for k in teacher.PAGES if k in pages), present)
        sharelink.share_ui(settings.share_link(flags), key="home_link")


LOCK_LABELS = {"n1": N_("hidden neurons n1"), "lr": N_("learning rate"), "iters": N_("iterations"), "seed": N_("seed"),
               "digits": N_("the digit pair"), "dtype": N_("precision"), "scaling": N_("scaling")}
link_builder_ui()
