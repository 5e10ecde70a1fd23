"""MNIST loaders (npz, IDX gz/raw), their refusals, digit selection, the download, and Hyper validation."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import math
import tracemalloc
import urllib.error
import zipfile

import numpy as np
import pytest

from ssnn_core import data
from ssnn_core.config import ConfigError, DataError, Hyper
from ssnn_core.data import load_idx_folder, load_mnist, load_npz, load_path, select_digits
from tests.conftest import make_mnist, write_idx, write_idx_folder, write_npz

# ---------------------------------------------------------------- npz


@pytest.fixture(scope="module")
def small():
    return make_mnist(60, 20)


def test_npz_round_trip(tmp_path, small):
    m = load_npz(write_npz(tmp_path / "m.npz", small))
    np.testing.assert_array_equal(m.x_train, small.x_train)
    np.testing.assert_array_equal(m.y_test, small.y_test)
    assert m.x_train.dtype == np.uint8 and not m.x_train.flags.writeable


def test_compressed_npz_reads(tmp_path, small):
    path = tmp_path / "c.npz"
    np.savez_compressed(path, x_train=small.x_train, y_train=small.y_train, x_test=small.x_test, y_test=small.y_test)
    assert load_npz(path).x_test.shape == (20, 28, 28)


@pytest.mark.parametrize("change, message", [
    ({"x_train": None}, "expected arrays"),                                        # one missing
    ({"extra": np.zeros(3)}, "expected arrays"),                                   # one too many
    ({"x_train": np.zeros((60, 28, 28), np.float32)}, "must be uint8"),
    ({"y_train": np.zeros(60, np.int64)}, "must be uint8"),
    ({"x_train": np.zeros((60, 784), np.uint8)}, "must be (N, 28, 28)"),
    ({"x_test": np.zeros((20, 28, 27), np.uint8)}, "must be (N, 28, 28)"),
    ({"y_train": np.zeros(59, np.uint8)}, "60 train images but 59 labels"),
    ({"x_test": np.zeros((0, 28, 28), np.uint8), "y_test": np.zeros(0, np.uint8)}, "0 test images"),
    ({"y_test": np.full(20, 10, np.uint8)}, "label 10"),
    ({"y_train": np.array([None] * 60, dtype=object)}, "pickled"),
])
def test_npz_wrong_contents_refused(tmp_path, small, change, message):
    path = write_npz(tmp_path / "bad.npz", small, **change)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_npz(path)


@pytest.mark.parametrize("content", [b"", b"hello, I am text\n", b"PK\x03\x04" + b"\0" * 30, b"\x89PNG\r\n\x1a\n" * 10])
def test_npz_garbage_refused(tmp_path, content):
    path = tmp_path / "mnist.npz"  # right extension, wrong contents
    path.write_bytes(content)
    with pytest.raises(DataError, match="not a valid .npz"):
        load_npz(path)


def test_npz_truncated_refused(tmp_path, small):
    raw = write_npz(tmp_path / "m.npz", small).read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError):
        load_npz(path)


def test_npz_corrupt_data_refused(tmp_path, small):
    path = tmp_path / "c.npz"
    np.savez_compressed(path, x_train=small.x_train, y_train=small.y_train, x_test=small.x_test, y_test=small.y_test)
    raw = bytearray(path.read_bytes())
    for i in range(300, 340):  # inside the first member's compressed data
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError):
        load_npz(path)


def _npy_header(shape, dtype="|u1") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue()  # magic, version and header


def test_npz_bomb_refused_before_unpacking(tmp_path):
    """A small zip whose members declare ~130 MB unpacked: refused from the zip directory alone."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x_train.npy", "w", force_zip64=True) as f:
            f.write(_npy_header((170_000, 28, 28)))
            zeros = bytes(1 << 20)
            for _ in range(130):
                f.write(zeros)
        for name in ("y_train", "x_test", "y_test"):
            zf.writestr(f"{name}.npy", _npy_header((1,)) + b"\0")
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="unpacks to more than"):
            load_npz(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def test_npz_lying_header_refused_without_allocating(tmp_path, small):
    """A .npy header that claims a huge shape over a few bytes: refused before numpy allocates it."""
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", _npy_header((10**9, 28, 28)) + b"\0" * 100)
        for name in ("y_train", "x_test", "y_test"):
            zf.writestr(f"{name}.npy", _npy_header((1,)) + b"\0")
    with pytest.raises(DataError, match="more data than it holds"):
        load_npz(path)


# ---------------------------------------------------------------- IDX


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_round_trip(tmp_path, small, gz):
    m = load_idx_folder(write_idx_folder(tmp_path / "idx", small, gz=gz))
    np.testing.assert_array_equal(m.x_train, small.x_train)
    np.testing.assert_array_equal(m.y_test, small.y_test)
    assert load_path(tmp_path / "idx").x_test.shape == (20, 28, 28)


def test_idx_missing_file(tmp_path, small):
    folder = write_idx_folder(tmp_path / "idx", small)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing t10k-labels"):
        load_idx_folder(folder)


def test_idx_empty_folder(tmp_path):
    with pytest.raises(DataError, match="missing train-images"):
        load_path(tmp_path)


def _idx_with(tmp_path, small, name, raw: bytes | None = None, array=None, magic=None, gz=True):
    folder = write_idx_folder(tmp_path / "idx", small, gz=gz)
    target = folder / (name + (".gz" if gz else ""))
    if raw is not None:
        target.write_bytes(gzip.compress(raw) if gz else raw)
    else:
        write_idx(folder / name, array, magic=magic, gz=gz)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_idx_wrong_magic(tmp_path, small, gz):
    folder = _idx_with(tmp_path, small, "train-labels-idx1-ubyte", array=small.y_train, magic=0x803, gz=gz)
    with pytest.raises(DataError, match="magic number"):
        load_idx_folder(folder)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_truncated_body(tmp_path, small, gz):
    head = (0x803).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in (60, 28, 28))
    folder = _idx_with(tmp_path, small, "train-images-idx3-ubyte", raw=head + bytes(1000), gz=gz)
    with pytest.raises(DataError, match="expected 47040 bytes of data, found 1000"):
        load_idx_folder(folder)


