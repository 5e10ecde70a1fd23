"""The Weights page, issue #15: light tiles sized to themselves at n1 = 300 (item 7), a replay that ends at the
final state with one colour scale and a play button (item 8), one precision rule for W2 (item 17).

Figures are checked on synthetic parameters; the page through AppTest on the synthetic data set. What the
browser shows at n1 = 300 (label sizes, hover, the replay playing) is in tests/browser/test_e2e_weights_items.py,
the seconds per interaction in bench/weights.py.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.io as pio
import pytest

from ssnn_app import fig_weights, words
from tests.apptools import WEIGHTS, array, charts, trained

pytestmark = pytest.mark.usefixtures("app_synthetic")


def synthetic(n1: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.normal(scale=0.02, size=(n1, 784)).astype(np.float32),
            rng.normal(scale=0.1, size=(1, n1)).astype(np.float32))


# ------------------------------------------------------------------ item 17: one precision rule


@pytest.mark.parametrize("x,shown", [(0.0053, "+0.0053"), (0.00531, "+0.0053"), (-0.053, "-0.053"), (0.53, "+0.53"),
                                     (-3.0, "-3.00"), (12.4, "+12.40"), (0.0996, "+0.10"), (0.00996, "+0.010"),
                                     (0.0, "+0.00"), (-0.0, "+0.00"), (4.2e-7, "+4.2e-07"),
                                     (np.float32(-0.47), "-0.47")])
def test_weight_rule(x, shown):
    assert words.weight(x) == shown


def test_w2_is_one_text_on_the_tile_in_the_select_box_and_in_the_metric():
    at = trained(WEIGHTS, iterations=30)
    W2 = at.session_state["run"].state.params["W2"][0]
    tiles = charts(at)
    labels = next(f for f in tiles.values() if f["data"][0]["type"] == "heatmap")["data"][1]
    on_tile = dict(zip(array(labels["customdata"]).tolist(), labels["text"]))
    options = at.selectbox(key="w_neuron").options
    for j, w in enumerate(W2):
        assert on_tile[j].split(" · ")[1].split(" ")[0] == words.weight(w), (j, on_tile[j])
        assert re.match(rf"#{j} · W2 {re.escape(words.weight(w))}( |$)", options[j]), options[j]
    j = int(np.argmin(np.abs(W2)))                        # the neuron whose W2 was shown three ways (+0.01, ...)
    at.selectbox(key="w_neuron").set_value(j).run()
    assert next(m.value for m in at.metric if m.label == "output weight W2") == words.weight(W2[j])
    hover = labels["hovertemplate"][list(array(labels["customdata"])).index(j)]
    assert f"W2 = {words.weight(W2[j])}:" in hover


# ------------------------------------------------------------------ item 7: light tiles, sized to them


def test_tiles_of_300_neurons_are_light_readable_and_sized_to_their_tiles():
    W1, W2 = synthetic(300)
    fig = fig_weights.tiles_figure(W1, W2, fig_weights.neuron_order(W2, "abs"), width=fig_weights.FIG_WIDTH)
    heat, labels = fig.data
    assert heat.customdata is None and heat.hoverinfo == "skip"            # no per-pixel hover data ...
    size = len(pio.to_json(fig, validate=False))
    assert size < 2.2e6, f"{size / 1e6:.2f} MB"                            # ... was 4.5 MB per redraw
    assert labels.textfont.size >= fig_weights.LABEL_MIN_PX and "text" in labels.mode
    drawn = [t for t in labels.text if t]
    assert len(drawn) >= 290 and all(not t.startswith("#") for t in drawn)   # W2 alone: it fits above the tile
    assert all("click to inspect" in h and "W2 = " in h for h in labels.hovertemplate)
    k = fig_weights.px_per_cell(300, width=fig_weights.FIG_WIDTH)
    assert all(fig_weights.text_em(t) * labels.textfont.size <= fig_weights.TILE * k for t in drawn)
    H, W = heat.z.shape
    m = fig.layout.margin
    assert fig.layout.width == fig_weights.FIG_WIDTH
    plot_w, plot_h = fig.layout.width - m.l - m.r, fig.layout.height - m.t - m.b
    assert plot_w / plot_h == pytest.approx(W / H, rel=0.01)              # no empty band above, below or beside


def test_one_colour_scale_is_not_set_by_a_few_extreme_weights():
    W1, W2 = synthetic(10)
    W1[3, 5] = 1.0                                                           # one weight 50 times the others
    heat = fig_weights.tiles_figure(W1, W2).data[0]
    assert heat.zmax == -heat.zmin == pytest.approx(fig_weights.colour_limit(W1)) and heat.zmax < 0.1
    assert fig_weights.tiles_figure(W1, W2, limit=0.5).data[0].zmax == 0.5


def test_few_neurons_keep_their_per_pixel_hover_and_full_labels():
    W1, W2 = synthetic(12)
    heat, labels = fig_weights.tiles_figure(W1, W2).data
    assert np.asarray(heat.customdata).shape == heat.z.shape + (3,)
    assert labels.text[0] == f"#0 · {words.weight(W2[0, 0])}"


def test_the_page_at_300_neurons():
    at = trained(WEIGHTS, hidden=300, iterations=12)
    tiles = charts(at)
    main = next(f for f in tiles.values() if f["data"][0]["type"] == "heatmap")
    assert "customdata" not in main["data"][0] and len(array(main["data"][1]["customdata"])) == 300
    assert main["layout"]["width"] == fig_weights.FIG_WIDTH
    at.radio(key="w_tiles_sort").set_value("abs").run()
    order = array(next(f for f in charts(at).values() if f["data"][0]["type"] == "heatmap")["data"][1]["customdata"])
    np.testing.assert_array_equal(array(replay(at)["data"][1]["customdata"]), order[:fig_weights.MANY])
    assert "first 40 of the 300 tiles" in " ".join(c.value for c in at.caption)
    at.toggle(key="w_tiles_per_neuron").set_value(True).run()
    assert not at.exception


# ------------------------------------------------------------------ item 8: the replay


def replay(at) -> dict:
    return charts(at)[next(k for k in charts(at) if "tiles_replay" in k)]


def test_replay_ends_at_the_final_iteration_and_plays_to_it():
    at = trained(WEIGHTS, iterations=125)           # a snapshot every 3 iterations: 0, 3, ..., 123, then 125
    slider = at.select_slider(key="w_replay")
    assert [int(o) for o in slider.options][-2:] == [123, 125] and int(slider.value) == 125
    assert any("Iteration 125: the model as it is now." in c.value for c in at.caption)
    at.button(key="b_w_replay_play").click().run()  # at the end: plays from the start
    assert at.session_state["w_replay_playing"] and int(at.select_slider(key="w_replay").value) == 0
    seen = [0]
    for _ in range(40):                              # each run is one tick of the playing fragment
        at.run()
        seen.append(int(at.select_slider(key="w_replay").value))
        if not at.session_state["w_replay_playing"]:
            break
    assert seen[-1] == 125 and not at.session_state["w_replay_playing"] and seen == sorted(seen), seen
    assert len(seen) <= 30                           # a play shows at most ~REPLAY_STEPS frames
    assert not at.exception


def test_replay_frames_share_one_colour_scale_and_the_tiles_order():
    at = trained(WEIGHTS, iterations=60)
    at.radio(key="w_tiles_sort").set_value("abs").run()
    order = array(next(f for f in charts(at).values() if f["data"][0]["type"] == "heatmap")["data"][1]["customdata"])
    zmax = {}
    for it in (0, 60):
        at.select_slider(key="w_replay").set_value(str(it) if isinstance(
            at.select_slider(key="w_replay").options[0], str) else it).run()
        fig = replay(at)
        zmax[it] = fig["data"][0]["zmax"]
        np.testing.assert_array_equal(array(fig["data"][1]["customdata"]), order)   # tiles stay in their places
    assert zmax[0] == zmax[60]                       # the same colour means the same weight in every frame
    at.radio(key="w_replay_scale").set_value("frame").run()
    at.select_slider(key="w_replay").set_value(at.select_slider(key="w_replay").options[0]).run()
    assert replay(at)["data"][0]["zmax"] < zmax[0]   # each frame its own: the random start is much weaker
    assert not at.exception
