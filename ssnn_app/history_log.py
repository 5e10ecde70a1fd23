"""This session's finished runs, for "compare runs" on the Train page."""

from __future__ import annotations

import io

import streamlit as st

from ssnn_core.history import History

from . import classes, words
from .i18n import _
from .lifecycle import Status

MAX_FINISHED = 6                 # runs kept for "compare runs"
CSV_COLUMNS = ["iteration", "train_cost", "train_accuracy", "learning_rate", "test_cost", "test_accuracy"]


def note_finished(run) -> None:
    """Add this session's run once it has finished (each run and length once)."""
    if run is None or run.status is not Status.DONE:
        return
    s = run.state
    h = s.history
    if not h.iteration:
        return
    noted = st.session_state.setdefault("_noted", set())
    if (run.id, s.iteration) in noted:
        return
    noted.add((run.id, s.iteration))
    hy = run.hyper
    settings = {"n1": hy.hidden, "lr": s.learning_rate, "it": s.iteration, "seed": hy.seed, "a": hy.digits[0],
                "b": hy.digits[1], "dtype": hy.dtype, "scaling": hy.scaling,
                "classes": tuple(getattr(run.pair, "classes", ()) or ())}   # English names, shown translated
    finished = st.session_state.setdefault("finished", [])
    finished.append({"settings": settings, "iteration": h.iteration, "train_cost": h.train_cost,
                     "eval_iteration": h.eval_iteration, "test_accuracy": h.test_accuracy})
    del finished[:-MAX_FINISHED]


def label(settings: dict) -> str:
    """A finished run's settings as its line in "compare runs" is labelled, in the current language."""
    values = {k: v for k, v in settings.items() if k != "classes"}
    names = settings.get("classes") or ()
    if len(names) == 2:                                        # its data's classes, by name
        values.update(a=classes.translate(names[0]), b=classes.translate(names[1]))
    if not words.digit_names((values["a"], values["b"])):
        return _("n1={n1} lr={lr:g} it={it} seed={seed} {a} vs {b} {dtype} {scaling}").format(**values)
    return _("n1={n1} lr={lr:g} it={it} seed={seed} {a}v{b} {dtype} {scaling}").format(**values)


def finished() -> list[dict]:
    """This session's finished runs, oldest first, each with its "label" in the current language."""
    return [{**r, "label": label(r["settings"])} for r in st.session_state.get("finished", [])]


def history_csv(history: History) -> str:
    out = io.StringIO()
    out.write(",".join(CSV_COLUMNS) + "\n")
    for row in history.rows():
        out.write(",".join("" if row[c] is None else f"{row[c]:.10g}" for c in CSV_COLUMNS) + "\n")
    return out.getvalue()
