"""Pieces several pages share: training right here when there is no model yet."""

from __future__ import annotations

import streamlit as st

from . import commands, readmodel, settings
from . import data as app_data


def train_here() -> None:
    """Train with the current settings on this page (no live chart), then rerun to show the result."""
    with st.spinner("Training the network..."):
        commands.train(settings.current())
        run = commands.current_run()
        if run is not None:
            commands.wait_until_stopped(run)
    if run is None:
        st.error(f"No MNIST data to train on: {app_data.missing_reason()}")
        return
    st.rerun()


def train_here_button(key: str, label: str | None = None, column=None) -> None:
    h = settings.current()
    label = label or f"Train 784→{h.hidden}→1 on {h.digits[0]}/{h.digits[1]} here ({h.iterations} iterations)"
    if (column or st).button(label, key=key, type="primary", disabled=app_data.pair(h.digits) is None):
        train_here()


def require_view(key: str) -> readmodel.View:
    """The trained model to look at; without one, say so, offer to train here, and stop the page."""
    view = readmodel.current()
    if view is not None and view.iteration > 0:
        run = commands.current_run()
        if run is not None and run.status.active:
            st.info(f"The network is still training: this is it after iteration {view.iteration} of "
                    f"{run.state.target}. It keeps training meanwhile; open this page again (or press R) "
                    "to see it further on.", icon="⏳")
        return view
    st.info("There is no trained network to look at yet.")
    c1, c2 = st.columns([1, 3])
    c1.page_link("pages/2_Train.py", label="Go to Train", icon="🏋️")
    train_here_button(key, column=c2)
    st.stop()
