"""Bring a part of the page into view after a click that changed it further down (issue #15, item 14).

A gallery's "Why?" opens that image in the why-panel, which may be a whole screen (on a phone, many) below
the click: without this the click seems to do nothing. `here(token)` puts an anchor where it is called; a
new token scrolls the page to it once, smoothly, through a small `st.components.v2` component.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function(component) {
  const { parentElement } = component;
  const host = parentElement.host || parentElement;            // the shadow root's element
  const target = host.closest('[data-testid="stElementContainer"]') || host;
  requestAnimationFrame(() => target.scrollIntoView({ behavior: 'smooth', block: 'start' }));
}
"""
_component = None


def _mount():
    global _component
    if _component is None:
        _component = st.components.v2.component("ssnn_scroll_to", js=_JS, css=":host { display: block; }")
    return _component


def request(name: str) -> None:
    """Ask the next run to scroll to the anchor `name` (from a button's on_click)."""
    st.session_state[f"_scroll_{name}"] = st.session_state.get(f"_scroll_{name}_count", 0) + 1


def here(name: str) -> bool:
    """The anchor `name`: scrolls the page here on the run after `request(name)`. Each request mounts a new
    instance (its key holds the count), whose script runs once when it mounts. True when it scrolls."""
    count = st.session_state.pop(f"_scroll_{name}", None)
    if count is None:
        return False
    st.session_state[f"_scroll_{name}_count"] = count
    _mount()(key=f"scroll_{name}_{count}", data={"n": count})
    return True
