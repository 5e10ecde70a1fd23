"""Issue #15, the Train page's items, on the synthetic MNIST (its test #1 of 0/1, like MNIST's #1749, has ink
on a pixel no training image inks):

  1  the article's run (seed scaling, float64): the page says why the test cost explodes, links to the image,
     and the chart keeps its curves readable (test costs far above the train cost marked on its top edge);
  5  a diverged run's chart draws the blow-up itself, and the status line's learning rate is the run's;
  12 a run that stops while the page is drawn still gets its result drawn (one read of its state);
  4  Step N trains live (the page shows it training, the status line moves on) and Pause stops it.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import replace

import pytest

from ssnn_app import commands, fig_train, runs
from ssnn_app import protocol as p
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, Trainer, load_mnist, select_digits
from ssnn_core.history import History
from tests.apptools import TRAIN, app, charts, trained, wait_for

pytestmark = pytest.mark.usefixtures("app_synthetic")
ARTICLE = {"scaling": "seed", "dtype": "float64"}
RESULT = "Result on the test set"


def cost_chart(at) -> dict:
    return next(s for k, s in charts(at).items() if k.endswith("cost_chart"))


def trace(spec: dict, name: str) -> dict | None:
    return next((t for t in spec["data"] if t.get("name") == name), None)


def status(at) -> str:
    return next((m.value for m in at.markdown if re.search(r"Iteration \d+ / \d+", m.value)), "")


# ------------------------------------------------------------------ 1: the article's run


def test_the_article_run_says_why_its_test_cost_explodes_and_links_to_the_image():
    at = trained(iterations=60, **ARTICLE)
    run = at.session_state["run"]
    assert run.state.history.test_cost[-1] > 1e4 > 1 > run.state.history.train_cost[-1]   # the explosion
    note = next(w.value for w in at.warning if "Why the test cost explodes" in w.value)
    assert "test image #1 has ink on pixels that are blank in every training image" in note
    assert "std + 1e-9" in note and "100 % of the test cost" in note and "Without it, the test cost is" in note
    rest = float(re.search(r"Without it, the test cost is ([\d.e+-]+)\.", note).group(1))
    assert rest < 0.1                                             # the other 59 images: a normal test cost
    # the chart stays readable: the cost axis fits the train cost, the test costs above it are marked on its edge
    spec = cost_chart(at)
    lo, hi = spec["layout"]["yaxis"]["range"]
    assert spec["layout"]["yaxis"]["type"] == "log" and hi <= 1 and lo <= math.log10(min(run.state.history.train_cost))
    off = trace(spec, "test cost off the chart")
    assert off is not None and len(off["x"]) >= len(run.state.history.eval_iteration) - 1
    assert max(off["customdata"]) == pytest.approx(max(run.state.history.test_cost))
    assert any("test cost off the chart: up to" in a["text"] for a in spec["layout"]["annotations"])
    # the link opens the image in the Mistakes page's why-panel
    at.button(key="b_blank_mistakes").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="w_mistake").value == 1
    assert any("Test image **#1**" in m.value for m in at.markdown)
    assert any("Blank pixels are to blame" in e.value for e in at.error)


def test_the_data_link_opens_the_image_in_the_standardisation_view():
    at = trained(iterations=30, **ARTICLE)
    at.button(key="b_blank_data").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="data_split").value == "test" and at.number_input(key="data_index").value == 1
    assert any("What standardisation does to test #1" in h.value for h in at.subheader)


def test_safe_scaling_has_no_note_and_its_chart_fits_every_cost():
    at = trained(iterations=60, dtype="float64")
    assert not any("Why the test cost explodes" in w.value for w in at.warning)
    spec = cost_chart(at)
    assert trace(spec, "test cost off the chart") is None and "range" not in spec["layout"]["yaxis"]


def test_off_chart_marks_on_both_charts_and_only_when_needed():
    its = list(range(1, 101))
    train = [0.69 * 0.93 ** i for i in its]
    h = History(its, train, [1.0] * 100, [0.5] * 100, [0, 50, 100], [0.69, 3e4, 1.3e5], [0.5, 0.99, 0.99])
    for log_y in (True, False):
        spec = fig_train.cost_figure(h, log_y, 100).to_plotly_json()
        off = trace(spec, "test cost off the chart")
        assert list(off["x"]) == [50, 100] and list(off["customdata"]) == [3e4, 1.3e5]
        lo, hi = spec["layout"]["yaxis"]["range"]
        assert hi == (0 if log_y else pytest.approx(1.08 * 0.69)) and off["y"][0] < (10 ** hi if log_y else hi)
    svg = fig_train.live_svg(h, True, 100)
    assert 'data-off-chart="2"' in svg and "test cost off the chart: up to 1.3e+05" in svg
    normal = History(its, train, [1.0] * 100, [0.5] * 100, [0, 50, 100], [0.69, 0.05, 0.04], [0.5, 0.99, 0.99])
    spec = fig_train.cost_figure(normal, True, 100).to_plotly_json()
    assert trace(spec, "test cost off the chart") is None and "range" not in spec["layout"]["yaxis"]
    assert 'data-off-chart="0"' in fig_train.live_svg(normal, True, 100)


# ------------------------------------------------------------------ 5: divergence


def test_the_trainer_keeps_the_blowup_in_its_stop_reason(app_synthetic):
    pair = select_digits(load_mnist(app_synthetic), (0, 1))
    hyper = Hyper(learning_rate=10, iterations=50)
    t = Trainer(pair, hyper)
    t.run()
    blow = t.stopped.params
    assert t.diverged and blow["failed"] == t.iteration + 2 and len(t.history.train_cost) == t.iteration
    assert blow["cost"] > 50 and blow["undone"] is not None
    assert str(t.stopped) == t.stopped_reason and f"{blow['cost']:.3g}" in t.stopped_reason
    # exactly what a fresh run sees at those steps
    fresh = Trainer(pair, hyper)
    fresh.run(t.iteration + 1)
    assert not fresh.diverged and fresh.history.train_cost[-1] == blow["undone"]
    fresh.run(1)
    assert fresh.diverged and fresh.stopped.params["cost"] == blow["cost"]


def test_a_diverged_run_draws_its_blowup():
    at = trained(learning_rate=10, iterations=50)
    run = at.session_state["run"]
    assert run.status is Status.DIVERGED
    blow, h = run.state.error.params, run.state.history
    spec = cost_chart(at)
    up = trace(spec, "the blow-up (steps undone)")
    assert up is not None, [t.get("name") for t in spec["data"]]
    assert list(up["x"]) == [h.iteration[-1], blow["failed"] - 1, blow["failed"]]
    assert list(up["y"]) == [h.train_cost[-1], blow["undone"], blow["cost"]]
    text = f"diverged at iteration {blow['failed']}: cost {blow['cost']:.3g}"
    assert any(a["text"] == text for a in spec["layout"]["annotations"])
    assert len(trace(spec, "train cost")["x"]) == h.iteration[-1]      # the kept steps, as before


def test_a_blowup_to_not_a_number_is_marked_on_the_top_edge():
    h = History([1, 2], [0.69, 0.8], [0.5, 0.5], [10.0, 10.0], [0, 2], [0.69, 0.9], [0.5, 0.5])
    spec = fig_train.cost_figure(h, True, 50, [(2, 0.8), (3, 5.0), (4, math.nan)]).to_plotly_json()
    up = trace(spec, "the blow-up (steps undone)")
    lo, hi = spec["layout"]["yaxis"]["range"]
    assert list(up["x"]) == [2, 3, 4] and up["y"][-1] == pytest.approx(10 ** (hi - 0.03 * (hi - lo)))
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "diverged at iteration 4: the cost is not a finite number" in notes, notes


def test_the_status_line_says_the_learning_rate_a_diverged_run_diverged_with():
    """A new rate that reaches a run after it diverged (the slider moved while it blew up) is not its rate."""
    at = trained(learning_rate=10, iterations=50)
    run = at.session_state["run"]
    assert run.status is Status.DIVERGED and "learning rate 10 ·" in status(at)
    cmd = commands.engine().command(run, lambda c: p.Configure(run.id, c, 7.0, 50, True))
    assert run.wait(lambda s: s.ack >= cmd, 10)
    assert run.state.learning_rate == 7.0 and run.status is Status.DIVERGED     # what reached it
    at.run()
    line = status(at)
    assert "learning rate 10 ·" in line and "learning rate 7" not in line, line
    assert any("with learning rate 10" in e.value for e in at.error)


def test_the_status_line_says_the_learning_rate_a_finished_run_trained_with():
    """A new rate on a run that has nothing left to train (Train at its target) trains nothing with it."""
    at = trained(iterations=20)
    run = at.session_state["run"]
    at.sidebar.select_slider(key="w_lr").set_value(0.1).run()
    at.button(key="b_train").click().run()
    assert at.session_state["run"] is run and run.status is Status.DONE and run.state.iteration == 20
    assert run.state.history.learning_rate == [0.5] * 20
    assert "learning rate 0.5 ·" in status(at), status(at)
    # once it trains with it, it says so
    at.button(key="b_step1").click().run()
    run.wait(lambda s: s.iteration == 21 and not s.status.active, 30)
    at.run()
    assert "learning rate 0.1 ·" in status(at), status(at)


# ------------------------------------------------------------------ 12: a run that stops while a page is drawn


class _StopsWhileDrawn(runs.Run):
    """A run whose first `_limit` state reads give the state it trained in, and every later one its final
    state: the training process publishing the run's end at any moment while the Train page is drawn."""

    @property
    def state(self):
        d = self.__dict__
        d["_reads"] = d.get("_reads", 0) + 1
        return d["_before"] if d["_reads"] <= d["_limit"] else d["_after"]

    @state.setter
    def state(self, value):
        self.__dict__["_after"] = value


