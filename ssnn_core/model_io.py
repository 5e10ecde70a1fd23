"""Save and load a trained model as a plain `.npz` (no pickle), validated on the way in.

A model file holds W1 (n1, 784), b1 (n1, 1), W2 (1, n1), b2 (1, 1), the standardiser's mean, scale and
blank mask (784,), a JSON header (format, version, hyperparameters, iteration, training seconds) and, from
version 2, the run's history: one value per step (history_iteration, history_train_cost,
history_train_accuracy, history_learning_rate) and per evaluation (history_eval_iteration,
history_test_cost, history_test_accuracy), so that a model uploaded again shows its cost curve and can be
trained on from where it was. Version 1 files (no history) are still read, with an empty history.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import ITERATIONS_RANGE, ConfigError, Hyper, ModelFileError
from .history import History
from .network import N0
from .npzfile import Wording, read_npz
from .scaling import Standardiser

FORMAT = "ssnn-model"
VERSION = 2
VERSIONS = (1, 2)             # the versions read
MAX_MODEL_BYTES = 8 * 2**20   # n1 = 300 in float64 is ~1.9 MB unpacked
FLOAT_DTYPES = (np.dtype("float32"), np.dtype("float64"))


@dataclass(frozen=True)
class Model:
    """Everything needed to predict: parameters, the standardiser and the settings it was trained with."""

    params: dict
    scaler: Standardiser
    hyper: Hyper
    iteration: int = 0  # how many updates it has had
    history: History = field(default_factory=History)   # what those updates measured (empty if unknown)
    train_seconds: float = 0.0                           # the time they took


STEP_FIELDS = ("iteration", "train_cost", "train_accuracy", "learning_rate")   # History's lists, one per step
EVAL_FIELDS = ("eval_iteration", "test_cost", "test_accuracy")                 # ... one per evaluation
HISTORY = tuple(f"history_{name}" for name in (*STEP_FIELDS, *EVAL_FIELDS))  # their arrays in a file
INTEGER_DTYPES = (np.dtype("int32"), np.dtype("int64"))


def _history_arrays(history: History) -> dict:
    h = history.copy()          # consistent even while a trainer appends to it
    return {f"history_{name}": np.asarray(getattr(h, name), np.int64 if name.endswith("iteration") else np.float64)
            for name in (*STEP_FIELDS, *EVAL_FIELDS)}


def to_bytes(model: Model) -> bytes:
    header = {"format": FORMAT, "version": VERSION, "hyper": model.hyper.to_dict(),
              "iteration": int(model.iteration), "train_seconds": float(model.train_seconds)}
    arrays = {k: np.asarray(model.params[k]) for k in ("W1", "b1", "W2", "b2")}
    arrays.update(mean=model.scaler.mean, scale=model.scaler.scale, blank=model.scaler.blank,
                  header=np.array(json.dumps(header)), **_history_arrays(model.history))
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


EXPECTED_V1 = {"W1", "b1", "W2", "b2", "mean", "scale", "blank", "header"}
EXPECTED = EXPECTED_V1 | set(HISTORY)


class _Version1(ModelFileError):
    """The arrays of a version 1 file (no history) were found: read those."""


def _arrays(source) -> dict:
    """The file's arrays: a version 2 file's, else a version 1 file's (without the history_ ones)."""
    try:
        return _read(source, EXPECTED, lambda found: (
            _Version1("v1") if found == sorted(f"{n}.npy" for n in EXPECTED_V1) else None))
    except _Version1:
        if hasattr(source, "seek"):
            source.seek(0)
        return _read(source, EXPECTED_V1, lambda found: None)


