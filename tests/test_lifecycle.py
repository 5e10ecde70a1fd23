"""The run state machine (ssnn_app/lifecycle.py): every transition, every ignored event, and that
nothing else is allowed."""

from __future__ import annotations

import itertools

import pytest

from ssnn_app.lifecycle import IGNORED, TRANSITIONS, Event, Status, TransitionError, after

S, E = Status, Event

# The table as the module's diagram draws it, written out here so that a change to it is a change here.
EXPECTED = {
    (S.NEW, E.TRAIN): S.QUEUED, (S.PAUSED, E.TRAIN): S.QUEUED, (S.DONE, E.TRAIN): S.QUEUED,
    (S.FAILED, E.TRAIN): S.QUEUED, (S.QUEUED, E.TRAIN): S.QUEUED, (S.RUNNING, E.TRAIN): S.RUNNING,
    (S.QUEUED, E.SLOT): S.RUNNING,
    (S.QUEUED, E.PAUSE): S.PAUSED, (S.RUNNING, E.PAUSE): S.PAUSED,
    (S.RUNNING, E.REACHED): S.DONE, (S.QUEUED, E.REACHED): S.DONE,
    (S.DONE, E.RAISED): S.QUEUED,
    (S.RUNNING, E.DIVERGED): S.DIVERGED,
    (S.QUEUED, E.LOST): S.FAILED, (S.RUNNING, E.LOST): S.FAILED,
}


def test_the_transitions_are_the_documented_ones():
    assert TRANSITIONS == EXPECTED


@pytest.mark.parametrize("status, event", list(EXPECTED), ids=lambda x: x.value)
def test_each_transition(status, event):
    assert after(status, event) is EXPECTED[(status, event)]


@pytest.mark.parametrize("status, event", list(IGNORED), ids=lambda x: x.value)
def test_each_ignored_event_leaves_the_status_as_it_is(status, event):
    assert after(status, event) is status
    assert IGNORED[(status, event)] is status


def test_no_pair_is_both_a_transition_and_ignored():
    assert not set(TRANSITIONS) & set(IGNORED)


@pytest.mark.parametrize("status, event", [k for k in itertools.product(Status, Event)
                                           if k not in TRANSITIONS and k not in IGNORED],
                         ids=lambda x: x.value)
def test_every_other_pair_raises(status, event):
    with pytest.raises(TransitionError, match=f"a {status.value} run cannot {event.value}"):
        after(status, event)


def test_the_odd_cases():
    # the learner raised the target just as the run reached the old one: it trains on
    assert after(S.DONE, E.RAISED) is S.QUEUED
    # the training process died mid-run, or before the run had its turn: failed, model kept
    assert after(S.RUNNING, E.LOST) is S.FAILED and after(S.QUEUED, E.LOST) is S.FAILED
    # a Pause that arrives after the run finished (or diverged) changes nothing
    assert after(S.DONE, E.PAUSE) is S.DONE and after(S.DIVERGED, E.PAUSE) is S.DIVERGED
    # a process lost while this run rested leaves it resting
    assert all(after(s, E.LOST) is s for s in (S.NEW, S.PAUSED, S.DONE, S.FAILED, S.DIVERGED))
    # a diverged run cannot be trained on, nor reach anything
    for event in (E.TRAIN, E.SLOT, E.REACHED, E.DIVERGED):
        with pytest.raises(TransitionError):
            after(S.DIVERGED, event)
    # a new run cannot start training without waiting for a slot first
    with pytest.raises(TransitionError):
        after(S.NEW, E.SLOT)


def test_status_properties():
    assert {s for s in Status if s.active} == {S.QUEUED, S.RUNNING}
    assert {s for s in Status if not s.can_continue} == {S.DIVERGED}
    assert issubclass(TransitionError, ValueError)
