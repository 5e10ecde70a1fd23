"""The names of the classes a session's data set has: MNIST's digits, Fashion-MNIST's "T-shirt/top" ...,
or the folder names of a user's own images. Every page shows a class by `name(k)`, never by its number,
so that a data set other than MNIST reads as itself ("T-shirt/top vs Trouser", not "0 vs 1").

The known data sets' class names are English in ssnn_core (datasets.py) and translated here; the folder
names of a user's own images are shown as they are.
"""

from __future__ import annotations

from ssnn_core.data import DIGITS

from .i18n import N_, _

# The known data sets' class names, marked for the catalogue (ssnn_core cannot mark them itself).
KNOWN = (
    N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"), N_("Sandal"), N_("Shirt"),
    N_("Sneaker"), N_("Bag"), N_("Ankle boot"),                                         # Fashion-MNIST
    N_("o (お)"), N_("ki (き)"), N_("su (す)"), N_("tsu (つ)"), N_("na (な)"), N_("ha (は)"), N_("ma (ま)"),
    N_("ya (や)"), N_("re (れ)"), N_("wo (を)"),                                          # Kuzushiji-MNIST
    N_("MNIST"), N_("Fashion-MNIST"), N_("Kuzushiji-MNIST"), N_("EMNIST digits"),          # the data sets
)
_KNOWN = frozenset(KNOWN)


def _dataset():
    from . import data as app_data

    return app_data.mnist()


def names(mnist=None) -> tuple[str, ...]:
    """Every class's name, in the current language (MNIST: '0' ... '9')."""
    mnist = mnist if mnist is not None else _dataset()
    classes = getattr(mnist, "classes", DIGITS) if mnist is not None else DIGITS
    return tuple(translate(c) for c in classes)


def translate(name: str) -> str:
    """A class's or data set's English name in the current language (a user's own names as they are)."""
    return _(name) if name in _KNOWN else name


def name(k: int, mnist=None) -> str:
    """Class k's name: '3' for MNIST, 'Trouser' (裤子) for Fashion-MNIST, a folder's name for a zip."""
    all_ = names(mnist)
    return all_[int(k)] if 0 <= int(k) < len(all_) else str(k)


def pair(digits, mnist=None) -> str:
    """'0 vs 1', 'T-shirt/top vs Trouser'."""
    a, b = digits
    return _("{a} vs {b}").format(a=name(a, mnist), b=name(b, mnist))


def pair_names(pair_data) -> tuple[str, str]:
    """The two class names of a selected pair (ssnn_core PairData), in the current language."""
    return tuple(translate(c) for c in getattr(pair_data, "classes", ("0", "1")))


def dataset_name(mnist=None) -> str:
    """'MNIST', 'Fashion-MNIST', or the name of a user's upload."""
    mnist = mnist if mnist is not None else _dataset()
    return translate(getattr(mnist, "name", "MNIST")) if mnist is not None else "MNIST"


def are_digits(mnist=None) -> bool:
    """The classes are the digits 0-9 (MNIST, EMNIST digits): sentences may say 'digit' and 'a 3'."""
    mnist = mnist if mnist is not None else _dataset()
    return mnist is None or tuple(getattr(mnist, "classes", DIGITS)) == DIGITS
