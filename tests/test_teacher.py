"""Teacher links (ssnn_app/teacher.py): flags that lock, hide and show only some pages; presenter view."""

from __future__ import annotations

import html
import re

import pytest

from ssnn_app import teacher
from ssnn_core import Hyper
from tests.apptools import HOME, WEIGHTS, app, goto, texts


def test_flags_from_a_url_and_back():
    hyper = Hyper(hidden=37, learning_rate=0.2)
    flags, problems = teacher.from_query({"lock": "n1,lr", "hide": "advanced", "pages": "weights,train",
                                          "present": "1"}, hyper)
    assert problems == []
    assert flags.locked == {"hidden": 37, "learning_rate": 0.2} and flags.hidden == {"advanced"}
    assert flags.pages == ("train", "weights") and flags.present       # the app's order, not the URL's
    assert teacher.to_query(flags) == {"lock": "n1,lr", "hide": "advanced", "pages": "train,weights", "present": "1"}
    assert flags.apply(Hyper(hidden=100, learning_rate=1.0, seed=3)) == Hyper(hidden=37, learning_rate=0.2, seed=3)
    assert flags.shows("train") and not flags.shows("home")
    assert teacher.from_query({}, hyper) == (teacher.Flags(), [])


@pytest.mark.parametrize("params,words", [
    ({"lock": "n1,colour"}, "'colour' ignored"), ({"hide": "everything"}, "'everything' ignored"),
    ({"pages": "train,secret"}, "'secret' ignored"), ({"present": "maybe"}, "present='maybe' ignored")])
def test_bad_flags_are_ignored_with_one_line(params, words):
    flags, problems = teacher.from_query(params, Hyper())
    assert len(problems) == 1 and words in problems[0] and "\n" not in problems[0]
    assert flags.locked in ({}, {"hidden": 10}) and not flags.present


@pytest.mark.usefixtures("app_synthetic")
def test_a_lesson_link_locks_hides_and_shows_only_some_pages():
    at = app(n1="37", lr="0.2", lock="n1,lr", hide="advanced,share", pages="train,weights,colour")
    assert "'colour' ignored" in texts(at)                                  # on the first page: Train
    assert "Train the network" in [t.value for t in at.title]
    assert at.slider(key="w_hidden").disabled and at.select_slider(key="w_lr").disabled
    assert not at.slider(key="w_iterations").disabled
    assert not [r for r in at.radio if r.key == "w_dtype"]                  # Advanced is hidden
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(HOME)                                                   # not in this lesson
    goto(at, WEIGHTS)
    # every way of changing the settings keeps the locked ones
    from ssnn_app import settings
    assert at.session_state["hyper"].hidden == 37
    at.session_state["hyper"] = teacher.Flags({"hidden": 37}).apply(Hyper(hidden=99))
    assert at.session_state["hyper"].hidden == 37 and settings.UI_HIDDEN[0] <= 37


@pytest.mark.usefixtures("app_synthetic")
def test_presenter_view_and_the_link_builder():
    at = app(HOME, present="1")
    assert any("font-size: 21px" in str(h.proto.body) for h in at.get("html"))
    at = app(HOME)
    assert not any("font-size: 21px" in str(h.proto.body) for h in at.get("html"))
    at.multiselect(key="w_link_lock").set_value(["n1"]).run()
    at.multiselect(key="w_link_pages").set_value(["train", "board"]).run()
    at.toggle(key="w_link_present").set_value(True).run()
    links = [m for h in at.get("html") for m in re.findall(r'data-link="([^"]*)"', str(h.proto.body))]
    link = html.unescape(links[-1])
    assert "lock=n1" in link and "pages=train,board" in link and "present=1" in link and "n1=10" in link
