"""The dataset for the dashboard: loaded once per server process, or uploaded by one session."""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from ssnn_core import DataError, Mnist, PairData, Standardiser, load_mnist, select_digits
from ssnn_core.data import idx_bytes_to_mnist, npz_bytes_to_mnist

from . import i18n
from .i18n import _
from .memo import Shared

MAX_DATA_UPLOAD = 60 * 2**20  # mnist.npz is 11 MB; the four gzipped IDX files ~11 MB


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


def read_upload(files) -> Mnist:
    """One mnist.npz, or the four IDX files (gzipped or raw). Raises DataError with a one-line reason."""
    files = [f for f in files if f is not None]
    if not files:
        raise DataError("no file given")
    total = sum(f.size for f in files)
    if total > MAX_DATA_UPLOAD:
        raise DataError("upload is {mb:.0f} MB; MNIST is about 11 MB", mb=total / 2**20)
    if len(files) == 1 and files[0].name.lower().endswith(".npz"):
        return npz_bytes_to_mnist(files[0].getvalue(), files[0].name)
    if len(files) == 4:
        return idx_bytes_to_mnist({f.name: f.getvalue() for f in files})
    raise DataError("give one mnist.npz, or the four IDX files (train/t10k images and labels)")


def data_upload_ui(key: str = "data_upload") -> None:
    """An uploader for the dataset; a good upload replaces this session's dataset."""
    files = st.file_uploader(_("Upload mnist.npz or the four IDX files"), type=None,
                             accept_multiple_files=True, key=key, max_upload_size=64)
    if files and st.button(_("Use these files"), key=f"{key}_go"):
        try:
            st.session_state["uploaded_mnist"] = read_upload(files)
            st.session_state.pop("uploaded_pairs", None)
            st.success(_("Dataset loaded for this session."))
            st.rerun()
        except DataError as exc:
            st.error(_("Could not use the upload: {reason}").format(reason=i18n.error_text(exc)))
