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
    """Base class: every error ssnn raises on purpose carries a one-line message for the user.

    The message is an English template with named placeholders and their values, as
    `ConfigError("n1 must be in {lo}..{hi}, got {value}", lo=1, hi=300, value=n)`: str() fills it in
    English (the command line); the dashboard translates the template, then fills it (ssnn_app.i18n)."""

    def __init__(self, template: str = "", /, **params):
        self.template, self.params = template, params
        super().__init__(template.format(**params) if params else template)


class ConfigError(SsnnError, ValueError):
    """A hyperparameter out of range or of the wrong type."""


class DataError(SsnnError):
    """MNIST could not be found, read or trusted."""


class ModelFileError(SsnnError):
    """A saved model file is missing, corrupt or not an ssnn model."""


class ImageError(SsnnError):
    """A user image could not be read or is unsafe to decode."""


# A whole-number setting's two messages, one sentence per setting (the dashboard translates each whole)
_NOT_WHOLE = {
    "digit": lambda value: ConfigError("digit must be a whole number, got {value!r}", value=value),
    "hidden": lambda value: ConfigError("hidden must be a whole number, got {value!r}", value=value),
    "iterations": lambda value: ConfigError("iterations must be a whole number, got {value!r}", value=value),
    "seed": lambda value: ConfigError("seed must be a whole number, got {value!r}", value=value),
}
_OUT_OF_RANGE = {
    "digit": lambda value, lo, hi: ConfigError("digit must be in {lo}..{hi}, got {value}", lo=lo, hi=hi, value=value),
    "hidden": lambda value, lo, hi: ConfigError("hidden must be in {lo}..{hi}, got {value}", lo=lo, hi=hi,
                                                value=value),
    "iterations": lambda value, lo, hi: ConfigError("iterations must be in {lo}..{hi}, got {value}", lo=lo, hi=hi,
                                                    value=value),
    "seed": lambda value, lo, hi: ConfigError("seed must be in {lo}..{hi}, got {value}", lo=lo, hi=hi, value=value),
}


def _as_int(name: str, value, lo: int, hi: int) -> int:
    """`value` as an int in lo..hi, else the ConfigError of the setting `name` (a key of _NOT_WHOLE)."""
    if isinstance(value, bool):
        raise _NOT_WHOLE[name](value)
    if isinstance(value, str):
        try:
            value = int(value)  # "20" from a URL or a form; "2.0" and "1e3" go through float below
        except ValueError:
            pass
    if isinstance(value, int):  # exact: float() would report 10**23 as 99999999999999991611392
        if not lo <= value <= hi:
            raise _OUT_OF_RANGE[name](value, lo, hi)
        return int(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _NOT_WHOLE[name](value) from None
    if not math.isfinite(number) or number != int(number):
        raise _NOT_WHOLE[name](value)
    number = int(number)
    if not lo <= number <= hi:
        raise _OUT_OF_RANGE[name](number, lo, hi)
    return number


def check_learning_rate(value) -> float:
    """Return `value` as a float if it is a usable learning rate, else raise ConfigError."""
    if isinstance(value, bool):
        raise ConfigError("learning rate must be a number, got {value!r}", value=value)
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ConfigError("learning rate must be a number, got {value!r}", value=value) from None
    if not math.isfinite(rate) or rate <= 0:
        raise ConfigError("learning rate must be a positive finite number, got {value!r}", value=value)
    if rate > LEARNING_RATE_MAX:
        raise ConfigError("learning rate must be at most {most:g}, got {value:g}", most=LEARNING_RATE_MAX, value=rate)
    return rate


def check_digits(value) -> tuple[int, int]:
    """Two distinct digits 0-9, e.g. (0, 1); the second one is the positive class."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ConfigError("digits must be two digits, e.g. 0 1, got {value!r}", value=value) from None
    a = _as_int("digit", a, 0, 9)
    b = _as_int("digit", b, 0, 9)
    if a == b:
        raise ConfigError("digits must be two different digits, got {a} and {b}", a=a, b=b)
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
            raise ConfigError("dtype must be one of {choices}, got {value!r}", choices=", ".join(DTYPES),
                              value=self.dtype)
        if self.scaling not in SCALINGS:
            raise ConfigError("scaling must be one of {choices}, got {value!r}", choices=", ".join(SCALINGS),
                              value=self.scaling)

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