def _read(source, names: set, other) -> dict:
    say = Wording(
        contents=lambda found: other(found) or ModelFileError("not an ssnn model file (unexpected contents)"),
        too_big=lambda: ModelFileError("model file unpacks to more than {mb} MB; not an ssnn model",
                                       mb=MAX_MODEL_BYTES >> 20),
        missing=lambda: ModelFileError("{source}: no such file", source=source),
        not_zip=lambda: ModelFileError("not an ssnn model file (not a valid .npz)"),
        pickled=lambda: ModelFileError("model file holds pickled objects; refusing to load it"),
        malformed=lambda reason: ModelFileError("model file is malformed ({reason})", reason=reason),
        unreadable=lambda cls, reason: ModelFileError("model file is unreadable or truncated ({cls})", cls=cls))
    return read_npz(source, sorted(names), MAX_MODEL_BYTES, ModelFileError, "model file", say)


def _header(raw: np.ndarray) -> dict:
    if raw.dtype.kind != "U" or raw.shape != ():
        raise ModelFileError("not an ssnn model file (bad header)")
    try:
        header = json.loads(str(raw))
    except (json.JSONDecodeError, RecursionError):  # "[[[[..." nested past the recursion limit
        raise ModelFileError("not an ssnn model file (header is not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError("not an ssnn model file (wrong format tag)")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version not in VERSIONS:
        raise ModelFileError("model file version {version!r} is not supported (expected {expected})",
                             version=version, expected=", ".join(str(v) for v in VERSIONS))
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
    if not isinstance(iteration, int) or isinstance(iteration, bool) or iteration < 0:
        raise ModelFileError("iteration in the header must be a whole number >= 0")
    if iteration > ITERATIONS_RANGE[1]:     # no run goes further
        raise ModelFileError("iteration in the header must be at most {most}", most=ITERATIONS_RANGE[1])
    seconds = header.get("train_seconds", 0.0)
    if (not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds)
            or seconds < 0):
        raise ModelFileError("train_seconds in the header must be a number >= 0")
    if (header["version"] >= 2) != ("history_iteration" in arrays):
        raise ModelFileError("not an ssnn model file (unexpected contents)")
    history = _history(arrays, iteration) if "history_iteration" in arrays else History()
    return Model(params, scaler, hyper, iteration, history, float(seconds))


def _history(arrays: dict, iteration: int) -> History:
    """The history in the file, checked: steps from 1 and evaluations from 0, increasing, up to the model's
    iteration; costs >= 0 (infinite allowed: one test image can cost that much), accuracies in [0, 1],
    learning rates finite and > 0."""
    for group, first in ((STEP_FIELDS, 1), (EVAL_FIELDS, 0)):
        length = None
        for name in group:
            label, a = f"history_{name}", arrays[f"history_{name}"]
            if a.ndim != 1:
                raise ModelFileError("{name} must be one-dimensional, got shape {got}", name=label, got=a.shape)
            if length is not None and a.shape[0] != length:
                raise ModelFileError("the history's lists differ in length ({name} has {got} values, not {n})",
                                     name=label, got=a.shape[0], n=length)
            length = a.shape[0]
            if name.endswith("iteration"):
                if a.dtype not in INTEGER_DTYPES:
                    raise ModelFileError("{name} must be int32 or int64, got {dtype}", name=label, dtype=a.dtype)
                if length and (a[0] < first or a[-1] > iteration or not np.all(a[1:] > a[:-1])):
                    raise ModelFileError("{name} must be increasing whole numbers from {first} to {iteration}",
                                         name=label, first=first, iteration=iteration)
                continue
            if a.dtype not in FLOAT_DTYPES:
                raise ModelFileError("{name} must be float32 or float64, got {dtype}", name=label, dtype=a.dtype)
            if np.any(np.isnan(a)):
                raise ModelFileError("{name} contains NaN values", name=label)
            if name.endswith("cost") and np.any(a < 0):
                raise ModelFileError("{name} must be >= 0", name=label)
            if name.endswith("accuracy") and np.any((a < 0) | (a > 1)):
                raise ModelFileError("{name} must be between 0 and 1", name=label)
            if name == "learning_rate" and np.any(~np.isfinite(a) | (a <= 0)):
                raise ModelFileError("{name} must be finite and > 0", name=label)
    return History(**{name: arrays[f"history_{name}"].tolist() for name in (*STEP_FIELDS, *EVAL_FIELDS)})