def test_a_run_that_stops_while_the_page_is_drawn_gets_its_result_drawn():
    """Wherever the run's end falls while the page is drawn, the page ends showing either the run training
    (a live panel, whose next redraw reruns the page) or the stopped chart with its result; never the stopped
    chart without a result (nothing would redraw it until a revisit: issue #15, item 12)."""
    at = trained(iterations=30)
    run = at.session_state["run"]
    done = run.state
    training = replace(done, version=done.version + 10_000, status=Status.RUNNING)
    run.__class__ = _StopsWhileDrawn
    run.__dict__.update(_before=training, _after=done, _limit=10**9, _reads=0)
    at.run()                                            # count the reads of one page drawn while it trains
    reads = run.__dict__["_reads"]
    assert reads > 2 and not any(h.value == RESULT for h in at.subheader)
    for limit in range(reads + 1):
        run.__dict__.update(_limit=limit, _reads=0)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        live_chart = any("ssnnLiveChart" in m.value for m in at.markdown)
        static_chart = any(k.endswith("cost_chart") for k in charts(at))
        result = any(h.value == RESULT for h in at.subheader)
        assert live_chart != static_chart, limit
        if static_chart:
            assert result and "Iteration 30 / 30** · done" in status(at), (limit, reads)
        else:
            assert "· running" in status(at) and "done" not in status(at), (limit, status(at))


