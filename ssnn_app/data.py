"""The dataset for the dashboard: loaded once per server process, or uploaded by one session.

A session may upload its own data set (`data_upload_ui`): one .npz in the Keras layout, the four IDX files,
Kuzushiji-MNIST's four npz files, or a .zip of its own images, one folder per class (ssnn_core.imagefolder).
A good upload replaces the session's data set (its trained run stays as it is); a bad one changes nothing.
Runs are shared between sessions by the data's content (PairData.digest), never by a file's name."""

from __future__ import annotations

import threading
from pathlib import PureWindowsPath

import numpy as np
import streamlit as st

from ssnn_core import DataError, Mnist, PairData, Standardiser, load_mnist, select_digits
from ssnn_core.data import idx_bytes_to_mnist, npz_bytes_to_mnist
from ssnn_core.datasets import KNOWN
from ssnn_core.imagefolder import MAX_CLASSES, MAX_ZIP_BYTES, MIN_CLASSES, MIN_PER_CLASS, TEST_PERCENT, load_image_zip

from . import i18n
from .i18n import _
from .memo import Shared

MAX_DATA_UPLOAD = 60 * 2**20  # mnist.npz is 11 MB; the four gzipped IDX files ~11 MB
SPLIT_SEED = 0                # a zip of images is split into training and test images with this seed
DATASETS = (None, *KNOWN)     # 'What is it?': None recognises the data set from the file names
NOTICE_KEY = "_data_upload_notice"   # what the last upload or return did, shown once after its rerun


_server_loaded = threading.Event()   # set once this process has looked for the server's copy


@st.cache_resource(show_spinner=False)   # the spinner's text is in the session's language: see _server()
def _server_mnist() -> Mnist | DataError:
    """The server's copy (SSNN_MNIST, Keras' cache, Keras, or a download), or the reason there is none
    (the error itself, shown in each session's language)."""
    try:
        return load_mnist(None)
    except DataError as exc:
        return exc.with_traceback(None)   # kept for the process: not its frames


def _server() -> Mnist | DataError:
    """_server_mnist(), with a spinner the first time this process loads it."""
    if _server_loaded.is_set():
        return _server_mnist()
    with st.spinner(_("Loading MNIST once for everyone on this server...")):
        found = _server_mnist()
    _server_loaded.set()
    return found


@st.cache_resource(show_spinner=False, max_entries=16)
def _server_pair(digits: tuple[int, int]) -> PairData:
    return select_digits(_server_mnist(), digits)


def mnist() -> Mnist | None:
    """This session's dataset: an upload if the user gave one, else the server's (None if neither)."""
    uploaded = st.session_state.get("uploaded_mnist")
    if uploaded is not None:
        return uploaded
    m = _server()
    return m if isinstance(m, Mnist) else None


def missing_reason() -> str | None:
    """Why there is no data (in the session's language), or None when there is."""
    m = _server()
    return None if isinstance(m, Mnist) or st.session_state.get("uploaded_mnist") else i18n.error_text(m)


def pair(digits: tuple[int, int]) -> PairData | None:
    """The two selected digits of this session's dataset (cached)."""
    uploaded = st.session_state.get("uploaded_mnist")
    if uploaded is not None:
        cache = st.session_state.setdefault("uploaded_pairs", {})
        if digits not in cache:
            cache[digits] = select_digits(uploaded, digits)
        return cache[digits]
    if not isinstance(_server(), Mnist):
        return None
    return _server_pair(tuple(digits))


_scalers = Shared(8)       # (id(pair), mode) -> (Standardiser, pair): fitted once per pair and mode
_test_inputs = Shared(8)   # (id(pair), id(scaler), dtype) -> (X_test, pair, scaler)


def scaler(pair: PairData, mode: str) -> Standardiser:
    """The standardiser of `pair`'s training images in `mode`, fitted once per server (or upload)."""
    return _scalers.get((id(pair), mode), lambda: (Standardiser.fit(pair.x_train, mode), pair))[0]


def test_inputs(pair: PairData, scaler: Standardiser, dtype) -> np.ndarray:
    """`pair`'s test images standardised by `scaler`: X_test (784, m_test), read-only, made once."""
    def make():
        X = scaler.transform(pair.x_test, dtype)
        X.flags.writeable = False
        return X, pair, scaler       # pair and scaler held, so that their ids are not reused meanwhile

    return _test_inputs.get((id(pair), id(scaler), np.dtype(dtype).name), make)[0]


def _is_zip(name: str) -> bool:
    return str(name).lower().endswith(".zip")


def _base(name) -> str:
    """An uploaded file's own name (never a path), on one short line."""
    text = PureWindowsPath(str(name or "")).name
    return "".join(c if c.isprintable() else "?" for c in text)[:80] or "upload"


