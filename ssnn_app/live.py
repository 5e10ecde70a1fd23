"""What the Train page shows of a run, made once per run state for every session that watches it,
and how often a watching page redraws.

A class of 30 following one run must not cost the server 30 times the drawing: the status line, the
live chart and the result figures are made once per published state and kept on the run, which every
session watching it shares (Run.memo); and the live panel redraws less often as more sessions watch
live runs, so that the server's redraw work stays bounded (about LIVE_REDRAWS_PER_SECOND panel reruns
a second in all).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ssnn_core.history import History
from ssnn_core.inspect import blank_pixel_ink
from ssnn_core.network import forward

from . import commands, fig_data, fig_train, i18n
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


def status_line(run: Run | None, s=None) -> str:
    """The status line of `run` in state `s` (default: its state now). A page that decides more from the
    state (the Train page: results or a live panel) passes the one state it read, so that all it draws agrees."""
    if run is None:
        return _("Not trained yet.")
    s = run.state if s is None else s
    return run.memo(f"status-{i18n.lang()}", (s.version, run.others_watching), lambda: _status_line(run, s))


def learning_rate(s) -> float:
    """The run's learning rate as its status line shows it: the one it trains with while it trains; the one
    it diverged with (as its message says, even if a new rate reached it after it stopped); else the one its
    last step took (a click that set a rate and trained nothing does not count), or the one it will start with."""
    if s.status is Status.DIVERGED:
        lr = getattr(s.error, "params", {}).get("lr") if s.error is not None else None
        return float(lr) if lr is not None else s.learning_rate
    if s.status.active or not s.history.learning_rate:
        return s.learning_rate
    return s.history.learning_rate[-1]


def _status_line(run: Run, s) -> str:
    """`run` in state `s` (read once by the caller, so that text and cache key agree)."""
    per = s.ms_per_iteration
    parts = [_("**Iteration {iteration} / {target}**").format(iteration=s.iteration, target=s.target),
             _status_words(run, s), _("learning rate {lr:g}").format(lr=learning_rate(s))]
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


def problem(run: Run | None, s=None) -> str | None:
    """Why a stopped run stopped, when it was not asked to: it diverged, or its training failed.
    s: the state to say it of (default: the run's now)."""
    if run is None:
        return None
    s = run.state if s is None else s
    if s.status.active or not s.message:
        return None
    message = i18n.error_text(s.error) if s.error is not None else s.message
    if s.status is Status.DIVERGED:
        return message
    return _("{message}. The model is kept as it was after iteration {iteration}.").format(
        message=message, iteration=s.iteration)


def live_view(run: Run, log_y: bool, s=None) -> str:
    """While a run trains: its status line over the light SVG chart, as one piece of markdown (of state `s`,
    default the run's now)."""
    s = run.state if s is None else s
    return run.memo(f"live-{log_y}-{i18n.lang()}", (s.version, run.others_watching), lambda: (
        f"{_status_line(run, s)}\n\n{fig_train.live_svg(s.history, log_y, s.target, s.starts, s.stops)}"))


def cost_figure(run: Run | None, log_y: bool, target: int, s=None):
    """The interactive chart once stopped (empty before training), of state `s` (default the run's now);
    a diverged run's with its blow-up."""
    if run is None:
        return _empty.get((target, log_y, i18n.lang()), lambda: fig_train.cost_figure(History(), log_y, target))
    s = run.state if s is None else s
    return run.memo(f"cost-{log_y}-{i18n.lang()}", s.version,
                    lambda: fig_train.cost_figure(s.history, log_y, s.target, blowup(s)))


def blowup(s) -> list[tuple[int, float]]:
    """A diverged run's blow-up as chart points (iteration, cost): its last step kept, the step undone, and
    the step that diverged (cost nan if it was not a number), from the values of its stop reason (the
    trainer keeps them there: its history ends at the model's iteration). [] for any other run."""
    params = getattr(s.error, "params", None) or {}
    if s.status is not Status.DIVERGED or "failed" not in params:
        return []
    h, failed = s.history, int(params["failed"])
    points = [(h.iteration[-1], h.train_cost[-1])] if h.iteration else []
    if params.get("undone") is not None:
        points.append((failed - 1, float(params["undone"])))
    points.append((failed, float(params.get("cost", math.nan))))
    return points


# ------------------------------------------------------------------ a test cost one image blows up


@dataclass(frozen=True)
class BlankInk:
    """Test images with ink on pixels blank in every training image, when (under the article's scaling)
    they make most of the test cost. images: their test indices, costliest first; value: the largest
    standardised value on such a pixel of the first; share: their part of the test cost (0..1); cost: the
    test cost; rest: the test cost of the other images."""

    images: tuple[int, ...]
    value: float
    share: float
    cost: float
    rest: float


BLANK_INK_SHARE = 0.5     # they are named when they make at least this part of the test cost


def blank_ink(run: Run, view) -> BlankInk | None:
    """Why the test cost of `view` (readmodel.View of `run`) explodes, when blank-pixel ink is why; made
    once per model state for every session."""
    return run.memo("blank-ink", view.key, lambda: _blank_ink(view))


def _blank_ink(view) -> BlankInk | None:
    if view.pair is None or view.X_test is None or view.scaler.mode != "seed":
        return None
    images = fig_data.ink_on_blank(view.pair.x_test, view.scaler.blank)
    if not images.size:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        z2 = np.asarray(forward(view.params, view.X_test)[1]["Z2"][0], dtype=np.float64)      # (m,)
        y = np.asarray(view.pair.y_test, dtype=np.float64).reshape(-1)
        loss = np.logaddexp(0.0, z2) - y * z2                                              # (m,) per image
    total = float(loss.sum())
    if not math.isfinite(total) or total <= 0:
        return None
    share = float(loss[images].sum()) / total
    if share < BLANK_INK_SHARE:
        return None
    order = images[np.argsort(-loss[images], kind="stable")]
    first = int(order[0])
    ink = blank_pixel_ink(view.pair.x_test[first], view.scaler.blank)
    value = float(np.abs(view.X_test[ink, first]).max()) if ink.size else math.nan
    rest = np.delete(loss, images)
    return BlankInk(tuple(int(i) for i in order), value, share, total / loss.size,
                    float(rest.mean()) if rest.size else math.nan)


def confusion_figure(run: Run, view):
    """Rows and columns named by the classes ('true 0', 'predicted Trouser'), in the session's language."""
    names = view.names
    return run.memo(f"confusion-{i18n.lang()}", (view.key, names),
                    lambda: fig_train.confusion_figure(view.evaluation.confusion(), names))
