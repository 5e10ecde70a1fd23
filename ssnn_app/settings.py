"""The settings a session trains with: kept in its state, mirrored in the URL so that a link restores them."""

from __future__ import annotations

import streamlit as st

from ssnn_core import ConfigError, Hyper

from . import i18n
from .i18n import _

UI_ITERATIONS = (1, 5000)
UI_HIDDEN = (10, 300)
UI_LR = (0.001, 10.0)
URL_FIELDS = {"digits": "digits", "hidden": "n1", "learning_rate": "lr", "iterations": "iters",
              "seed": "seed", "dtype": "dtype", "scaling": "scaling"}


def hyper_from_query(params) -> tuple[Hyper, list[str]]:
    """Settings from URL parameters; each bad one is ignored with a message."""
    hyper, problems = Hyper(), []
    for name, key in URL_FIELDS.items():
        raw = params.get(key)
        if raw is None:
            continue
        raw = str(raw)[:40]
        value = tuple(raw.replace("-", ",").split(",")) if name == "digits" else raw
        try:
            candidate = hyper.replace(**{name: value})
            check_ui_range(candidate)
            hyper = candidate
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(_("URL parameter {key}={value} ignored: {reason}").format(
                key=key, value=repr(raw), reason=i18n.error_text(exc)))
    return hyper, problems


def check_ui_range(h: Hyper) -> None:
    """The dashboard's sliders are narrower than what the core accepts."""
    if not UI_HIDDEN[0] <= h.hidden <= UI_HIDDEN[1]:
        raise ConfigError("hidden neurons must be in {lo}..{hi}, got {value}",
                          lo=UI_HIDDEN[0], hi=UI_HIDDEN[1], value=h.hidden)
    if not UI_ITERATIONS[0] <= h.iterations <= UI_ITERATIONS[1]:
        raise ConfigError("iterations must be in {lo}..{hi}, got {value}",
                          lo=UI_ITERATIONS[0], hi=UI_ITERATIONS[1], value=h.iterations)
    if not UI_LR[0] <= h.learning_rate <= UI_LR[1]:
        raise ConfigError("learning rate must be in {lo:g}..{hi:g}, got {value:g}",
                          lo=UI_LR[0], hi=UI_LR[1], value=h.learning_rate)


def in_ui_range(h: Hyper) -> bool:
    try:
        check_ui_range(h)
    except ConfigError:
        return False
    return True


def hyper_to_query(h: Hyper) -> dict:
    return {"digits": f"{h.digits[0]}-{h.digits[1]}", "n1": str(h.hidden), "lr": f"{h.learning_rate:g}",
            "iters": str(h.iterations), "seed": str(h.seed), "dtype": h.dtype, "scaling": h.scaling}


def restore_from_url() -> list[str]:
    """On a session's first page: the settings from its URL. Returns the problems to show."""
    ss = st.session_state
    if "hyper" in ss:
        return []
    ss["hyper"], problems = hyper_from_query(st.query_params)
    return problems


def current() -> Hyper:
    return st.session_state["hyper"]


def fit_classes() -> list[str]:
    """Settings that ask for a class this session's data set does not have (a user's images in fewer than
    10 folders) fall back to its first two classes, with a one-line message to show."""
    from . import classes
    from . import data as app_data

    mnist = app_data.mnist()
    n = len(getattr(mnist, "classes", ())) if mnist is not None else 0
    h = st.session_state.get("hyper")
    if h is None or not n or max(h.digits) < n:
        return []
    st.session_state["hyper"] = h.replace(digits=(0, 1))    # over a teacher's lock too: its classes are not here
    sync_url()
    return [_("{dataset} has {n} classes and no class {k}: the settings use {a} vs {b} instead.").format(
        dataset=classes.dataset_name(mnist), n=n, k=max(h.digits), a=classes.name(0, mnist),
        b=classes.name(1, mnist))]


def use(hyper: Hyper) -> None:
    """Make `hyper` this session's settings (and the URL's); settings a teacher's link locked stay."""
    from . import teacher
    st.session_state["hyper"] = teacher.current().apply(hyper)
    sync_url()


def sync_url() -> None:
    wanted = hyper_to_query(current())
    if {k: st.query_params.get(k) for k in wanted} != wanted:
        st.query_params.update(wanted)


def share_link(flags=None) -> str:
    """A link to these settings, with this session's teacher flags (or `flags`)."""
    from . import teacher
    base = (st.context.url or "").split("?")[0]
    params = {**hyper_to_query(current()), **teacher.to_query(flags if flags is not None else teacher.current()),
              **i18n.to_query()}
    return f"{base}?" + "&".join(f"{k}={v}" for k, v in params.items())
