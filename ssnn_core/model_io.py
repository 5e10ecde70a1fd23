"""Save and load a trained model as a plain `.npz` (no pickle), validated on the way in.

A model file holds W1 (n1, 784), b1 (n1, 1), W2 (1, n1), b2 (1, 1), the standardiser's mean, scale and
blank mask (784,), and a JSON header (format, version, digits, hyperparameters).
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import ConfigError, Hyper, ModelFileError
from .network import N0
from .npzfile import Wording, read_npz
from .scaling import Standardiser

FORMAT = "ssnn-model"
VERSION = 1
MAX_MODEL_BYTES = 8 * 2**20   # n1 = 300 in float64 is ~1.9 MB unpacked
FLOAT_DTYPES = (np.dtype("float32"), np.dtype("float64"))


@dataclass(frozen=True)
class Model:
    """Everything needed to predict: parameters, the standardiser and the settings it was trained with."""

    params: dict
    scaler: Standardiser
    hyper: Hyper
    iteration: int = 0  # how many updates it has had


def to_bytes(model: Model) -> bytes:
    header = {"format": FORMAT, "version": VERSION, "hyper": model.hyper.to_dict(),
              "iteration": int(model.iteration)}
    arrays = {k: np.asarray(model.params[k]) for k in ("W1", "b1", "W2", "b2")}
    arrays.update(mean=model.scaler.mean, scale=model.scaler.scale, blank=model.scaler.blank,
                  header=np.array(json.dumps(header)))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def model_path(path: str | os.PathLike) -> Path:
    """Where `save_model` will write: `.npz` is added when missing."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def check_writable(path: str | os.PathLike) -> Path:
    """Fail now, not after a long training, if the model could not be written to `path`."""
    path = model_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if path.is_dir() or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ModelFileError("cannot write the model to {path}: not a writable location", path=path)
    return path


def save_model(model: Model, path: str | os.PathLike) -> Path:
    """Write atomically: a temp file in the same folder, renamed when complete."""
    path = model_path(path)
    data = to_bytes(model)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise ModelFileError("cannot write the model to {path}: {reason}", path=path,
                             reason=str(exc.strerror or exc)) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


EXPECTED = {"W1", "b1", "W2", "b2", "mean", "scale", "blank", "header"}


def _arrays(source) -> dict:
    say = Wording(
        contents=lambda found: ModelFileError("not an ssnn model file (unexpected contents)"),
        too_big=lambda: ModelFileError("model file unpacks to more than {mb} MB; not an ssnn model",
                                       mb=MAX_MODEL_BYTES >> 20),
        missing=lambda: ModelFileError("{source}: no such file", source=source),
        not_zip=lambda: ModelFileError("not an ssnn model file (not a valid .npz)"),
        pickled=lambda: ModelFileError("model file holds pickled objects; refusing to load it"),
        malformed=lambda reason: ModelFileError("model file is malformed ({reason})", reason=reason),
        unreadable=lambda cls, reason: ModelFileError("model file is unreadable or truncated ({cls})", cls=cls))
    return read_npz(source, sorted(EXPECTED), MAX_MODEL_BYTES, ModelFileError, "model file", say)


def _header(raw: np.ndarray) -> dict:
    if raw.dtype.kind != "U" or raw.shape != ():
        raise ModelFileError("not an ssnn model file (bad header)")
    try:
        header = json.loads(str(raw))
    except (json.JSONDecodeError, RecursionError):  # "[[[[..." nested past the recursion limit
        raise ModelFileError("not an ssnn model file (header is not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError("not an ssnn model file (wrong format tag)")
    if header.get("version") != VERSION:
        raise ModelFileError("model file version {version!r} is not supported (expected {expected})",
                             version=header.get("version"), expected=VERSION)
    return header


def _check_shape(arrays: dict, name: str, shape: tuple, kinds=FLOAT_DTYPES) -> None:
    a = arrays[name]
    if a.dtype not in kinds:
        raise ModelFileError("{name} must be float32 or float64, got {dtype}", name=name, dtype=a.dtype)
    if a.shape != shape:
        raise ModelFileError("{name} must have shape {shape}, got {got}", name=name, shape=shape, got=a.shape)
    if not np.all(np.isfinite(a)):
        raise ModelFileError("{name} contains NaN or infinite values", name=name)


def load_model(source) -> Model:
    """Read a model from a path or a binary file object; anything unexpected raises ModelFileError."""
    if isinstance(source, (str, os.PathLike)):
        source = Path(source)
        if source.is_dir():
            raise ModelFileError("{source}: is a folder, not a model file", source=source)
        if source.exists() and not source.is_file():  # /dev/zero or a FIFO: never read it
            raise ModelFileError("{source}: not a regular file (a device, pipe or socket?)", source=source)
        if not source.is_file():
            raise ModelFileError("{source}: no such file", source=source)
    elif isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    arrays = _arrays(source)
    header = _header(arrays["header"])
    if not isinstance(header.get("hyper") or {}, dict):
        raise ModelFileError("model settings are invalid: hyper must be a JSON object")
    try:
        hyper = Hyper.from_dict(header.get("hyper") or {})
    except (ConfigError, TypeError) as exc:
        # a ConfigError stays one (a copy, without its traceback: its template is translated too), a
        # TypeError is its text
        reason = ConfigError(exc.template, **exc.params) if isinstance(exc, ConfigError) else str(exc)
        raise ModelFileError("model settings are invalid: {reason}", reason=reason) from None
    n1 = hyper.hidden
    for name, shape in (("W1", (n1, N0)), ("b1", (n1, 1)), ("W2", (1, n1)), ("b2", (1, 1)),
                        ("mean", (N0,)), ("scale", (N0,))):
        _check_shape(arrays, name, shape)
    if arrays["blank"].dtype != np.bool_ or arrays["blank"].shape != (N0,):
        raise ModelFileError("blank must be a (784,) boolean mask")
    if np.any(arrays["scale"] <= 0):
        raise ModelFileError("scale must be positive")
    dtype = np.dtype(hyper.dtype)
    params = {k: arrays[k].astype(dtype) for k in ("W1", "b1", "W2", "b2")}
    scaler = Standardiser(arrays["mean"].astype(np.float64), arrays["scale"].astype(np.float64),
                          arrays["blank"].copy(), hyper.scaling)
    iteration = header.get("iteration", 0)
    if not isinstance(iteration, int) or iteration < 0:
        raise ModelFileError("iteration in the header must be a whole number >= 0")
    return Model(params, scaler, hyper, iteration)
