"""The data sets in MNIST's format that ssnn knows by name, and how it tells them apart.

Each has 28x28 uint8 grey images in ten classes, in the same file layouts as MNIST (the four IDX files,
or an `.npz` in the Keras layout); Kuzushiji-MNIST also comes as its own four npz files. What differs is
what the classes are called, and EMNIST's files, which store every image transposed (ssnn turns them back).

Which one a file holds is said explicitly (`dataset=` in ssnn_core.data, `--dataset` on the command
line), else by the environment variable SSNN_DATASET for the server's data, else recognised from the
file and folder names (`recognise`): "fashion-mnist/", "kmnist-train-imgs.npz", ... Anything else is MNIST.
Class names here are English; the dashboard translates them (ssnn_app/classes.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from .config import DataError

ENV_VAR = "SSNN_DATASET"
DIGITS = tuple(str(k) for k in range(10))


@dataclass(frozen=True)
class DatasetInfo:
    key: str                      # how it is named: dataset="fashion", --dataset fashion, SSNN_DATASET=fashion
    name: str                     # as its users call it ("Fashion-MNIST")
    classes: tuple[str, ...]      # class k's English name
    transposed: bool              # its files store each image transposed (EMNIST)


KNOWN: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("mnist", "MNIST", DIGITS, False),
    "fashion": DatasetInfo("fashion", "Fashion-MNIST", (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        False),
    "kmnist": DatasetInfo("kmnist", "Kuzushiji-MNIST", (
        "o (お)", "ki (き)", "su (す)", "tsu (つ)", "na (な)", "ha (は)", "ma (ま)", "ya (や)", "re (れ)", "wo (を)"),
        False),
    "emnist-digits": DatasetInfo("emnist-digits", "EMNIST digits", DIGITS, True),
}

# What a file or folder name says, checked in this order (lower case, "_" read as "-"): the first that
# any of the names contains wins.
_SIGNS = (("emnist-digits", "emnist-digits"), ("kmnist", "kmnist"), ("kuzushiji", "kmnist"), ("fashion", "fashion"))


def recognise(names: Iterable[str]) -> str | None:
    """The KNOWN key that these file or folder names say (a folder "fashion-mnist", a file
    "kmnist-train-imgs.npz", "emnist-digits-train-images-idx3-ubyte.gz"), or None: MNIST."""
    said = [str(n).lower().replace("_", "-") for n in names]
    for sign, key in _SIGNS:
        if any(sign in n for n in said):
            return key
    return None


def info(key: str) -> DatasetInfo:
    """The known data set `key` ("mnist", "fashion", "kmnist", "emnist-digits")."""
    found = KNOWN.get(str(key).strip().lower()) if isinstance(key, str) else None
    if found is None:
        raise DataError("unknown data set {name!r}; known: {known}", name=str(key)[:80], known=", ".join(KNOWN))
    return found


def from_env() -> DatasetInfo | None:
    """The data set SSNN_DATASET names (the server's data), None when unset or empty."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return None
    if value.lower() not in KNOWN:
        raise DataError("SSNN_DATASET={name!r} is not a data set ssnn knows; known: {known}", name=value[:80],
                        known=", ".join(KNOWN))
    return KNOWN[value.lower()]


def choose(dataset: str | None, names: Iterable[str] = (), env: bool = False) -> DatasetInfo:
    """The data set meant: `dataset` when given (a KNOWN key), else SSNN_DATASET when `env` and set, else
    what `names` say (MNIST when they say nothing)."""
    if dataset not in (None, ""):
        return info(dataset)
    if env:
        named = from_env()
        if named is not None:
            return named
    return KNOWN[recognise(names) or "mnist"]
