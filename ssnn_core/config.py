"""Hyperparameters of one run, validated on creation, and the package's exceptions."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

HIDDEN_RANGE = (1, 300)          # the article tries 10..300 hidden neurons
ITERATIONS_RANGE = (1, 100_000)  # full-batch steps; the dashboard caps lower
LEARNING_RATE_MAX = 1000.0       # anything larger is a typo, not an experiment
DTYPES = ("float32", "float64")
SCALINGS = ("safe", "seed")


class SsnnError(Exception):
    """Base class: every error ssnn raises on purpose carries a one-line message for the user."""


class ConfigError(SsnnError, ValueError):
    """A hyperparameter out of range or of the wrong type."""


class DataError(SsnnError):
    """MNIST could not be found, read or trusted."""


class ModelFileError(SsnnError):
    """A saved model file is missing, corrupt or not an ssnn model."""


class ImageError(SsnnError):
    """A user image could not be read or is unsafe to decode."""


def _as_int(name: str, value, lo: int, hi: int) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, str):
        try:
            value = int(value)  # "20" from a URL or a form; "2.0" and "1e3" go through float below
        except ValueError:
            pass
    if isinstance(value, int):  # exact: float() would report 10**23 as 99999999999999991611392
        if not lo <= value <= hi:
            raise ConfigError(f"{name} must be in {lo}..{hi}, got {value}")
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if not math.isfinite(number) or number != int(number):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    number = int(number)
    if not lo <= number <= hi:
        raise ConfigError(f"{name} must be in {lo}..{hi}, got {number}")
    return number


def check_learning_rate(value) -> float:
    """Return `value` as a float if it is a usable learning rate, else raise ConfigError."""
    if isinstance(value, bool):
        raise ConfigError(f"learning rate must be a number, got {value!r}")
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"learning rate must be a number, got {value!r}") from None
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigError(f"learning rate must be a positive finite number, got {value!r}")
    if rate > LEARNING_RATE_MAX:
        raise ConfigError(f"learning rate must be at most {LEARNING_RATE_MAX:g}, got {rate:g}")
    return rate


def check_digits(value) -> tuple[int, int]:
    """Two distinct digits 0-9, e.g. (0, 1); the second one is the positive class."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ConfigError(f"digits must be two digits, e.g. 0 1, got {value!r}") from None
    a = _as_int("digit", a, 0, 9)
    b = _as_int("digit", b, 0, 9)
    if a == b:
        raise ConfigError(f"digits must be two different digits, got {a} and {b}")
    return (a, b)


@dataclass(frozen=True)
class Hyper:
    """Everything that defines a training run; equal Hypers give bit-identical runs."""

    digits: tuple[int, int] = (0, 1)  # label 0 = digits[0], label 1 = digits[1]
    hidden: int = 10                  # n1, the article's default
    learning_rate: float = 0.5        # the article's alpha
    iterations: int = 500             # the article's iteration_count
    seed: int = 561                   # the article seeds NumPy's global generator with 561
    dtype: str = "float32"            # float32 is ~2x faster and gives the same mistakes
    scaling: str = "safe"             # "seed" = the article's std + 1e-9 (see scaling.py)

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "digits", check_digits(self.digits))
        set_(self, "hidden", _as_int("hidden", self.hidden, *HIDDEN_RANGE))
        set_(self, "learning_rate", check_learning_rate(self.learning_rate))
        set_(self, "iterations", _as_int("iterations", self.iterations, *ITERATIONS_RANGE))
        set_(self, "seed", _as_int("seed", self.seed, 0, 2**32 - 1))
        if self.dtype not in DTYPES:
            raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.scaling not in SCALINGS:
            raise ConfigError(f"scaling must be one of {', '.join(SCALINGS)}, got {self.scaling!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["digits"] = list(self.digits)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Hyper:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def replace(self, **changes) -> Hyper:
        d = asdict(self)
        d.update(changes)
        return Hyper(**d)
