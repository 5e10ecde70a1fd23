"""Data: browse the digits, read one as numbers, and see what standardisation does to it."""

import numpy as np
import streamlit as st

from ssnn_app import classes, fig_data, memo, pagekit, settings, widgets, words
from ssnn_app import data as app_data
from ssnn_app.i18n import _, pgettext
from ssnn_app.pagesetup import setup_page
from ssnn_core.inspect import blank_pixel_ink
from ssnn_core.scaling import SEED_EPSILON

PER_PAGE = 40
CLIP = 4.0  # standardised pixels mostly lie within ±4; colours saturate beyond
SPLITS = ("train", "test")

setup_page("Data", ":material/dataset:")
digit_words = classes.are_digits()       # MNIST: "digits"; another data set: its images and classes by name
if digit_words:
    st.title(_("The data: handwritten digits as numbers"))
else:
    st.title(_("The data: {dataset} images as numbers").format(dataset=classes.dataset_name()))
hyper = settings.current()
pair = pagekit.require_pair(hyper.digits, "data_page_upload")
digits = hyper.digits
names = classes.pair_names(pair)         # the two classes by name: '0', '1'; 'T-shirt/top', 'Trouser'
rows = {"train": (pair.x_train, pair.y_train), "test": (pair.x_test, pair.y_test)}


def stats() -> fig_data.DataStats:
    """Counts, means, std and both scalers for this pair, computed once per session and dataset."""
    scalers = {mode: app_data.scaler(pair, mode) for mode in ("safe", "seed")}
    return memo.in_session("data_stats", (digits, id(pair)), lambda: fig_data.summarise(
        pair.x_train, pair.y_train, pair.x_test, pair.y_test, scalers))


s = stats()
if digit_words:
    intro = _(
        "MNIST images of **{a}** and **{b}** ({source}): "
        "**{n_train:,}** for training and **{n_test:,}** for testing. "
        "Each is 28×28 = 784 grey values from 0 (black) to 255 (white). The network sees the 784 numbers as one "
        "column of `X`; label 1 means “{b}”. Indices are positions among the {a}s and "
        "{b}s of a split, in MNIST's order (the article's numbering). Change the digits on the Train page.")
else:
    intro = _(
        "{dataset} images of **{a}** and **{b}** ({source}): "
        "**{n_train:,}** for training and **{n_test:,}** for testing. "
        "Each is 28×28 = 784 grey values from 0 (black) to 255 (white). The network sees the 784 numbers as one "
        "column of `X`; label 1 means “{b}”. Indices are positions among the images of {a} and {b} in a "
        "split, in the data set's order. Change the classes on the Train page.")
st.markdown(intro.format(a=names[0], b=names[1], source=words.source_name(pair.source), n_train=len(pair.y_train),
                         n_test=len(pair.y_test), dataset=classes.dataset_name()))


# ------------------------------------------------------------------ another data set (an upload)

app_data.upload_notice()        # what an upload just did (it reran the page)
with st.expander(_("Use another data set"), icon=":material/upload_file:"):
    app_data.data_upload_ui("data_other_upload")


# ------------------------------------------------------------------ browse


def browse_ui() -> None:
    st.subheader(_("Browse the digits") if digit_words else _("Browse the images"))
    c1, c2 = st.columns(2)
    split = c1.radio(_("Split"), SPLITS, horizontal=True, key="data_browse_split", format_func=fig_data.split_name)
    if st.session_state.get("data_browse_digit") not in digits:     # other classes chosen since
        st.session_state.pop("data_browse_digit", None)
    digit = c2.radio(_("Digit") if digit_words else pgettext("a data set's class", "Class"), digits, horizontal=True,
                     key="data_browse_digit", format_func=lambda k: names[digits.index(k)])
    page_key = f"data_page_{split}_{digit}"  # a new set of digits starts at its own page 1
    x, y = rows[split]
    idx = fig_data.class_indices(y, digits.index(digit))
    pages = fig_data.page_count(len(idx), PER_PAGE)
    shown = idx[list(fig_data.page_slice(len(idx), st.session_state.get(page_key, 1), PER_PAGE))]
    # Translators: {split} is the data split's name ("train" or "test", translated with context "data split").
    st.caption(_("{n:,} {split} images of {digit} · {pages} pages of {per_page} · "
                 "showing {split} #{first}…#{last}").format(
        n=len(idx), split=fig_data.split_name(split), digit=names[digits.index(digit)], pages=pages, per_page=PER_PAGE,
        first=shown[0], last=shown[-1]) if len(shown) else _("no images"))
    if len(shown):
        st.image([widgets.digit_png(fig_data.pixel_grid(x[i]), 3) for i in shown],
                 caption=[f"#{i}" for i in shown], width=84, output_format="PNG")
    st.pagination(pages, key=page_key, max_visible_pages=9)


