"""Shared fixtures: where the real MNIST lives, and small synthetic datasets made in the test.

Real data: $SSNN_MNIST, else ../shared/data/mnist.npz beside the repository. Tests that need it are
marked `mnist` and skip when it is absent, unless SSNN_REQUIRE_MNIST=1 (CI), where absence fails.

The dashboard's tests run on one of two data sets, chosen by fixture: `app_synthetic` (a small
synthetic mnist.npz in the Keras layout, always there, so every page is tested even without MNIST) or
`app_mnist` (the real one). Either points SSNN_MNIST at its file and, when the server's data source
changes, clears Streamlit's resource cache so that the server's MNIST is loaded again.
Every test starts with an empty classroom (no finished or in-progress run of an earlier test is
shared with it): see `fresh_classroom`.

The app layer's tests, from the inside out:
  test_lifecycle, test_runs, test_classroom, test_worker   pure: no Streamlit, no process (the training
                                                           process's Owner is driven in-process)
  test_app_pages   every page through AppTest, on the synthetic data set
  test_app_train   the Train page and the commands behind it, with the real training process beside
                   the test, on the synthetic data set
  test_app_real    what only the real MNIST shows (marked `mnist`)
Markers: `mnist` (needs the real data), `slow` (seconds each; `-m "not slow"` is the fast lane),
`browser` (tests/browser/, Chromium).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ssnn_core.data import Mnist, select_digits

REPO = Path(__file__).resolve().parents[1]
DEFAULT_NPZ = REPO.parent / "shared" / "data" / "mnist.npz"


def _absent(message: str):
    if os.environ.get("SSNN_REQUIRE_MNIST") == "1":
        pytest.fail(f"{message} (SSNN_REQUIRE_MNIST=1, so this is an error)")
    pytest.skip(f"{message}; set SSNN_MNIST to an mnist.npz to run it")


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The real MNIST: an .npz in the Keras layout (or an IDX folder if SSNN_MNIST says so)."""
    path = Path(os.environ.get("SSNN_MNIST") or DEFAULT_NPZ)
    if not path.exists():
        _absent(f"real MNIST not found at {path}")
    return path


@pytest.fixture(scope="session")
def mnist_idx_dir(mnist_path) -> Path:
    """The four original IDX files: `mnist-idx/` beside the npz (or SSNN_MNIST itself if a folder)."""
    folder = mnist_path if mnist_path.is_dir() else mnist_path.parent / "mnist-idx"
    if not folder.is_dir():
        _absent(f"real MNIST IDX folder not found at {folder}")
    return folder


# ---------------------------------------------------------------- the dashboard's shared state


@pytest.fixture(autouse=True)
def fresh_classroom():
    """No run of an earlier test is shared with this one, and none it left training goes on (the
    training process itself is kept: it takes a second to start). Only if the app layer was imported."""
    commands = sys.modules.get("ssnn_app.commands")
    if commands is not None:
        commands.forget_shared_runs()
    yield
    commands = sys.modules.get("ssnn_app.commands")
    if commands is not None:  # a run a test left training would slow the next tests down
        from ssnn_app import protocol

        for run in commands.engine().runs():
            if run.status.active:
                commands.engine().command(run, lambda c, run=run: protocol.Pause(run.id, c))


_app_source: list[str | None] = [None]   # the data file the server's cached MNIST was loaded from


def use_app_data(monkeypatch, path: Path) -> Path:
    """Make `path` the dashboard server's MNIST (SSNN_MNIST), reloading it if it was another one."""
    import streamlit as st

    monkeypatch.setenv("SSNN_MNIST", str(path))
    if _app_source[0] != str(path):
        st.cache_resource.clear()
        _app_source[0] = str(path)
    return path


@pytest.fixture(scope="session")
def synthetic_npz(tmp_path_factory) -> Path:
    """A small MNIST in the Keras layout: 1000 training and 300 test images (200 and 60 of each digit
    pair), rings for even digits and bars for odd ones, so a network tells any pair apart quickly.
    Like MNIST's test #1749, one test image (#1 of 0/1, a 1) has ink on a pixel no training image inks."""
    mnist = make_mnist(1000, 300, seed=5)
    x_test = np.array(mnist.x_test)
    x_test[1, 14, 0] = 200
    return write_npz(tmp_path_factory.mktemp("synthetic-mnist") / "mnist.npz", mnist, x_test=x_test)


