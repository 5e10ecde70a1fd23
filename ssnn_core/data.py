"""MNIST (or another data set in its format): find it, read it safely, pick two digits.

Where the data comes from, first match wins:
  1. an explicit path (argument, or the environment variable SSNN_MNIST): an `.npz` in the Keras layout
     or a folder with the four original IDX files (gzipped or raw), or Kuzushiji-MNIST's four npz files;
  2. Keras' cache file, $KERAS_HOME/datasets/mnist.npz (default ~/.keras/datasets/mnist.npz);
  3. `keras.datasets.mnist.load_data()` when Keras is installed and importable;
  4. ssnn's own download of the file Keras uses, checked against its sha256, written atomically.
Another data set (datasets.py: Fashion-MNIST, Kuzushiji-MNIST, EMNIST digits) is named by `dataset=`,
else by SSNN_DATASET (the server's data, load_mnist), else recognised from the file and folder names;
without a path only Fashion-MNIST is looked for, in Keras' cache folder $KERAS_HOME/datasets/fashion-mnist/.
The Mnist returned carries the data set's name and class names; EMNIST's images are turned upright.

Images stay uint8: x_* (N, 28, 28), y_* (N,). A selected pair flattens images to (m, 784) uint8 rows,
one sample per row; the network transposes nothing, it reads rows (see network.py for shapes).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

import numpy as np

from . import datasets
from .config import DataError, check_digits
from .datasets import DIGITS, DatasetInfo
from .npzfile import Wording, read_npz

ENV_VAR = "SSNN_MNIST"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_UNPACKED_BYTES = 128 * 2**20   # all of MNIST is 55 MB unpacked; refuse bombs early
MAX_IMAGES = 100_000
IDX_NAMES = {
    "x_train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "y_train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "x_test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "y_test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
EMNIST_IDX_NAMES = {   # EMNIST's own names for its digits split's four IDX files
    "x_train": "emnist-digits-train-images-idx3-ubyte",
    "y_train": "emnist-digits-train-labels-idx1-ubyte",
    "x_test": "emnist-digits-test-images-idx3-ubyte",
    "y_test": "emnist-digits-test-labels-idx1-ubyte",
}
KMNIST_NPZ_NAMES = {   # Kuzushiji-MNIST's own npz layout: four files, each holding one array 'arr_0'
    "x_train": "kmnist-train-imgs.npz",
    "y_train": "kmnist-train-labels.npz",
    "x_test": "kmnist-test-imgs.npz",
    "y_test": "kmnist-test-labels.npz",
}
KMNIST_ARRAY = "arr_0"
# Bigger data sets' own bounds (most images in one file, most unpacked bytes of an npz); others: MNIST's
BIGGER = {"emnist-digits": (240_000, 256 * 2**20)}   # EMNIST digits: 240 000 training images, 188 MB
KERAS_FOLDERS = {"fashion": "fashion-mnist"}          # where Keras keeps a data set's four IDX files


@dataclass(frozen=True)
class Mnist:
    """A data set in MNIST's format, read-only: MNIST itself, another one of the same layout
    (Fashion-MNIST, ...) or a user's own images. x_*: (N, 28, 28) uint8, y_*: (N,) uint8 in
    0..len(classes)-1."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str                           # a human-readable description of where it came from
    name: str = "MNIST"                   # the data set, as its users call it
    classes: tuple[str, ...] = DIGITS     # class k's name (English; for MNIST the digits themselves)
    digest: str = ""                      # its content's fingerprint (`fingerprint`): runs are shared by it

    def __post_init__(self):
        if not self.digest:
            object.__setattr__(self, "digest", fingerprint(self.x_train, self.y_train, self.x_test, self.y_test))

    def with_identity(self, name: str, classes: tuple[str, ...]) -> Mnist:
        """The same images, known as data set `name` with these class names."""
        return Mnist(self.x_train, self.y_train, self.x_test, self.y_test, self.source, name, tuple(classes),
                     self.digest)


