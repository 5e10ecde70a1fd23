"""What every page does first: page config, settings from the URL, memory upkeep, the sidebar status."""

from __future__ import annotations

import gc
import time

import streamlit as st

from . import commands, diagnostics, history_log, i18n, settings, teacher, viewport
from .i18n import _

GC_SECONDS = 30.0                # full garbage collections at most this often (see _collect_garbage)

# On a narrow screen Plotly's toolbar (drawn over a figure's top right, where legends and titles are) shows
# only while the figure is touched or hovered, as Plotly's own "hover" mode would, and takes no taps while
# hidden. Wide screens keep Streamlit's default.
PHONE_CSS = f"""<style>
@media (max-width: {viewport.NARROW_PX - 0.02}px) {{
  .js-plotly-plot .modebar-container {{ opacity: 0; pointer-events: none; transition: opacity 0.2s; }}
  .js-plotly-plot:hover .modebar-container, .js-plotly-plot:focus-within .modebar-container {{
    opacity: 1; pointer-events: auto; }}
}}
</style>"""


def setup_page(title: str, icon: str) -> None:
    """Call first on every page."""
    _through_the_app()
    i18n.start()     # app.py did already, but a test's rerun may run the page alone
    i18n.switch()
    st.set_page_config(page_title=f"{_(title)} · ssnn", page_icon=icon, layout="wide")
    for problem in settings.restore_from_url() + settings.fit_classes() + teacher.problems() + i18n.problems():
        st.warning(problem)
    teacher.presenter()
    viewport.watch()
    st.html(PHONE_CSS)
    commands.engine().warm()  # the training process, started before the first Train
    diagnostics.start()
    ss = st.session_state
    ss["_page_opened"] = ss.get("_page") != title   # this run opens the page (not a click on it)
    if ss["_page_opened"]:        # a collection here, not on a click, where it would delay the answer
        ss["_page"] = title
        _collect_garbage()
    history_log.note_finished(commands.current_run())
    settings.sync_url()
    teacher.sync_url()
    i18n.sync_url()
    if title != "Train":  # the Train page has its own live status line
        _sidebar_status()


def _through_the_app() -> None:
    """Make sure this page runs inside app.py's navigation. With a pages/ folder beside app.py,
    Streamlit starts in its old pages-directory mode: until some session has run app.py (which calls
    st.navigation), a link straight to a page (/Train?..., often the first visit after a sleeping Cloud
    app wakes) runs that file alone, with a sidebar of file names. Here that mode is switched off for
    the server and the run starts again through app.py, on the same page (its URL path names it)."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:   # a Streamlit without the old mode
        return
    if getattr(PagesManager, "uses_pages_directory", False) and not st.session_state.get("_through_app"):
        st.session_state["_through_app"] = True    # once a session: a click's rerun must never be lost
        PagesManager.uses_pages_directory = False
        st.rerun()


def _sidebar_status() -> None:
    run = commands.current_run()
    with st.sidebar:
        if run is None:
            st.caption(_("No model yet: train one on the Train page, or upload one."))
        else:
            st.caption(_("Model: {description}").format(description=run.describe()))


_last_gc = [0.0]


def _collect_garbage() -> None:
    """A full garbage collection (0.07 s in a bare process, more with sessions) at most every
    GC_SECONDS, when a page is opened, never on a click's rerun (Pause must answer at once).
    Streamlit's own one after every script run is off (.streamlit/config.toml): it ran ~3 times a
    second per live chart. Closed sessions' state is kept in reference cycles, so without any full
    collection it would stay (and their runs in the training process with it)."""
    now = time.monotonic()
    if now - _last_gc[0] >= GC_SECONDS:
        _last_gc[0] = now
        gc.collect()
        if _malloc_trim is not None:
            _malloc_trim(0)  # hand freed heap memory back to the system (glibc keeps it otherwise)


def _find_malloc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        return None


_malloc_trim = _find_malloc_trim()
