"""Saving and loading models: exact round trips, and every kind of file that is not one of ours refused."""

from __future__ import annotations

import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest

from ssnn_core.config import Hyper, ModelFileError
from ssnn_core.data import select_digits
from ssnn_core.model_io import Model, load_model, save_model, to_bytes
from ssnn_core.network import init_params, predict_proba
from ssnn_core.scaling import Standardiser
from tests.conftest import make_mnist, write_npz


def make_model(dtype="float32", hidden=5, scaling="safe") -> Model:
    pair = select_digits(make_mnist(100, 20), (0, 1))
    hyper = Hyper(hidden=hidden, dtype=dtype, scaling=scaling, iterations=7)
    rng = np.random.default_rng(0)
    params = {k: (v + rng.normal(0, 0.01, v.shape)).astype(dtype)
              for k, v in init_params(hidden, 561, dtype=np.float64).items()}
    return Model(params, Standardiser.fit(pair.x_train, scaling), hyper, iteration=7)


def arrays_of(model: Model) -> dict:
    with np.load(io.BytesIO(to_bytes(model)), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def write_model(path, arrays: dict, compressed=False):
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scaling", ["safe", "seed"])
def test_round_trip_is_exact(tmp_path, dtype, scaling):
    model = make_model(dtype, scaling=scaling)
    path = save_model(model, tmp_path / "m")                  # .npz is added
    assert path.name == "m.npz" and [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temp file left
    back = load_model(path)
    assert back.hyper == model.hyper and back.iteration == 7 and back.scaler.mode == scaling
    for k, v in model.params.items():
        assert back.params[k].dtype == v.dtype
        np.testing.assert_array_equal(back.params[k], v)
    for k in ("mean", "scale", "blank"):
        np.testing.assert_array_equal(getattr(back.scaler, k), getattr(model.scaler, k))
    x = make_mnist(0 + 10, 30, seed=5).x_test.reshape(-1, 784)
    before = predict_proba(model.params, model.scaler.transform(x, dtype))
    after = predict_proba(back.params, back.scaler.transform(x, dtype))
    np.testing.assert_array_equal(before, after)
    assert load_model(path.read_bytes()).hyper == model.hyper                 # bytes
    with open(path, "rb") as f:
        assert load_model(f).hyper == model.hyper                             # file object


def test_save_overwrites_atomically(tmp_path):
    path = save_model(make_model(), tmp_path / "m.npz")
    save_model(make_model(hidden=3), path)
    assert load_model(path).hyper.hidden == 3 and len(list(tmp_path.iterdir())) == 1


def test_save_into_unwritable_place(tmp_path):
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ModelFileError, match="cannot write the model"):
        save_model(make_model(), tmp_path / "a_file" / "m.npz")


def _with(arrays, **changes):
    out = dict(arrays)
    for k, v in changes.items():
        if v is None:
            out.pop(k)
        else:
            out[k] = v
    return out


def _header(**changes):
    base = {"format": "ssnn-model", "version": 1, "hyper": Hyper(hidden=5).to_dict(), "iteration": 0}
    base.update(changes)
    return np.array(json.dumps(base))


@pytest.mark.parametrize("changes, message", [
    ({"W1": None}, "unexpected contents"),
    ({"W3": np.zeros(3)}, "unexpected contents"),
    ({"W1": np.zeros((6, 784), np.float32)}, r"W1 must have shape \(5, 784\)"),
    ({"b2": np.zeros((1,), np.float32)}, r"b2 must have shape \(1, 1\)"),
    ({"mean": np.zeros(783)}, "mean must have shape"),
    ({"W2": np.zeros((1, 5), np.int64)}, "W2 must be float32 or float64"),
    ({"W2": np.zeros((1, 5), np.float16)}, "W2 must be float32 or float64"),
    ({"W2": np.full((1, 5), np.nan, np.float32)}, "NaN or infinite"),
    ({"scale": np.full(784, np.inf)}, "NaN or infinite"),
    ({"scale": np.zeros(784)}, "scale must be positive"),
    ({"blank": np.zeros(784, np.uint8)}, "boolean mask"),
    ({"W1": np.array([{"evil": 1}] * 5, dtype=object)}, "pickled"),
    ({"header": np.array(b"bytes")}, "bad header"),
    ({"header": np.array("{not json")}, "not JSON"),
    ({"header": _header(format="something-else")}, "wrong format tag"),
    ({"header": _header(version=3)}, "version 3 is not supported"),
    ({"header": _header(hyper={"hidden": 0})}, "settings are invalid"),
    ({"header": _header(iteration=-3)}, "iteration in the header"),
])
def test_wrong_model_files_refused(tmp_path, changes, message):
    arrays = _with(arrays_of(make_model()), **changes)
    with pytest.raises(ModelFileError, match=message):
        load_model(write_model(tmp_path / "bad.npz", arrays))


@pytest.mark.parametrize("content", [b"", b"random text\n" * 100, np.random.default_rng(0).bytes(5000)])
def test_not_a_zip_refused(tmp_path, content):
    (tmp_path / "m.npz").write_bytes(content)
    with pytest.raises(ModelFileError, match="not a valid .npz"):
        load_model(tmp_path / "m.npz")


def test_truncated_and_missing(tmp_path):
    raw = to_bytes(make_model())
    with pytest.raises(ModelFileError):
        load_model(raw[: len(raw) - 200])
    with pytest.raises(ModelFileError, match="no such file"):
        load_model(tmp_path / "nope.npz")


def test_corrupt_compressed_data_refused():
    raw = bytearray(to_bytes(make_model()))
    for i in range(200, 260):
        raw[i] ^= 0x5A
    with pytest.raises(ModelFileError):
        load_model(bytes(raw))


def test_mnist_file_is_not_a_model(tmp_path):
    with pytest.raises(ModelFileError, match="not an ssnn model"):
        load_model(write_npz(tmp_path / "mnist.npz", make_mnist(20, 10)))


def test_zip_bomb_refused_quickly(tmp_path):
    """Members that declare ~40 MB unpacked in a ~50 KB file: refused from the zip directory alone."""
    path = tmp_path / "bomb.npz"
    arrays = arrays_of(make_model())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, a in arrays.items():
            if name == "W1":
                with zf.open("W1.npy", "w", force_zip64=True) as f:
                    np.lib.format.write_array_header_1_0(
                        f, {"descr": "<f8", "fortran_order": False, "shape": (5_000, 1000)})
                    zeros = bytes(1 << 20)
                    for _ in range(40):
                        f.write(zeros)
            else:
                buf = io.BytesIO()
                np.save(buf, a)
                zf.writestr(f"{name}.npy", buf.getvalue())
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="more than 8 MB"):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def test_lying_npy_header_refused(tmp_path):
    arrays = arrays_of(make_model())
    raw = io.BytesIO()
    np.lib.format.write_array_header_1_0(raw, {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)})
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as zf:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.save(buf, a)
            zf.writestr(f"{name}.npy", raw.getvalue() + b"\0" * 64 if name == "W1" else buf.getvalue())
    with pytest.raises(ModelFileError, match="more data than it holds"):
        load_model(path)