def fingerprint(*arrays: np.ndarray) -> str:
    """sha256 over the arrays' shapes and bytes (16 hex digits): two data sets with the same name but
    other contents never share a run, and the same contents always do, whatever the file was called."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(repr((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).data)
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class PairData:
    """Two digits out of MNIST, flattened. Label 1 means digits[1].

    x_train: (m, 784) uint8, y_train: (m,) uint8 in {0,1}; likewise x_test/y_test (m_test rows).
    Rows keep MNIST's order, so test index k is the k-th test image of either digit (the article's indices).
    """

    digits: tuple[int, int]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    classes: tuple[str, str] = ("0", "1")    # the two classes' names (English), as digits are
    dataset: str = "MNIST"                   # the data set's name
    digest: str = ""                         # the whole data set's fingerprint (Mnist.digest)


# ---------------------------------------------------------------- validation


def _limits(info: DatasetInfo) -> tuple[int, int]:
    return BIGGER.get(info.key, (MAX_IMAGES, MAX_UNPACKED_BYTES))


def _check_arrays(arrays: dict, where: str, info: DatasetInfo = datasets.KNOWN["mnist"]) -> Mnist:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or y.dtype != np.uint8:
            raise DataError("{where}: x_{split}/y_{split} must be uint8, got {x_dtype}/{y_dtype}", where=where,
                            split=split, x_dtype=x.dtype, y_dtype=y.dtype)
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.ndim != 1:
            raise DataError("{where}: x_{split} must be (N, 28, 28) and y_{split} (N,), got {x_shape} and {y_shape}",
                            where=where, split=split, x_shape=x.shape, y_shape=y.shape)
        if x.shape[0] != y.shape[0] or x.shape[0] == 0:
            if split == "train":
                raise DataError("{where}: {images} train images but {labels} labels", where=where,
                                images=x.shape[0], labels=y.shape[0])
            raise DataError("{where}: {images} test images but {labels} labels", where=where, images=x.shape[0],
                            labels=y.shape[0])
        if y.max() > 9:
            raise DataError("{where}: y_{split} has label {label}; MNIST labels are 0-9", where=where, split=split,
                            label=int(y.max()))
    if info.transposed:  # EMNIST stores each image transposed: turn it upright
        for key in ("x_train", "x_test"):
            arrays[key] = np.ascontiguousarray(arrays[key].transpose(0, 2, 1))
    for a in arrays.values():
        a.setflags(write=False)
    return Mnist(arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], where, info.name,
                 info.classes)


def _npz_file(path: Path) -> Path:
    if path.exists() and not path.is_file():  # zipfile would read /dev/zero forever, or wait on a FIFO
        raise DataError("{path}: not a regular file (a device, pipe or socket?)", path=path)
    return path


def _read_npz(path: Path, keys: tuple[str, ...], info: DatasetInfo) -> dict:
    """The arrays `keys` of the .npz at `path`, exactly those (npzfile.read_npz), in this module's words."""
    name, expected, most = path.name, ", ".join(keys), _limits(info)[1]
    say = Wording(
        contents=lambda found: (
            DataError("{name}: expected arrays {expected}, found {found}", name=name, expected=expected,
                      found=", ".join(found)) if found else
            DataError("{name}: expected arrays {expected}, found none", name=name, expected=expected)),
        too_big=lambda: (
            DataError("{name}: unpacks to more than {mb} MB; not MNIST", name=name, mb=most >> 20)
            if info.key == "mnist" else
            DataError("{name}: unpacks to more than {mb} MB; not {dataset}", name=name, mb=most >> 20,
                      dataset=info.name)),
        missing=lambda: DataError("{path}: no such file", path=path),
        not_zip=lambda: DataError("{name}: not a valid .npz (zip) file", name=name),
        pickled=lambda: DataError("{name}: holds object (pickled) arrays; refusing to load them", name=name),
        malformed=lambda reason: DataError("{name}: malformed array ({reason})", name=name, reason=reason),
        unreadable=lambda cls, reason: DataError("{name}: unreadable or truncated ({cls}: {reason})", name=name,
                                                 cls=cls, reason=reason))
    return read_npz(path, keys, most, DataError, name, say)


