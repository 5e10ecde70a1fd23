"""How wide the reader's screen is, for the few layouts that must differ on a phone (issue #15, item 11).

Most of the dashboard reflows by itself (Streamlit stacks columns below 640 px, horizontal containers wrap).
A Plotly figure does not: its height, its columns of tiles and its title's line breaks are chosen on the
server, when it is built. So the browser tells the session how wide its window is, through a small
Streamlit component (`st.components.v2`), and pages ask `narrow()` / `content_width()`.

The browser reports only when the answer changes the layout: on a phone once, when its first session starts
(one extra rerun; later sessions start from a cookie with the last width), then when the phone is turned;
a desktop window, which is what the server assumes until told otherwise, never reports at all. Until a
report arrives, and in tests without a browser, the layout is the desktop one (a test pretends a phone by
setting `st.session_state["_viewport_px"]`).
"""

from __future__ import annotations

import streamlit as st

NARROW_PX = 640          # Streamlit's own breakpoint: below it columns stack and the sidebar starts collapsed
PAD_PX = 32              # the main column's padding, left and right together, on a narrow screen
KEY = "ssnn_viewport"
COOKIE = "ssnn_narrow_px"   # the last width this browser reported: a new session's layout from its first run

# Reports the window's width, rounded down to 10 px, when it is narrow, or 0 when it is wide; only when that
# differs from what the server last heard (`data`), and on a resize after the window has settled.
_JS = """
export default function(component) {
  const { data, setStateValue } = component;
  const measure = () => {
    const w = window.innerWidth;
    return w < NARROW_PX ? Math.floor(w / 10) * 10 : 0;
  };
  let known = data && typeof data.width === 'number' ? data.width : 0, timer = null;
  const report = () => {
    const w = measure();
    document.cookie = `COOKIE=${w}; path=/; max-age=31536000; SameSite=Lax`;   // the next session's first guess
    if (w !== known) { known = w; setStateValue('width', w); }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(report, 300); };
  report();
  window.addEventListener('resize', later);
  return () => { clearTimeout(timer); window.removeEventListener('resize', later); };
}
""".replace("NARROW_PX", str(NARROW_PX)).replace("COOKIE", COOKIE)

_CSS = ":host { display: none; }"

_component = None


def _mount():
    global _component
    if _component is None:
        _component = st.components.v2.component("ssnn_viewport", js=_JS, css=_CSS)
    return _component


def _noop() -> None:
    """The component's state is read on the rerun its report causes."""


def watch() -> None:
    """Mount the reporter (every page, from setup_page, in the sidebar where it takes no room). A new session
    starts from the width this browser reported last (a cookie), so a reload or a second tab on a phone is
    laid out for it at once; the browser corrects it if the window is another size now."""
    ss = st.session_state
    if "_viewport_px" not in ss:
        ss["_viewport_px"] = _from_cookie()
    with st.sidebar:
        result = _mount()(key=KEY, data={"width": width()}, on_width_change=_noop)
    reported = getattr(result, "width", None)
    if isinstance(reported, (int, float)) and 0 <= reported < 100_000:     # a report from this browser
        st.session_state["_viewport_px"] = int(reported)


def _from_cookie() -> int:
    try:
        raw = st.context.cookies.get(COOKIE, "")
    except (AttributeError, RuntimeError):          # no browser behind this session (tests)
        return 0
    return int(raw) if str(raw).isdigit() and 0 < int(raw) < NARROW_PX else 0


def width() -> int:
    """The window's width in px when it is narrow (below NARROW_PX), 0 when it is wide or not known."""
    return int(st.session_state.get("_viewport_px", 0) or 0)


def narrow() -> bool:
    """A phone-sized window: lay figures out for its width."""
    return 0 < width() < NARROW_PX


def content_width(wide: int) -> int:
    """The px a figure may use: `wide` on a wide window, the main column's width on a narrow one."""
    return max(200, width() - PAD_PX) if narrow() else wide
