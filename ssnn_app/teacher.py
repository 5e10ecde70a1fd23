"""Teacher links: URL flags that lock settings, hide what a lesson does not need, and show a projector view.

    ?lock=n1,lr           those settings stay at the link's values: their controls are disabled
    ?hide=advanced        the Advanced settings (precision, scaling) are not shown; also: share, upload
    ?pages=train,weights  only these pages are in the navigation (their order as in the app)
    ?present=1            presenter view: larger type, thicker lines in charts, less chrome

Read once, on a session's first page, like the settings (settings.py); a bad or unknown flag is ignored
with one line. The flags stay in the URL (so a reload or a shared link keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ssnn_core import Hyper

from . import settings
from .i18n import N_, _

LOCKABLE = {url: name for name, url in settings.URL_FIELDS.items()}   # URL name -> Hyper field, as settings
# the descriptions and titles below are shown with _() (the teacher link builder on Home)
HIDEABLE = {"advanced": N_("the Advanced settings (precision, scaling)"), "share": N_("the share link"),
            "upload": N_("model upload and download")}
PAGES = {"home": N_("Home"), "lesson": N_("Lesson"), "data": N_("Data"), "train": N_("Train"), "weights": N_("Weights"),
         "mistakes": N_("Mistakes"), "how": N_("How it works"), "tryit": N_("Try it"), "landscape": N_("Landscape"),
         "hidden": N_("Hidden space"), "flip": N_("Flip it"), "knockout": N_("Knock out"), "board": N_("Class board")}
FLAGS = ("lock", "hide", "pages", "present")


@dataclass(frozen=True)
class Flags:
    locked: dict = field(default_factory=dict)       # Hyper field -> the value it is locked at
    hidden: frozenset = frozenset()                  # keys of HIDEABLE
    pages: tuple = ()                                # keys of PAGES shown (empty: all)
    present: bool = False

    def is_locked(self, name: str) -> bool:
        return name in self.locked

    def apply(self, hyper: Hyper) -> Hyper:
        """`hyper` with every locked setting put back to its locked value."""
        return hyper.replace(**self.locked) if self.locked else hyper

    def shows(self, page_key: str) -> bool:
        return not self.pages or page_key in self.pages


def _names(raw, allowed, what: str, problems: list) -> list[str]:
    names = []
    for name in str(raw)[:200].lower().replace(" ", "").split(","):
        if not name:
            continue
        if name in allowed:
            names.append(name)
        else:
            problems.append(_("URL parameter {what}: {name} ignored, not one of {allowed}").format(
                what=what, name=repr(name), allowed=", ".join(allowed)))
    return names


def from_query(params, hyper: Hyper) -> tuple[Flags, list[str]]:
    """The flags in URL parameters `params`; `hyper`: the settings the same URL gave (locked values)."""
    problems: list[str] = []
    locked = {LOCKABLE[n]: getattr(hyper, LOCKABLE[n]) for n in _names(params.get("lock", ""), LOCKABLE, "lock",
                                                                        problems)}
    hidden = frozenset(_names(params.get("hide", ""), HIDEABLE, "hide", problems))
    asked = _names(params.get("pages", ""), PAGES, "pages", problems)
    pages = tuple(k for k in PAGES if k in asked)
    present = str(params.get("present", "0")).strip().lower()
    if present not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
        problems.append(_("URL parameter present={value} ignored: use present=1 or present=0").format(
            value=repr(present[:20])))
        present = "0"
    return Flags(locked, hidden, pages, present in ("1", "true", "yes", "on")), problems


def to_query(flags: Flags) -> dict:
    """The URL parameters of `flags` (only those set)."""
    out = {}
    if flags.locked:
        out["lock"] = ",".join(k for k, name in LOCKABLE.items() if name in flags.locked)
    if flags.hidden:
        out["hide"] = ",".join(k for k in HIDEABLE if k in flags.hidden)
    if flags.pages:
        out["pages"] = ",".join(flags.pages)
    if flags.present:
        out["present"] = "1"
    return out


def current() -> Flags:
    """This session's flags, read from its URL on its first run (before the navigation is built)."""
    ss = st.session_state
    if "teacher" not in ss:
        hyper, _problems = settings.hyper_from_query(st.query_params)
        ss["teacher"], ss["teacher_problems"] = from_query(st.query_params, hyper)
    return ss["teacher"]


def problems() -> list[str]:
    """The flags' problems, once (the first page shows them)."""
    return st.session_state.pop("teacher_problems", [])


def sync_url() -> None:
    wanted = to_query(current())
    if {k: st.query_params.get(k) for k in wanted} != wanted:
        st.query_params.update(wanted)


PRESENTER_CSS = """<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stMain"] h1 { font-size: 3rem; }
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none; }
.js-plotly-plot .scatterlayer .js-line { stroke-width: 4px !important; }
.js-plotly-plot .scatterlayer .point { transform-box: fill-box; }
.js-plotly-plot text { font-size: 17px !important; }
.js-plotly-plot .modebar { display: none !important; }
</style>"""


def presenter() -> None:
    """Larger type and thicker chart lines for a projector, in this session only (CSS on its page)."""
    if current().present:
        st.html(PRESENTER_CSS)
