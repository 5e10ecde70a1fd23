"""The message catalogue's upkeep, with Babel: which strings the code marks, and whether a language's
catalogue has them all, each with the same placeholders.

    python -m ssnn_app.catalog check          every marked string translated (exit 1 if not)
    python -m ssnn_app.catalog update         add new strings to each .po (untranslated), drop stale ones

Strings are marked with _(), N_(), ngettext(), pgettext() (ssnn_app.i18n), and the first argument of
ssnn_core's errors (config.SsnnError and its subclasses), whose English templates the dashboard shows.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .i18n import DOMAIN, LANGS, LOCALE_DIR, SOURCE

ROOT = Path(__file__).resolve().parents[1]
ERRORS = ("SsnnError", "ConfigError", "DataError", "ModelFileError", "ImageError")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), **{e: None for e in ERRORS}}
SOURCES = [("app.py", "python"), ("pages/**.py", "python"), ("ssnn_app/**.py", "python"),
           ("ssnn_core/**.py", "python")]
PLACEHOLDER = re.compile(r"(?<![{%])\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})")


def extract() -> Catalog:
    """Every marked string in the code (English), with where it is used."""
    catalog = Catalog(domain=DOMAIN, project="ssnn", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map=SOURCES, keywords=KEYWORDS, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text or ""))


def problems(lang: str, source: Catalog | None = None) -> list[str]:
    """What is wrong with `lang`'s catalogue: strings the code marks that it lacks or leaves
    untranslated or fuzzy, strings the code no longer has, and placeholders that do not match."""
    source = source if source is not None else extract()
    catalog = read(lang)
    out = []
    for message in source:
        if not message.id:
            continue
        ours = catalog.get(message.id, message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if ours is None:
            out.append(f"missing: {key!r}")
            continue
        strings = ours.string if isinstance(ours.string, (tuple, list)) else (ours.string,)
        if ours.fuzzy or not all(strings):
            out.append(f"untranslated: {key!r}")
            continue
        wanted = placeholders(key)
        for s in strings:
            if placeholders(s) != wanted:
                out.append(f"placeholders differ: {key!r} has {sorted(wanted)}, translation {s!r}")
    for message in catalog:
        if message.id and source.get(message.id, message.context) is None:
            key = message.id if isinstance(message.id, str) else message.id[0]
            out.append(f"stale (no longer in the code): {key!r}")
    return out


def update() -> None:
    """Each language's .po brought in line with the code: new strings added untranslated, old ones dropped."""
    source = extract()
    for lang in LANGS:
        if lang == SOURCE:
            continue
        path = po_path(lang)
        catalog = read(lang) if path.is_file() else Catalog(locale=lang, domain=DOMAIN, project="ssnn")
        catalog.update(source, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False                  # a fuzzy header would drop the plural rule with it
        catalog.project, catalog.version = "ssnn", "1"
        catalog.copyright_holder, catalog.msgid_bugs_address = "the ssnn developers", ""
        catalog.last_translator = catalog.language_team = "the ssnn developers"
        catalog.header_comment = (f"# {LANGS[lang]} for the ssnn dashboard. The English source is the code: after a\n"
                                  "# change there, `python -m ssnn_app.catalog update`, translate, then `check`.")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=120, sort_output=False, include_previous=False, include_lineno=False)


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        found = [f"{lang}: {p}" for lang in LANGS if lang != SOURCE for p in problems(lang)]
        print("\n".join(found) or "every marked string is translated")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
