"""The class board (ssnn_app/board.py): ended runs entered once, settings and results only; the page."""

from __future__ import annotations

import pytest

from ssnn_app import board as bd
from ssnn_app import runs
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, Standardiser
from tests.apptools import BOARD, app, figures, texts, trained
from tests.test_classroom import set_status


@pytest.fixture
def pair(synthetic_pair):
    return synthetic_pair()


def run_of(pair, **settings) -> runs.Run:
    h = Hyper(**settings)
    return runs.new_run(h, pair, Standardiser.fit(pair.x_train, h.scaling))


def test_ended_runs_are_entered_once_newest_first(pair):
    b = bd.Board()
    first, second = run_of(pair, iterations=30), run_of(pair, iterations=30, learning_rate=0.1)
    b.after_publish(set_status(first, Status.RUNNING, 10))           # still training: not yet
    assert b.entries() == []
    b.after_publish(set_status(first, Status.DONE))
    b.after_publish(first)                                             # published again: entered once
    b.after_publish(set_status(second, Status.DIVERGED, 7))
    entries = b.entries()
    assert [(e.hyper.learning_rate, e.status, e.iterations) for e in entries] == [
        (0.1, "diverged", 7), (0.5, "done", 30)]
    row = entries[1].row(entries[1].ended_at + 125)
    assert row["ended"] == "2 min ago" and row["hidden n1"] == 10 and row["digits"] == "0 vs 1"
    assert set(row) == {"digits", "hidden n1", "learning rate", "iterations", "test error %", "final train cost",
                        "test cost", "result", "seed", "precision", "scaling", "ended"}   # nothing else
    assert b.version == 2


def test_copies_uploads_and_untrained_runs_stay_off(pair):
    b = bd.Board()
    done = set_status(run_of(pair, iterations=30), Status.DONE)
    b.after_publish(runs.adopted(done))                                # a shared copy
    up = set_status(run_of(pair, iterations=30), Status.DONE)
    up.origin = "uploaded"
    b.after_publish(up)
    b.after_publish(set_status(run_of(pair, iterations=30), Status.DONE, 0))
    assert b.entries() == []


def test_the_board_keeps_the_latest(pair):
    b = bd.Board(size=3)
    for seed in range(5):
        b.after_publish(set_status(run_of(pair, iterations=20, seed=seed), Status.DONE))
    assert [e.hyper.seed for e in b.entries()] == [4, 3, 2]


@pytest.mark.parametrize("value,on", [(None, True), ("on", True), ("off", False), ("0", False), ("No", False)])
def test_server_option(monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv("SSNN_CLASS_BOARD", raising=False)
    else:
        monkeypatch.setenv("SSNN_CLASS_BOARD", value)
    assert bd.enabled() is on


@pytest.mark.usefixtures("app_synthetic")
def test_board_page_shows_a_run_another_session_trained():
    trained(iterations=25, learning_rate=0.1)                          # someone else, in another session
    at = app(BOARD)
    assert "Best so far" in texts(at) and "learning rate 0.1" in texts(at)
    table = at.dataframe[0].value
    assert list(table["iterations"]) == [25] and list(table["learning rate"]) == [0.1]
    chart = figures(at)[0]
    assert chart["data"][0]["x"] == [0.1] and chart["layout"]["xaxis"]["type"] == "log"
    at.radio(key="w_board_sort").set_value("ended").run()
    assert not at.exception


@pytest.mark.usefixtures("app_synthetic")
def test_board_page_empty_and_turned_off(monkeypatch):
    at = app(BOARD)
    assert "No run has ended on this server yet" in texts(at)
    monkeypatch.setenv("SSNN_CLASS_BOARD", "off")
    at = app()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(BOARD)                                          # the page is not in the navigation