browse_ui()


# ------------------------------------------------------------------ one digit as numbers


def _clamp_index() -> None:
    ss = st.session_state
    last = len(rows[ss["data_split"]][1]) - 1
    ss["data_index"] = min(int(ss.get("data_index", 0)), last)


def _preset(index: int) -> None:
    st.session_state["data_split"] = "test"
    st.session_state["data_index"] = int(index)


def digit_ui() -> tuple[str, int]:
    st.subheader(_("One digit, as the computer sees it") if digit_words else _("One image, as the computer sees it"))
    c1, c2, c3 = st.columns([1, 1, 2])
    split = c1.radio(_("Split"), SPLITS, horizontal=True, key="data_split", on_change=_clamp_index,
                     format_func=fig_data.split_name)
    index = c2.number_input(_("Index"), 0, len(rows[split][1]) - 1, 0, step=1, key="data_index")
    if len(s.ink_test):
        if digit_words:
            label, help_ = (_("Test #{index}: ink where no training digit has any"),
                            _("The test digit that the article's scaling turns into numbers near 1e10."))
        else:
            label, help_ = (_("Test #{index}: ink where no training image has any"),
                            _("The test image that the article's scaling turns into numbers near 1e10."))
        c3.button(label.format(index=s.ink_test[0]), key="b_data_preset", on_click=_preset, args=(s.ink_test[0],),
                  help=help_)
    return split, int(index)


split, index = digit_ui()
x_row = rows[split][0][index]
label = names[int(rows[split][1][index])]
pixels = fig_data.pixel_grid(x_row)
# The table is as wide as its 28 columns: beside the picture when the page has room, else below it (never cut)
table_w, table_h = fig_data.pixel_table_size()
with st.container(horizontal=True, gap="medium"):
    with st.container(width=190):
        widgets.show_digit(pixels, caption=_("{split} #{index}: {a_digit}").format(
            split=fig_data.split_name(split), index=index, a_digit=words.a(label)), scale=6)
        st.caption(_("{n} of 784 pixels have ink; the brightest is {brightest}.").format(
            n=int((pixels > 0).sum()), brightest=int(pixels.max())))
    st.dataframe(fig_data.pixel_table(pixels), key="data_pixels", width=table_w, height=table_h,
                 row_height=fig_data.ROW_PX, column_config=fig_data.pixel_table_columns())


# ------------------------------------------------------------------ the whole set


st.subheader(_("The whole training set"))
c1, c2 = st.columns([2, 3])
c1.plotly_chart(fig_data.balance_figure(s.train_counts, s.test_counts, names), key="data_balance")
balance = (_("Training: {train_a:,} × {a}, {train_b:,} × {b}; "
             "test: {test_a:,} × {a}, {test_b:,} × {b}. "
             "Roughly balanced, so always answering one digit would be right only about "
             "{percent:.0f} % of the time.") if digit_words else
           _("Training: {train_a:,} × {a}, {train_b:,} × {b}; "
             "test: {test_a:,} × {a}, {test_b:,} × {b}. "
             "Roughly balanced, so always answering one class would be right only about "
             "{percent:.0f} % of the time."))
c1.caption(balance.format(
    train_a=s.train_counts[0], train_b=s.train_counts[1], test_a=s.test_counts[0], test_b=s.test_counts[1],
    a=names[0], b=names[1], percent=100 * max(s.test_counts) / max(1, sum(s.test_counts))))
