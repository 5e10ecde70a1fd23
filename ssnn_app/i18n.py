"""The dashboard in English and Simplified Chinese: a gettext catalogue (Babel), one language a session.

English is the source text: every string a user reads is written in English in the code, marked with
`_()` (or `ngettext()` where it counts something), and looked up in `locale/<lang>/LC_MESSAGES/ssnn.po`
when it is shown. Placeholders are named and filled after the lookup, so a translation can move them:

    st.caption(_("Trained {n:,} iterations in {seconds:.1f} s").format(n=n, seconds=s))
    ngettext("{n:,} image", "{n:,} images", n).format(n=n)

Strings defined before anyone reads them (tables at module level) are marked with `N_()`, which only
marks, and translated with `_()` where they are shown. Errors from ssnn_core carry their English
template and its values (config.SsnnError), so `error_text()` shows them in the session's language.

A session's language: the sidebar switch, else `?lang=` on its first page, else the browser's language
(`st.context.locale`), else English. It stays in the URL (`lang=zh`), so reloads and shared links keep it.
Outside a Streamlit run (figure builders in tests, the command line) the language is English unless
`use()` says otherwise.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import io
from functools import cache
from pathlib import Path

LANGS = {"en": "English", "zh": "中文"}   # URL value -> the name of the language in itself
SOURCE = "en"                             # the language of the code's strings
DOMAIN = "ssnn"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SWITCH_KEY = "lang_switch"

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("ssnn_lang", default=None)


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of `lang`, read once per process from its .po file (the one source: no compiled
    .mo kept beside it). Fuzzy entries are left out, as gettext's own tools do."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == SOURCE or not po.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def _session_lang() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        if get_script_run_ctx(suppress_warning=True) is None:
            return None
        import streamlit as st

        return st.session_state.get("lang")
    except Exception:  # noqa: BLE001 - no Streamlit session here (a bare import, a worker process)
        return None


def lang() -> str:
    """The language strings are shown in now: `use()`'s, else this session's, else English."""
    return _override.get() or _session_lang() or SOURCE


@contextlib.contextmanager
def use(language: str):
    """Show strings in `language` inside the block (tests, and builders called outside a session)."""
    token = _override.set(language if language in LANGS else SOURCE)
    try:
        yield
    finally:
        _override.reset(token)


def _(message: str) -> str:
    """`message` (English) in the current language."""
    return translations(lang()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for `n` in the current language (Chinese has one form)."""
    return translations(lang()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the current language, where the same English word needs different translations."""
    return translations(lang()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it: translate it with `_()` where shown."""
    return message


def error_text(exc: BaseException) -> str:
    """An exception's one-line message in the current language. ssnn's own errors (SsnnError) keep
    their English template and values and are translated here; any other error shows as it is."""
    template = getattr(exc, "template", None)
    if not template:
        return str(exc)
    params = {k: error_text(v) if isinstance(v, BaseException) and getattr(v, "template", None) else v
              for k, v in (getattr(exc, "params", {}) or {}).items()}    # an error inside an error: both
    if not params:
        return _(template)
    try:
        return _(template).format(**params)
    except (KeyError, IndexError, ValueError):  # a translation with a wrong placeholder: say it in English
        return str(exc)


def parse(raw) -> str | None:
    """A language from a URL value or a browser locale ('zh', 'zh-CN', 'zh_Hans', 'en-GB'), or None."""
    text = str(raw or "").strip().lower().replace("_", "-")
    code = text.split("-", 1)[0]
    return code if code in LANGS else None


def start() -> None:
    """Settles this session's language before anything is drawn (app.py, then every page again: cheap
    and idempotent): on its first run from the URL, else from the browser's language; after that from
    the sidebar's switch (`switch()`). A bad ?lang= is kept for `problems()`."""
    import streamlit as st

    ss = st.session_state
    if "lang" not in ss:
        raw = st.query_params.get("lang")
        chosen = parse(raw) if raw is not None else None
        ss["lang"] = chosen or parse(getattr(st.context, "locale", None)) or SOURCE
        if raw is not None and chosen is None:
            ss["lang_problems"] = [_("URL parameter lang={value} ignored: use lang=en or lang=zh").format(
                value=repr(str(raw)[:20]))]
    if ss.get(SWITCH_KEY) in LANGS:      # the switch's value comes in before the script runs
        ss["lang"] = ss[SWITCH_KEY]
    # Always set (first run, the selected button clicked again (None), any run): a widget's value that was only
    # ever set by the widget is dropped by Streamlit when another page is opened, and the switch then showed
    # neither language selected on every second page.
    ss[SWITCH_KEY] = ss["lang"]


def switch() -> None:
    """The sidebar's language switch (its label in both languages, so anyone can find it). Its value
    was set by `start()`: the choice is read there, on the next run, before any title is drawn."""
    import streamlit as st

    st.sidebar.segmented_control("Language · 语言", list(LANGS), format_func=LANGS.get, key=SWITCH_KEY,
                                 selection_mode="single", label_visibility="collapsed")


def problems() -> list[str]:
    """The language's URL problem, once (the first page shows it)."""
    import streamlit as st

    return st.session_state.pop("lang_problems", [])


def sync_url() -> None:
    """Keep the language in the URL, so a reload or a copied link opens in it."""
    import streamlit as st

    if st.query_params.get("lang") != lang():
        st.query_params["lang"] = lang()


def to_query() -> dict:
    """The URL parameter for links this session shares."""
    return {"lang": lang()}