def load_npz(path: str | os.PathLike, dataset: str | None = None) -> Mnist:
    """Read an `.npz` in the Keras layout without pickle, refusing bombs and wrong contents. `dataset`: a
    datasets.KNOWN key, or None to recognise it from the file's name (its folder's is not asked: a folder
    "fashion-tests/" may well hold MNIST)."""
    path = _npz_file(Path(path))
    info = datasets.choose(dataset, (path.name,))
    return _check_arrays(_read_npz(path, NPZ_KEYS, info), f"{path}", info)


def _read_idx(path: Path, magic: int, ndim: int, most: int = MAX_IMAGES) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            head = f.read(4 + 4 * ndim)
            if len(head) < 4 + 4 * ndim or int.from_bytes(head[:4], "big") != magic:
                raise DataError("{name}: not an IDX file of the expected kind (magic number)", name=path.name)
            dims = [int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
            if dims[0] > most or dims[1:] not in ([], [28, 28]):
                raise DataError("{name}: unexpected dimensions {dims}", name=path.name, dims=dims)
            count = int(np.prod(dims))
            body = f.read(count + 1)
    except DataError:
        raise
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError("{name}: unreadable or truncated ({reason})", name=path.name, reason=str(exc)) from None
    if len(body) > count:  # (one byte more was read: the file holds more than its header says)
        raise DataError("{name}: expected {count} bytes of data, found {found}+", name=path.name, count=count,
                        found=len(body))
    if len(body) != count:
        raise DataError("{name}: expected {count} bytes of data, found {found}", name=path.name, count=count,
                        found=len(body))
    return np.frombuffer(body, dtype=np.uint8).reshape(dims).copy()


def load_idx_folder(folder: str | os.PathLike, dataset: str | None = None) -> Mnist:
    """Read the four original IDX files (each may be gzipped) from one folder: MNIST's names, which
    Fashion-MNIST and Kuzushiji-MNIST share, or EMNIST digits' own; or, when they are not all there,
    Kuzushiji-MNIST's four npz files. `dataset`: a datasets.KNOWN key, or None to recognise it from the
    folder's and the files' names."""
    folder = Path(folder)
    found = {}
    for key, stems in IDX_NAMES.items():
        candidates = [folder / (s + ext) for s in (*stems, EMNIST_IDX_NAMES[key]) for ext in (".gz", "")]
        found[key] = next((c for c in candidates if c.is_file()), None)
    if None in found.values() and any((folder / n).is_file() for n in KMNIST_NPZ_NAMES.values()):
        return _load_kmnist_npz(folder, dataset)
    info = datasets.choose(dataset, (folder.name, *(f.name for f in found.values() if f is not None)))
    most = _limits(info)[0]
    arrays = {}
    for key, stems in IDX_NAMES.items():
        if found[key] is None:
            raise DataError("{folder}: missing {file}(.gz); a data folder needs the four MNIST IDX files",
                            folder=folder, file=EMNIST_IDX_NAMES[key] if info.key == "emnist-digits" else stems[0])
        is_images = key.startswith("x")
        arrays[key] = _read_idx(found[key], 0x803 if is_images else 0x801, 3 if is_images else 1, most)
    return _check_arrays(arrays, f"{folder}", info)


def _load_kmnist_npz(folder: Path, dataset: str | None = None) -> Mnist:
    """Kuzushiji-MNIST's own layout: kmnist-{train,test}-{imgs,labels}.npz, each with one array 'arr_0'."""
    info = datasets.choose(dataset, ("kmnist",))
    arrays = {}
    for key, file in KMNIST_NPZ_NAMES.items():
        path = folder / file
        if not path.is_file() and not path.exists():
            raise DataError("{folder}: missing {file}; Kuzushiji-MNIST's npz layout has four files: {files}",
                            folder=folder, file=file, files=", ".join(KMNIST_NPZ_NAMES.values()))
        arrays[key] = _read_npz(_npz_file(path), (KMNIST_ARRAY,), info)[KMNIST_ARRAY]
    return _check_arrays(arrays, f"{folder}", info)


def load_path(path: str | os.PathLike, dataset: str | None = None) -> Mnist:
    """An explicit location: a Keras-layout `.npz`, a folder of IDX files (or of Kuzushiji-MNIST's npz
    files; one of those files names its folder). `dataset`: a datasets.KNOWN key, or None to recognise
    it from the file's name, or the folder's and its files' names."""
    if dataset not in (None, ""):
        datasets.info(dataset)  # an unknown name is refused before anything is read
    p = Path(os.path.expanduser(str(path)))
    if p.is_dir():
        return load_idx_folder(p, dataset)
    if not p.exists():
        raise DataError("{path}: no such file or folder", path=p)
    if p.name in KMNIST_NPZ_NAMES.values():
        return load_idx_folder(p.parent, dataset)
    return load_npz(p, dataset)


# ---------------------------------------------------------------- resolution


def keras_cache_file() -> Path:
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def keras_cache_folder(dataset: str) -> Path | None:
    """Where Keras keeps data set `dataset`'s four IDX files (Fashion-MNIST), None if Keras has none."""
    folder = KERAS_FOLDERS.get(dataset)
    return keras_cache_file().parent / folder if folder else None


def _from_keras() -> Mnist | None:
    import importlib.util

    if ("KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None
            and importlib.util.find_spec("jax") is not None):
        os.environ["KERAS_BACKEND"] = "jax"   # the backend `pip install "ssnn[keras]"` brings
    try:
        from keras.datasets import mnist as keras_mnist  # optional; needs a backend framework
    except Exception:  # noqa: BLE001 - offline or a broken install: fall through to our own download
        return None
    try:
        (xt, yt), (xs, ys) = keras_mnist.load_data()
    except Exception:  # noqa: BLE001 - offline or a broken install: fall through to our own download
        return None
    return _check_arrays(
        {"x_train": xt, "y_train": yt, "x_test": xs, "y_test": ys}, "keras.datasets.mnist"
    )


def download(dest: Path, url: str = MNIST_URL, timeout: float = 30.0) -> Path:
    """Fetch MNIST to `dest`, verifying sha256; a temp file is renamed only once complete and correct."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".mnist-", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != MNIST_SHA256:
            raise DataError("download from {url} has the wrong sha256; not saved", url=url)
        os.replace(tmp, dest)
    except DataError:
        raise
    except (OSError, ValueError, http.client.HTTPException) as exc:  # IncompleteRead: the stream was cut
        raise DataError("could not download MNIST ({cls}): give a path with --data PATH or the SSNN_MNIST "
                        "environment variable (an mnist.npz or a folder of the four IDX files), or connect to the "
                        "internet once", cls=exc.__class__.__name__) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


_CACHE: dict[str, Mnist] = {}


def load_mnist(path: str | os.PathLike | None = None, allow_download: bool = True,
               dataset: str | None = None) -> Mnist:
    """Find and read MNIST (see the module docstring for the order). Cached once per process.
    `dataset`: a datasets.KNOWN key naming the data; None: SSNN_DATASET when set, else recognised from the
    file and folder names."""
    named = datasets.info(dataset).key if dataset not in (None, "") else getattr(datasets.from_env(), "key", None)
    explicit = path if path not in (None, "") else os.environ.get(ENV_VAR) or None
    key = f"path:{Path(os.path.expanduser(str(explicit))).resolve()}" if explicit else "auto"
    if named is not None:
        key = f"{key}|{named}"
    if key in _CACHE:
        return _CACHE[key]
    if explicit:
        mnist = load_path(explicit, named)
    elif named not in (None, "mnist"):
        mnist = _auto_other(datasets.info(named))
    else:
        mnist = _auto(allow_download)
    _CACHE[key] = mnist
    return mnist


def _auto_other(info: DatasetInfo) -> Mnist:
    """A data set other than MNIST, without a path: Keras' cache folder, if Keras keeps one for it."""
    folder = keras_cache_folder(info.key)
    if folder is not None and folder.is_dir():
        return load_idx_folder(folder, info.key)
    raise DataError("{name} not found: give a path with --data PATH or the SSNN_MNIST environment variable (an "
                    ".npz in the Keras layout or a folder of its four IDX files)", name=info.name)


def _auto(allow_download: bool) -> Mnist:
    cache = keras_cache_file()
    if cache.is_file():
        try:
            return load_npz(cache)
        except DataError:
            pass  # a damaged cache: try the other sources before giving up
    mnist = _from_keras()
    if mnist is not None:
        return mnist
    if not allow_download:
        raise DataError("MNIST not found: give a path with --data PATH or the SSNN_MNIST environment variable "
                        "(an mnist.npz or a folder of the four IDX files), or connect to the internet once")
    return load_npz(download(cache))


def select_digits(mnist: Mnist, digits=(0, 1)) -> PairData:
    """Keep the images of two digits, flattened to (m, 784); label 1 means digits[1]."""
    a, b = check_digits(digits)

    def pick(x, y):
        keep = np.flatnonzero((y == a) | (y == b))
        xs = x[keep].reshape(len(keep), 28 * 28)
        ys = (y[keep] == b).astype(np.uint8)
        xs.setflags(write=False)
        ys.setflags(write=False)
        return xs, ys

    xt, yt = pick(mnist.x_train, mnist.y_train)
    xs, ys = pick(mnist.x_test, mnist.y_test)
    if len(xt) == 0 or len(xs) == 0:
        raise DataError("no images of digits {a} and {b} in {source}", a=a, b=b, source=mnist.source)
    if max(a, b) >= len(mnist.classes):
        raise DataError("{name} has {n} classes; there is no class {k}", name=mnist.name, n=len(mnist.classes),
                        k=max(a, b))
    return PairData((a, b), xt, yt, xs, ys, mnist.source, (mnist.classes[a], mnist.classes[b]), mnist.name,
                    mnist.digest)


def _renamed(exc: DataError, *renames: tuple[str, str]) -> DataError:
    """`exc` with a temporary file's or folder's name replaced in its values (old, new; in order), as the
    user knows it: its template stays, so that it is still translated."""
    def rename(value):
        if not isinstance(value, (str, os.PathLike)):
            return value
        text = os.fspath(value)
        for old, new in renames:
            text = text.replace(old, new)
        return text if text != os.fspath(value) else value
    return DataError(exc.template, **{k: rename(v) for k, v in exc.params.items()})


def npz_bytes_to_mnist(raw: bytes, name: str = "upload", dataset: str | None = None) -> Mnist:
    """Read an uploaded `.npz` held in memory (same checks as a file). `dataset`: a datasets.KNOWN key, or
    None to recognise it from the uploaded file's name (SSNN_DATASET names the server's data, not uploads)."""
    base = PureWindowsPath(str(name)).name
    info = datasets.choose(dataset, (base,))
    with tempfile.NamedTemporaryFile(suffix=".npz") as tmp:
        tmp.write(raw)
        tmp.flush()
        try:
            return load_npz(tmp.name, info.key)
        except DataError as exc:
            if base in KMNIST_NPZ_NAMES.values():
                raise DataError("{name} is one of Kuzushiji-MNIST's four npz files: upload all four together",
                                name=base) from None
            raise _renamed(exc, (tmp.name, name), (Path(tmp.name).name, name)) from None


def idx_bytes_to_mnist(files: dict[str, bytes], dataset: str | None = None) -> Mnist:
    """Read four uploaded IDX files (name -> bytes) by writing them to a private temp folder; or the four
    npz files of Kuzushiji-MNIST. `dataset`: a datasets.KNOWN key, or None to recognise it from the files'
    names (SSNN_DATASET names the server's data, not uploads)."""
    if dataset not in (None, ""):
        datasets.info(dataset)
    with tempfile.TemporaryDirectory() as d:
        names = []
        for name, raw in files.items():
            safe = PureWindowsPath(str(name)).name  # never trust a path in an uploaded file's name (/ or \\)
            if safe in ("", ".", "..") or "\0" in safe:
                raise DataError("upload: unusable file name {name!r}", name=str(name)[:80])
            Path(d, safe).write_bytes(raw)
            names.append(safe)
        info = datasets.choose(dataset, names)
        try:
            mnist = load_idx_folder(d, info.key)
        except DataError as exc:
            raise _renamed(exc, (d, "upload")) from None
    npz = names and all(n.lower().endswith(".npz") for n in names)
    return Mnist(mnist.x_train, mnist.y_train, mnist.x_test, mnist.y_test,
                 "uploaded npz files" if npz else "uploaded IDX files", mnist.name, mnist.classes, mnist.digest)