@pytest.fixture
def app_synthetic(synthetic_npz, monkeypatch) -> Path:
    """The dashboard on the synthetic data set (needs no real MNIST)."""
    return use_app_data(monkeypatch, synthetic_npz)


@pytest.fixture
def app_mnist(mnist_path, monkeypatch) -> Path:
    """The dashboard on the real MNIST (the test is skipped without it; mark it `mnist`)."""
    return use_app_data(monkeypatch, mnist_path)


# ---------------------------------------------------------------- synthetic data


def draw_digit(label: int, rng: np.random.Generator) -> np.ndarray:
    """A crude 28x28 uint8 'digit': a ring for even labels, a bar for odd ones, jittered, plus noise."""
    img = np.zeros((28, 28), np.float64)
    r, c = np.mgrid[0:28, 0:28]
    dr, dc = rng.integers(-2, 3, size=2)
    if label % 2 == 0:
        dist = np.hypot(r - 14 - dr, (c - 14 - dc) * 1.3)
        img[(dist > 5 + label % 3) & (dist < 8 + label % 3)] = 255
    else:
        img[4 + dr:24 + dr, 13 + dc - label % 3:15 + dc + label % 3] = 255
    img += rng.normal(0, 10, img.shape)
    img[:, :2] = 0  # columns blank in every image, like MNIST's corners
    return np.clip(img, 0, 255).astype(np.uint8)


def make_mnist(n_train: int = 200, n_test: int = 60, seed: int = 0) -> Mnist:
    """A small synthetic Mnist: labels cycle 0..9 so every digit is present."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = (np.arange(n) % 10).astype(np.uint8)
        return np.stack([draw_digit(int(d), rng) for d in y]), y

    xt, yt = split(n_train)
    xs, ys = split(n_test)
    return Mnist(xt, yt, xs, ys, "synthetic")


@pytest.fixture
def synthetic():
    """Factory: synthetic(n_train, n_test, seed) -> Mnist."""
    return make_mnist


@pytest.fixture
def synthetic_pair():
    """Factory: synthetic_pair(digits=(0, 1), n_train, n_test) -> PairData."""
    def make(digits=(0, 1), n_train=200, n_test=60, seed=0):
        return select_digits(make_mnist(n_train, n_test, seed), digits)
    return make


def write_idx(path: Path, array: np.ndarray, magic: int | None = None, gz: bool = True) -> Path:
    """Write one IDX file (uint8 data), gzipped when `gz`."""
    magic = magic if magic is not None else (0x800 | array.ndim)
    head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    raw = head + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw, compresslevel=1))
    else:
        path.write_bytes(raw)
    return path


def write_idx_folder(folder: Path, mnist: Mnist, gz: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, arr in (("train-images-idx3-ubyte", mnist.x_train), ("train-labels-idx1-ubyte", mnist.y_train),
                      ("t10k-images-idx3-ubyte", mnist.x_test), ("t10k-labels-idx1-ubyte", mnist.y_test)):
        write_idx(folder / stem, arr, gz=gz)
    return folder


def write_npz(path: Path, mnist: Mnist | None = None, **arrays) -> Path:
    """An .npz in the Keras layout from `mnist`, with any array replaced or added by keyword."""
    base = {} if mnist is None else {"x_train": mnist.x_train, "y_train": mnist.y_train,
                                     "x_test": mnist.x_test, "y_test": mnist.y_test}
    base.update(arrays)
    np.savez(path, **{k: v for k, v in base.items() if v is not None})
    return path


def run_cli(*args, cwd=REPO, timeout=300, env_extra=None) -> subprocess.CompletedProcess:
    """`python -m ssnn_core ARGS` from the repository root, output captured as text."""
    env = {k: v for k, v in os.environ.items() if k not in ("SSNN_MNIST", "SSNN_DEBUG")}
    env["PYTHONPATH"] = str(REPO)
    env["PYTHONWARNINGS"] = "error"  # a warning printed to the user counts as a failure too
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "ssnn_core", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