def read_upload(files, dataset: str | None = None) -> Mnist:
    """One .npz in the Keras layout, the four IDX files (gzipped or raw) or Kuzushiji-MNIST's four npz files,
    or one .zip of images (one folder per class). `dataset`: a datasets.KNOWN key naming what the MNIST-format
    files hold, None to recognise it from their names (not asked for a zip: its folders name its classes).
    Sizes are checked before any file is read. Raises DataError with a one-line reason."""
    files = [f for f in files if f is not None]
    if not files:
        raise DataError("no file given")
    if any(_is_zip(f.name) for f in files):
        if len(files) != 1:
            raise DataError("give the .zip of images on its own, without other files")
        f = files[0]
        if f.size > MAX_ZIP_BYTES:
            raise DataError("{name}: larger than {mb} MB; a zip of images may be at most {mb} MB",
                            name=_base(f.name), mb=MAX_ZIP_BYTES >> 20)
        return load_image_zip(f.getvalue(), f.name, seed=SPLIT_SEED)
    total = sum(f.size for f in files)
    if total > MAX_DATA_UPLOAD:
        raise DataError("upload is {mb:.0f} MB; MNIST is about 11 MB", mb=total / 2**20)
    if len(files) == 1 and files[0].name.lower().endswith(".npz"):
        m = npz_bytes_to_mnist(files[0].getvalue(), files[0].name, dataset)
        # (its source would be the temporary file it was read from: the uploaded file's name instead)
        return Mnist(m.x_train, m.y_train, m.x_test, m.y_test, _base(files[0].name), m.name, m.classes, m.digest)
    if len(files) == 4:
        return idx_bytes_to_mnist({f.name: f.getvalue() for f in files}, dataset)
    raise DataError("give one mnist.npz, or the four IDX files (train/t10k images and labels), or "
                    "Kuzushiji-MNIST's four npz files, or one .zip of your own images")


def _dataset_choice(key: str | None) -> str:
    if key is None:
        return _("recognise from the file names")
    from . import classes

    return classes.translate(KNOWN[key].name)


def _forget_derived() -> None:
    """What this session made from its data set: the selected pairs, and its per-session memos (keyed by
    the pairs' ids, which a new data set's pairs may reuse)."""
    ss = st.session_state
    ss.pop("uploaded_pairs", None)
    for k in [k for k in ss if isinstance(k, str) and k.startswith("_memo_")]:
        del ss[k]


def _said(m: Mnist) -> dict:
    from . import classes

    return {"dataset": classes.dataset_name(m), "n": len(m.classes), "names": ", ".join(classes.names(m)),
            "n_train": len(m.y_train), "n_test": len(m.y_test)}


def use_upload(m: Mnist) -> None:
    """Make `m` this session's data set (its run stays as it was); settings asking for classes it lacks fall
    back to its first two. What happened is shown once, by upload_notice(), after the rerun."""
    from . import settings

    st.session_state["uploaded_mnist"] = m
    _forget_derived()
    notes = [("success", _("Loaded {dataset}: {n} classes ({names}), {n_train:,} training and {n_test:,} test "
                           "images.").format(**_said(m)))]
    notes += [("warning", text) for text in settings.fit_classes()]
    _notice(notes)


def back_to_server() -> None:
    """Back to the server's data set (this session's upload is let go of)."""
    from . import settings

    st.session_state.pop("uploaded_mnist", None)
    _forget_derived()
    m = mnist()
    notes = [("success", _("Back to the server's data set, {dataset}.").format(dataset=_said(m)["dataset"]))] \
        if m is not None else []
    notes += [("warning", text) for text in settings.fit_classes()]
    _notice(notes)


def _notice(notes: list[tuple[str, str]]) -> None:
    st.session_state[NOTICE_KEY] = (st.session_state.get("_page"), notes)


def upload_notice() -> None:
    """Say, once, what the last upload (or the return to the server's data set) did: on the page it was
    done on, after its rerun (on another page it is old news, and dropped)."""
    page, notes = st.session_state.pop(NOTICE_KEY, None) or (None, [])
    if page != st.session_state.get("_page"):
        return
    for kind, text in notes:
        (st.warning if kind == "warning" else st.success)(text)


def data_upload_ui(key: str = "data_upload") -> None:
    """An uploader for the dataset; a good upload replaces this session's dataset, a bad one changes nothing."""
    upload_notice()
    files = st.file_uploader(
        _("Upload one .npz in the Keras layout, the four IDX files, Kuzushiji-MNIST's four .npz files, or a .zip "
          "of your own images"), type=None, accept_multiple_files=True, key=key, max_upload_size=64)
    files = [f for f in files or [] if f is not None]
    dataset = None
    if not any(_is_zip(f.name) for f in files):
        dataset = st.selectbox(_("What is it?"), DATASETS, format_func=_dataset_choice, key=f"{key}_kind",
                               help=_("Which data set the MNIST-format files hold: it names the classes "
                                      "(Fashion-MNIST's T-shirt/top, Trouser, ...)."))
    st.caption(_("A .zip of your own images: one folder per class ({least} to {most} folders, named after the "
                 "classes, at least {per_class} images each), PNG or JPEG of any size. Each image is made into "
                 "a 28×28 grey image as on Try it: light ink on a dark background, cropped to the ink and "
                 "centred.").format(least=MIN_CLASSES, most=MAX_CLASSES, per_class=MIN_PER_CLASS)
               + " " + _("{percent} % of each class's images (rounded down, at least 1), picked by a shuffle "
                         "with seed {seed}, become its test images, the rest its training images: the same zip "
                         "always gives the same split.").format(percent=TEST_PERCENT, seed=SPLIT_SEED))
    if files and st.button(_("Use these files"), key=f"{key}_go"):
        try:
            found = read_upload(files, dataset)
        except DataError as exc:   # nothing changed: the session keeps its data set and its run
            st.error(_("Could not use the upload: {reason}").format(reason=i18n.error_text(exc)))
        else:
            use_upload(found)
            st.rerun()
    uploaded = st.session_state.get("uploaded_mnist")
    if uploaded is not None:
        st.caption(_("This session uses {dataset}: {n} classes ({names}), {n_train:,} training and {n_test:,} "
                     "test images.").format(**_said(uploaded)))
        if isinstance(_server(), Mnist) and st.button(_("Back to the server's data set"), key=f"{key}_back",
                                                      icon=":material/undo:"):
            back_to_server()
            st.rerun()