def test_idx_empty_file(tmp_path, small):
    folder = _idx_with(tmp_path, small, "t10k-images-idx3-ubyte", raw=b"", gz=False)
    with pytest.raises(DataError, match="magic number"):
        load_idx_folder(folder)


def test_idx_cut_gzip_stream(tmp_path, small):
    folder = write_idx_folder(tmp_path / "idx", small)
    target = folder / "train-images-idx3-ubyte.gz"
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="unreadable or truncated"):
        load_idx_folder(folder)


def test_idx_not_gzip_behind_gz_name(tmp_path, small):
    folder = write_idx_folder(tmp_path / "idx", small)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"plain text, not gzip" * 10)
    with pytest.raises(DataError, match="unreadable or truncated"):
        load_idx_folder(folder)


def test_idx_wrong_image_size(tmp_path, small):
    folder = _idx_with(tmp_path, small, "train-images-idx3-ubyte", array=np.zeros((60, 32, 32), np.uint8))
    with pytest.raises(DataError, match="unexpected dimensions"):
        load_idx_folder(folder)


def test_idx_huge_count_refused_without_reading(tmp_path, small):
    head = (0x801).to_bytes(4, "big") + (2**31).to_bytes(4, "big")
    folder = _idx_with(tmp_path, small, "train-labels-idx1-ubyte", raw=head, gz=False)
    with pytest.raises(DataError, match="unexpected dimensions"):
        load_idx_folder(folder)


def test_idx_label_count_mismatch_and_bad_labels(tmp_path, small):
    folder = _idx_with(tmp_path, small, "train-labels-idx1-ubyte", array=small.y_train[:50])
    with pytest.raises(DataError, match="60 train images but 50 labels"):
        load_idx_folder(folder)
    folder = _idx_with(tmp_path / "b", small, "t10k-labels-idx1-ubyte", array=np.full(20, 200, np.uint8))
    with pytest.raises(DataError, match="label 200"):
        load_idx_folder(folder)


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_path(tmp_path / "nope.npz")


# ---------------------------------------------------------------- real data


@pytest.mark.mnist
def test_real_npz_and_idx_agree(mnist_path, mnist_idx_dir):
    a, b = load_mnist(mnist_path), load_mnist(mnist_idx_dir)
    assert a.x_train.shape == (60000, 28, 28) and a.x_test.shape == (10000, 28, 28)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert load_mnist(mnist_path) is a  # cached once per process
    pair = select_digits(a, (0, 1))
    assert (len(pair.y_train), len(pair.y_test)) == (12665, 2115)
    assert int((pair.x_train.std(axis=0) == 0).sum()) == 167


# ---------------------------------------------------------------- select_digits


def test_select_digits_keeps_order_and_labels(small):
    pair = select_digits(small, (3, 8))
    keep = np.flatnonzero((small.y_train == 3) | (small.y_train == 8))
    np.testing.assert_array_equal(pair.x_train, small.x_train[keep].reshape(-1, 784))
    np.testing.assert_array_equal(pair.y_train, (small.y_train[keep] == 8).astype(np.uint8))
    assert pair.digits == (3, 8) and pair.x_train.shape[1] == 784


def test_select_digits_second_is_positive(small):
    forward, backward = select_digits(small, (0, 1)), select_digits(small, (1, 0))
    np.testing.assert_array_equal(forward.y_test, 1 - backward.y_test)
    np.testing.assert_array_equal(forward.x_test, backward.x_test)


@pytest.mark.parametrize("digits, message", [((4, 4), "two different digits"), ((0, 12), "0..9"),
                                             ((1,), "two digits"), (("a", 1), "whole number")])
def test_select_digits_refuses(small, digits, message):
    with pytest.raises(ConfigError, match=message):
        select_digits(small, digits)


