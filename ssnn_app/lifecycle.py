"""A run's status and the events that move it: the one state machine of a training run.

Pure: no Streamlit, no processes. The training process (its owner) applies these transitions to the
runs it trains and publishes the result; the server applies the two it learns of itself (the training
process died: LOST; a run it has not handed over yet). Every other module reads a status, never
compares strings.

    NEW ──train──> QUEUED ──slot──> RUNNING ──reached──> DONE
                     ^  │             │  │ ──diverged──> DIVERGED
                     │  └──pause──┐   │  └──pause────> PAUSED
                     └────train───┴───┴────────────── PAUSED / DONE / FAILED
    any active status ──lost──> FAILED (the model is kept as last published)
"""

from __future__ import annotations

from enum import Enum

from .i18n import pgettext


class Status(Enum):
    NEW = "new"              # at its initial parameters, never trained
    QUEUED = "queued"        # waiting for a turn in the training process (a bounded number train at once)
    RUNNING = "running"      # being trained
    PAUSED = "paused"        # stopped by its learner (Pause, or the end of Step N)
    DONE = "done"            # reached its number of iterations
    DIVERGED = "diverged"    # the cost blew up; back at its last good parameters, cannot continue
    FAILED = "failed"        # training stopped unexpectedly (the training process died); model kept

    @property
    def active(self) -> bool:
        """Being trained or about to be: the owner will publish more."""
        return self in (Status.QUEUED, Status.RUNNING)

    @property
    def can_continue(self) -> bool:
        """Train or Step may carry this run on."""
        return self not in (Status.DIVERGED,)

    @property
    def label(self) -> str:
        """The status as a learner reads it, in the current language (`value` is the English word, for
        messages and files)."""
        return {
            Status.NEW: pgettext("run status", "new"),
            Status.QUEUED: pgettext("run status", "queued"),
            Status.RUNNING: pgettext("run status", "running"),
            Status.PAUSED: pgettext("run status", "paused"),
            Status.DONE: pgettext("run status", "done"),
            Status.DIVERGED: pgettext("run status", "diverged"),
            Status.FAILED: pgettext("run status", "failed"),
        }[self]


class Event(Enum):
    TRAIN = "train"          # Train pressed / Step N asked: wants a turn
    SLOT = "slot"            # the training process gives it a turn
    PAUSE = "pause"          # Pause pressed, or Step N's last iteration done
    REACHED = "reached"      # the target number of iterations was reached
    RAISED = "raised"        # a DONE run's target was raised while its learner saw it training
    DIVERGED = "diverged"
    LOST = "lost"            # the training process died or failed on this run


class TransitionError(ValueError):
    """An event that cannot happen in this status (a bug in the caller, not a user error)."""


_ACTIVE = (Status.QUEUED, Status.RUNNING)
_RESTING = (Status.NEW, Status.PAUSED, Status.DONE, Status.FAILED)

TRANSITIONS: dict[tuple[Status, Event], Status] = {
    **{(s, Event.TRAIN): Status.QUEUED for s in _RESTING},
    (Status.QUEUED, Event.TRAIN): Status.QUEUED,
    (Status.RUNNING, Event.TRAIN): Status.RUNNING,
    (Status.QUEUED, Event.SLOT): Status.RUNNING,
    **{(s, Event.PAUSE): Status.PAUSED for s in _ACTIVE},
    (Status.RUNNING, Event.REACHED): Status.DONE,
    (Status.QUEUED, Event.REACHED): Status.DONE,      # a target lowered to where it already is
    (Status.DONE, Event.RAISED): Status.QUEUED,
    (Status.RUNNING, Event.DIVERGED): Status.DIVERGED,
    **{(s, Event.LOST): Status.FAILED for s in _ACTIVE},
}

# Events that leave a status as it is rather than being errors: a Pause that arrives after the run
# finished, the training process lost while nothing was training, a second "reached".
IGNORED = {
    **{(s, Event.PAUSE): s for s in (*_RESTING, Status.DIVERGED)},
    **{(s, Event.LOST): s for s in (*_RESTING, Status.DIVERGED)},
    (Status.DONE, Event.REACHED): Status.DONE,
    **{(s, Event.RAISED): s for s in (Status.NEW, Status.QUEUED, Status.RUNNING, Status.PAUSED,
                                      Status.FAILED, Status.DIVERGED)},
}


def after(status: Status, event: Event) -> Status:
    """The status `event` leads to from `status`; TransitionError if it cannot happen."""
    key = (status, event)
    if key in TRANSITIONS:
        return TRANSITIONS[key]
    if key in IGNORED:
        return IGNORED[key]
    raise TransitionError(f"a {status.value} run cannot {event.value}")
