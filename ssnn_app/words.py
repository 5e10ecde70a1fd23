"""Small rules of language that every page follows: a/an before a digit (English only), a data set's name."""

from __future__ import annotations

from pathlib import PurePath

from . import i18n


def article(digit) -> str:
    """'a' or 'an' before a number as it is read: 'an 8', 'an 11', 'an 18', 'an 80', 'a 3' (in Chinese: '')."""
    if i18n.lang() != "en":
        return ""
    text = str(digit)
    return "an" if text.startswith("8") or text in ("11", "18") else "a"


def a(digit) -> str:
    """'a 3', 'an 8' (in Chinese: '3', '8')."""
    word = article(digit)
    return f"{word} {digit}" if word else str(digit)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 number', '3 numbers', '1,234 pixels' (many: an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def source_name(source: str) -> str:
    """Where the data came from, as a user may see it: a file's or folder's name, never a server path."""
    text = str(source)
    return PurePath(text).name or text if ("/" in text or "\\" in text) else text