def test_select_digits_absent_digit(small):
    only = data.Mnist(small.x_train[small.y_train < 5], small.y_train[small.y_train < 5],
                      small.x_test, small.y_test, "half")
    with pytest.raises(DataError, match="no images of digits 7 and 8"):
        select_digits(only, (7, 8))


# ---------------------------------------------------------------- download


class FakeResponse(io.BytesIO):
    def __init__(self, payload: bytes, cut_after: int | None = None):
        super().__init__(payload)
        self.cut_after = cut_after

    def read(self, n=-1):
        if self.cut_after is not None and self.tell() >= self.cut_after:
            raise http.client.IncompleteRead(b"", 100)
        return super().read(n)

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def offline_home(tmp_path, monkeypatch):
    """No SSNN_MNIST, an empty Keras cache folder, no Keras: load_mnist must download."""
    monkeypatch.delenv("SSNN_MNIST", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "_from_keras", lambda: None)
    monkeypatch.setattr(data, "_CACHE", {})
    return tmp_path / "keras" / "datasets"


def _serve(monkeypatch, payload=b"", cut_after=None, error=None):
    def urlopen(url, timeout=None):
        if error is not None:
            raise error
        return FakeResponse(payload, cut_after)
    monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)


def test_download_good_file_is_kept(tmp_path, offline_home, monkeypatch, small):
    payload = write_npz(tmp_path / "src.npz", small).read_bytes()
    monkeypatch.setattr(data, "MNIST_SHA256", hashlib.sha256(payload).hexdigest())
    _serve(monkeypatch, payload)
    m = load_mnist()
    np.testing.assert_array_equal(m.y_train, small.y_train)
    assert [p.name for p in offline_home.iterdir()] == ["mnist.npz"]


def test_download_wrong_hash_leaves_nothing(tmp_path, offline_home, monkeypatch, small):
    _serve(monkeypatch, write_npz(tmp_path / "src.npz", small).read_bytes())
    with pytest.raises(DataError, match="wrong sha256"):
        load_mnist()
    assert list(offline_home.iterdir()) == []


def test_download_interrupted_leaves_nothing(tmp_path, offline_home, monkeypatch, small):
    _serve(monkeypatch, b"x" * 300_000, cut_after=1 << 16)
    with pytest.raises(DataError, match="could not download MNIST"):
        load_mnist()
    assert list(offline_home.iterdir()) == []


def test_offline_says_how_to_get_data(offline_home, monkeypatch):
    _serve(monkeypatch, error=urllib.error.URLError("Name or service not known"))
    with pytest.raises(DataError, match="--data PATH or the SSNN_MNIST"):
        load_mnist()
    with pytest.raises(DataError, match="MNIST not found"):
        load_mnist(allow_download=False)


def test_damaged_keras_cache_falls_through(offline_home, monkeypatch):
    offline_home.mkdir(parents=True)
    (offline_home / "mnist.npz").write_bytes(b"not a zip")
    _serve(monkeypatch, error=urllib.error.URLError("offline"))
    with pytest.raises(DataError, match="could not download"):
        load_mnist()


def test_env_var_is_an_explicit_path(tmp_path, monkeypatch, small):
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setenv("SSNN_MNIST", str(write_npz(tmp_path / "env.npz", small)))
    assert load_mnist().source.endswith("env.npz")


# ---------------------------------------------------------------- Hyper


def test_hyper_defaults_are_the_articles():
    h = Hyper()
    assert (h.digits, h.hidden, h.learning_rate, h.iterations, h.seed) == ((0, 1), 10, 0.5, 500, 561)
    assert Hyper.from_dict(h.to_dict()) == h
    assert Hyper(hidden="20", iterations=5.0).hidden == 20


@pytest.mark.parametrize("field, value, message", [
    ("hidden", 0, "hidden must be in 1..300, got 0"),
    ("hidden", 10000, "hidden must be in 1..300, got 10000"),
    ("hidden", 2.5, "whole number"),
    ("hidden", "ten", "whole number"),
    ("hidden", None, "whole number"),
    ("hidden", True, "whole number"),
    ("learning_rate", 0, "positive finite"),
    ("learning_rate", -1, "positive finite"),
    ("learning_rate", math.nan, "positive finite"),
    ("learning_rate", math.inf, "positive finite"),
    ("learning_rate", "fast", "must be a number"),
    ("learning_rate", 1e6, "at most"),
    ("iterations", 0, "iterations must be in 1..100000, got 0"),
    ("iterations", -5, "iterations must be in"),
    ("iterations", math.inf, "whole number"),
    ("seed", -1, "seed must be in"),
    ("dtype", "float16", "dtype must be one of"),
    ("scaling", "minmax", "scaling must be one of"),
    ("digits", (2, 2), "two different digits"),
])
def test_hyper_refuses(field, value, message):
    with pytest.raises(ConfigError, match=message):
        Hyper(**{field: value})