# ------------------------------------------------------------------ 4: Step N, live, and Pause


def test_step_n_trains_live_and_pause_stops_it():
    """The redesign (the training process owns the run) already does this: the click waits at most
    commands.STEP_SECONDS, then the page shows the steps live, with Pause enabled; Pause stops them."""
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(hidden=300, dtype="float64", iterations=100)
    at.run()
    at.number_input(key="w_step_n").set_value(1000).run()
    at.button(key="b_stepn").click().run()
    run = at.session_state["run"]
    assert run.status.active, "Step 1000 ended within the click's wait: nothing was left to show live"
    first = run.state.iteration
    assert re.search(r"Iteration \d+ / 1000\*\* · (running|queued)", status(at)), status(at)
    assert any("ssnnLiveChart" in m.value for m in at.markdown)                    # the live panel
    assert not at.button(key="b_pause").disabled and at.button(key="b_stepn").disabled
    wait_for(lambda: run.state.iteration > first + 5, 60, "the steps")
    at.run()
    shown = int(re.search(r"Iteration (\d+) /", status(at)).group(1))
    assert shown > first                                                           # it moves on, live
    at.button(key="b_pause").click().run()
    assert run.status is Status.PAUSED and 0 < run.state.iteration < 1000
    paused_at = run.state.iteration
    assert f"Iteration {paused_at} / 1000** · paused" in status(at) and not at.button(key="b_stepn").disabled
    time.sleep(1.0)
    at.run()
    assert run.state.iteration == paused_at and run.status is Status.PAUSED        # Pause holds
    assert any(h.value == RESULT for h in at.subheader)                            # and its result is drawn
