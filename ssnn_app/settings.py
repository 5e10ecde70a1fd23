"""The settings a session trains with: kept in its state, mirrored in the URL so that a link restores them."""

from __future__ import annotations

import streamlit as st

from ssnn_core import ConfigError, Hyper

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
            problems.append(f"URL parameter {key}={raw!r} ignored: {exc}")
    return hyper, problems


def check_ui_range(h: Hyper) -> None:
    """The dashboard's sliders are narrower than what the core accepts."""
    if not UI_HIDDEN[0] <= h.hidden <= UI_HIDDEN[1]:
        raise ConfigError(f"hidden neurons must be in {UI_HIDDEN[0]}..{UI_HIDDEN[1]}, got {h.hidden}")
    if not UI_ITERATIONS[0] <= h.iterations <= UI_ITERATIONS[1]:
        raise ConfigError(f"iterations must be in {UI_ITERATIONS[0]}..{UI_ITERATIONS[1]}, got {h.iterations}")
    if not UI_LR[0] <= h.learning_rate <= UI_LR[1]:
        raise ConfigError(f"learning rate must be in {UI_LR[0]:g}..{UI_LR[1]:g}, got {h.learning_rate:g}")


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
    params = {**hyper_to_query(current()), **teacher.to_query(flags if flags is not None else teacher.current())}
    return f"{base}?" + "&".join(f"{k}={v}" for k, v in params.items())
