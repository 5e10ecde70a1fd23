"""Small rules of language that every page follows: a/an before a digit or a class's name (English only),
'digit 3' for a digit but 'Trouser' for any other class, a data set's name."""

from __future__ import annotations

import math
from pathlib import PurePath

from . import i18n
from .i18n import _

DIGITS = tuple(str(k) for k in range(10))
_AN_LETTERS = set("AEFHILMNORSX")        # letters whose spoken name starts with a vowel: "an F", "an X-ray"
_A_WORDS = ("uni", "use", "usu", "uti", "eu", "ewe", "one", "once", "ufo")   # a vowel letter read "yoo"/"w"
_AN_WORDS = ("hour", "honest", "honou", "honor", "heir")                      # a silent h


def is_digit(name) -> bool:
    """True for a digit class ('0'..'9', or the number itself), False for any other class's name."""
    return str(name) in DIGITS


def digit_names(names) -> bool:
    """True when every name is a digit: MNIST's classes (sentences may say 'digit' and 'a 3')."""
    return all(is_digit(n) for n in names)


def _word_article(text: str) -> str:
    """'an' before a word that starts with a vowel sound ('an Ankle boot', 'an o (お)', 'an X-ray',
    'an hour'), else 'a' ('a Trouser', 'a T-shirt/top', 'a uniform', 'a ki (き)')."""
    low = text.lower()
    first = text[:1]
    if low.startswith(_AN_WORDS):
        return "an"
    if low.startswith(_A_WORDS):
        return "a"
    if first.isupper() and (len(text) == 1 or not text[1:2].islower()):   # a letter read as itself: "an F-16"
        return "an" if first in _AN_LETTERS else "a"
    return "an" if first.lower() in "aeiou" else "a"


def article(word) -> str:
    """'a' or 'an' before a number as it is read: 'an 8', 'an 11', 'an 18', 'an 80', 'a 3'; before any other
    class's name as it sounds: 'a Trouser', 'an Ankle boot' (in Chinese: '')."""
    if i18n.lang() != "en":
        return ""
    text = str(word)
    if text[:1].isdigit():
        return "an" if text.startswith("8") or text in ("11", "18") else "a"
    return _word_article(text)


def a(word) -> str:
    """'a 3', 'an 8', 'a Trouser', 'an Ankle boot' (in Chinese: '3', '8', the name)."""
    article_ = article(word)
    return f"{article_} {word}" if article_ else str(word)


def class_label(name) -> str:
    """A class as a label on its own: 'digit 3' for a digit, 'Trouser' for any other class."""
    return _("digit {digit}").format(digit=name) if is_digit(name) else str(name)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 number', '3 numbers', '1,234 pixels' (many: an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def source_name(source: str) -> str:
    """Where the data came from, as a user may see it: a file's or folder's name, never a server path."""
    text = str(source)
    return PurePath(text).name or text if ("/" in text or "\\" in text) else text


def weight(x) -> str:
    """A weight as every page shows it (one rule for a tile's label, a select box and a metric): signed, two
    significant digits, never fewer than two decimals: '+0.53', '-0.053', '+0.0053', '+3.00', '-12.40';
    below 1e-4 in scientific notation ('+4.2e-07'). The same number is always the same text."""
    x = float(x)
    if not math.isfinite(x):
        return f"{x:+}"
    if x == 0:
        return "+0.00"
    if abs(x) < 1e-4:
        return f"{x:+.1e}"
    rounded = float(f"{x:.1e}")                      # two significant digits: 0.0996 is 0.10, not 0.100
    decimals = max(2, 1 - math.floor(math.log10(abs(rounded))))
    return f"{x:+.{decimals}f}"