c2.plotly_chart(fig_data.mean_images_figure(s.means, names), key="data_means")
c2.caption(_("The average of each class: the network has to learn whatever separates these two shapes."))

n_blank = int(s.blank.sum())
c1, c2 = st.columns([2, 3])
c1.plotly_chart(fig_data.std_figure(s.std, s.blank), key="data_std")
c2.markdown(
    _("**{n} of the 784 pixels are blank in every training image** (red, mostly the border). "
      "Their standard deviation is 0, so standardising them, {formula}, divides by zero.").format(
        n=n_blank, formula="$(x - \\mu)/\\sigma$")
    + "\n\n- "
    + _("**safe** scaling (default, like scikit-learn's `StandardScaler`): where σ = 0 use 1 instead. "
        "Such a pixel stays 0 in training, and a test image with ink there gets a modest value.")
    + "\n- "
    + _("**seed** scaling (the article's): σ + {eps:g}. In training nothing happens (0/1e-9 = 0), "
        "but ink on such a pixel in a *new* image is divided by {eps:g} and becomes gigantic.").format(eps=SEED_EPSILON)
    + "\n\n"
    + _("Because the blank pixels are 0 in every training image, they get no gradient: their weights in `W1` "
        "never move from the initial ≈0.01. Times 1e10, that is still a huge push on the hidden layer.")
)
if len(s.ink_test):
    c2.info(_("Test images with ink on a blank pixel: {images}. The button above shows the first.").format(
        images=", ".join(f"#{i}" for i in s.ink_test[:10]) + (" …" if len(s.ink_test) > 10 else "")))


# ------------------------------------------------------------------ standardisation


st.subheader(_("What standardisation does to {split} #{index}").format(split=fig_data.split_name(split), index=index))
marks = blank_pixel_ink(x_row, s.blank)
after = {mode: fig_data.standardised(s.scalers[mode], x_row) for mode in ("safe", "seed")}
cols = st.columns(3)
cols[0].plotly_chart(fig_data.digit_heatmap(x_row, _("raw pixels"), marks, diverging=False), key="data_std_raw")
cols[1].plotly_chart(fig_data.digit_heatmap(after["safe"], "safe: (x − μ) / σ, σ = 0 → 1", marks, clip=CLIP),
                     key="data_std_safe")   # the scaling's name (as the Scaling setting shows it) and its formula
cols[2].plotly_chart(fig_data.digit_heatmap(after["seed"], "seed: (x − μ) / (σ + 1e-9)", marks, clip=CLIP),
                     key="data_std_seed")
safe_hi, seed_hi = np.abs(after["safe"]).max(), np.abs(after["seed"]).max()
if len(marks):
    ink_warning = (_("{split} #{index} has ink on {n} pixel(s) that are blank in every training image "
                     "(ringed in red). Safe scaling keeps its largest value at {safe:.3g} (pixels that training "
                     "images almost never ink have a small σ, so they still stand out); the article's "
                     "scaling makes it **{seed:.3g}**, which swamps everything else the network sees. "
                     "That is why the article's run gets test #1749 wrong, and safe scaling does not.")
                   if digit_words else   # test #1749 is MNIST's
                   _("{split} #{index} has ink on {n} pixel(s) that are blank in every training image "
                     "(ringed in red). Safe scaling keeps its largest value at {safe:.3g} (pixels that training "
                     "images almost never ink have a small σ, so they still stand out); the article's "
                     "scaling makes it **{seed:.3g}**, which swamps everything else the network sees."))
    st.warning(ink_warning.format(
        split=fig_data.split_name(split), index=index, n=len(marks), safe=safe_hi, seed=seed_hi))
else:
    st.caption(_("No ink on always-blank pixels here, so both scalings give (almost) the same numbers: "
                 "largest |value| {safe:.3g} (safe) and {seed:.3g} (seed). Standardising puts every pixel "
                 "on a similar scale around 0, which lets one learning rate suit all 784 weights.").format(
        safe=safe_hi, seed=seed_hi))
