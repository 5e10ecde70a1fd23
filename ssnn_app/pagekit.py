"""Pieces several pages share: training right here when there is no model yet."""

from __future__ import annotations

import streamlit as st

from . import classes, commands, navigation, readmodel, settings
from . import data as app_data
from .i18n import _


def train_here() -> None:
    """Train with the current settings on this page (no live chart), then rerun to show the result."""
    with st.spinner(_("Training the network...")):
        commands.train(settings.current())
        run = commands.current_run()
        if run is not None:
            commands.wait_until_stopped(run)
    if run is None:
        st.error(_("No MNIST data to train on: {reason}").format(reason=app_data.missing_reason()))
        return
    st.rerun()


def train_here_button(key: str, label: str | None = None, column=None) -> None:
    h = settings.current()
    label = label or _("Train 784→{n1}→1 on {a}/{b} here ({iterations} iterations)").format(
        n1=h.hidden, a=classes.name(h.digits[0]), b=classes.name(h.digits[1]), iterations=h.iterations)
    if (column or st).button(label, key=key, type="primary", disabled=app_data.pair(h.digits) is None):
        train_here()


def page_opened() -> bool:
    """True on the run that opens the page (set by setup_page), False on the reruns of clicks there."""
    return bool(st.session_state.get("_page_opened", True))


def _held(view: readmodel.View, active: bool, pin: bool) -> readmodel.View:
    """While a run trains, a pinned page keeps the model it opened with (its own clicks then redraw the
    same model, fast and with the same choices); a button moves it on."""
    ss = st.session_state
    held = ss.get("_pinned_view")
    if not (pin and active):
        ss.pop("_pinned_view", None)
        return view
    if page_opened() or held is None or held.key[0] != view.key[0] or ss.pop("_pin_refresh", False):
        ss["_pinned_view"] = held = view
    return held


def require_view(key: str, pin: bool = False) -> readmodel.View:
    """The trained model to look at; without one, say so, offer to train here, and stop the page.
    pin: while the run trains, keep showing the model as it was when the page opened (see _held)."""
    view = readmodel.current()
    if view is not None and view.iteration > 0:
        run = commands.current_run()
        active = run is not None and run.status.active
        view = _held(view, active, pin)
        if active and pin:
            c1, c2 = st.columns([4, 1])
            c1.info(_("The network is still training: this is it after iteration {iteration} of "
                      "{target} (it keeps training meanwhile).").format(iteration=view.iteration,
                                                                        target=run.state.target),
                    icon=":material/hourglass_top:")
            c2.button(_("Show it now"), key=f"{key}_refresh", icon=":material/refresh:",
                      on_click=lambda: st.session_state.update(_pin_refresh=True))
        elif active:
            st.info(_("The network is still training: this is it after iteration {iteration} of "
                      "{target}. It keeps training meanwhile; open this page again (or press R) "
                      "to see it further on.").format(iteration=view.iteration, target=run.state.target),
                    icon=":material/hourglass_top:")
        return view
    st.info(_("There is no trained network to look at yet."))
    c1, c2 = st.columns([1, 3])
    if navigation.visible("pages/2_Train.py"):
        c1.page_link("pages/2_Train.py", label=_("Go to Train"), icon=":material/model_training:")
    train_here_button(key, column=c2)
    st.stop()


def no_data_stop(key: str = "data_upload") -> None:
    """Say there is no data, offer the upload, and stop the page."""
    st.error(_("No MNIST data: {reason}").format(reason=app_data.missing_reason()))
    app_data.data_upload_ui(key)
    st.stop()


def require_pair(digits: tuple[int, int], key: str):
    """The selected digits' data; without any, say so, offer the upload, and stop the page."""
    pair = app_data.pair(digits)
    if pair is None:
        no_data_stop(key)
    return pair
