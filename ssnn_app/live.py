"""What the Train page shows of a run, made once per run state for every session that watches it,
and how often a watching page redraws.

A class of 30 following one run must not cost the server 30 times the drawing: the status line, the
live chart and the result figures are made once per published state and kept on the run, which every
session watching it shares (Run.memo); and the live panel redraws less often as more sessions watch
live runs, so that the server's redraw work stays bounded (about LIVE_REDRAWS_PER_SECOND panel reruns
a second in all).
"""

from __future__ import annotations

import time

from ssnn_core.history import History

from . import commands, fig_train, i18n
from .i18n import _, ngettext, pgettext
from .lifecycle import Status
from .memo import Shared
from .runs import Run

REDRAW_SECONDS = 0.3             # one session watching: about 3 redraws a second
LIVE_REDRAWS_PER_SECOND = 12.0   # the server's budget of live-panel reruns, for all sessions together
MAX_REDRAW_SECONDS = 2.5
_empty = Shared(8)               # (target, log_y, language) -> the empty chart shown before training


def watching() -> int:
    """Sessions that watch a run being trained or waiting for its turn, on the whole server."""
    return sum(len(run.watchers) for run in commands.engine().runs() if run.status.active)


_interval = {"at": 0.0, "value": REDRAW_SECONDS}


def redraw_seconds() -> float:
    """How often a live panel redraws now: REDRAW_SECONDS for a few watchers, slower for many."""
    now = time.monotonic()
    if now - _interval["at"] > 0.5:
        wanted = max(REDRAW_SECONDS, watching() / LIVE_REDRAWS_PER_SECOND)
        _interval.update(at=now, value=round(min(MAX_REDRAW_SECONDS, wanted), 1))
    return _interval["value"]


def status_line(run: Run | None) -> str:
    if run is None:
        return _("Not trained yet.")
    s = run.state
    return run.memo(f"status-{i18n.lang()}", (s.version, run.others_watching), lambda: _status_line(run, s))


def _status_line(run: Run, s) -> str:
    """`run` in state `s` (read once by the caller, so that text and cache key agree)."""
    per = s.ms_per_iteration
    parts = [_("**Iteration {iteration} / {target}**").format(iteration=s.iteration, target=s.target),
             _status_words(run, s), _("learning rate {lr:g}").format(lr=s.learning_rate)]
    if per:
        parts.append(_("{ms:.1f} ms per iteration").format(ms=per))
    if run.origin == "shared":
        parts.append(_("result shared by an identical earlier run (training is deterministic)"))
    if run.others_watching:
        n = run.others_watching
        parts.append(ngettext("{n} other session watches this run: identical settings are trained once",
                              "{n} other sessions watch this run: identical settings are trained once", n).format(n=n))
    return " · ".join(parts)


def _status_words(run: Run, s) -> str:
    if run.origin == "uploaded":
        return pgettext("run status", "uploaded")
    if s.status is Status.QUEUED:
        return (_("waiting for its turn: {n} run(s) ahead").format(n=s.queue_position - 1)
                if s.queue_position > 1 else _("starts next"))
    if s.status is Status.DIVERGED:
        return _("stopped: diverged")
    if s.status is Status.FAILED:
        return _("stopped: failed")
    return s.status.label


def problem(run: Run | None) -> str | None:
    """Why a stopped run stopped, when it was not asked to: it diverged, or its training failed."""
    if run is None or run.status.active or not run.state.message:
        return None
    s = run.state
    message = i18n.error_text(s.error) if s.error is not None else s.message
    if s.status is Status.DIVERGED:
        return message
    return _("{message}. The model is kept as it was after iteration {iteration}.").format(
        message=message, iteration=s.iteration)


def live_view(run: Run, log_y: bool) -> str:
    """While a run trains: its status line over the light SVG chart, as one piece of markdown."""
    s = run.state
    return run.memo(f"live-{log_y}-{i18n.lang()}", (s.version, run.others_watching), lambda: (
        f"{_status_line(run, s)}\n\n{fig_train.live_svg(s.history, log_y, s.target, s.starts, s.stops)}"))


def cost_figure(run: Run | None, log_y: bool, target: int):
    """The interactive chart once stopped (empty before training)."""
    if run is None:
        return _empty.get((target, log_y, i18n.lang()), lambda: fig_train.cost_figure(History(), log_y, target))
    s = run.state
    return run.memo(f"cost-{log_y}-{i18n.lang()}", s.version,
                    lambda: fig_train.cost_figure(s.history, log_y, s.target))


def confusion_figure(run: Run, view):
    return run.memo(f"confusion-{i18n.lang()}", view.key,
                    lambda: fig_train.confusion_figure(view.evaluation.confusion(), view.hyper.digits))
