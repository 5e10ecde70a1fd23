"""A 390 px phone (issue #15, item 11): the layouts chosen on the server for a narrow screen.

The browser tells the session its width (ssnn_app.viewport); here a test sets what it would have said.
What Chromium draws at 390 px is in tests/browser/test_e2e_phone.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssnn_app import fig_weights, viewport
from tests.apptools import TRAIN, WEIGHTS, app, array, charts, trained
from tests.test_weights_items import synthetic

PHONE_PX = 390
CONTENT_PX = PHONE_PX - viewport.PAD_PX


def tiles(at) -> dict:
    return next(f for f in charts(at).values() if f["data"][0]["type"] == "heatmap")


def label_room(fig: dict, n: int, cols: int) -> float:
    """The px a tile (and its label) gets across, from the figure's own layout."""
    width = fig["layout"]["width"] - fig["layout"]["margin"]["l"] - fig["layout"]["margin"]["r"]
    return width / (cols * (fig_weights.TILE + fig_weights.HGAP) - fig_weights.HGAP) * fig_weights.TILE


@pytest.mark.parametrize("n,cols", [(1, 1), (3, 3), (10, 5), (40, 5), (41, 7), (300, 7)])
def test_a_phone_gets_fewer_wider_tiles(n, cols):
    assert fig_weights.narrow_cols(n, CONTENT_PX) == cols
    rows, c = fig_weights.grid_shape(n, cols)
    assert c == cols and rows * cols >= n


@pytest.mark.parametrize("n", [3, 10, 40, 300])
def test_phone_tiles_fill_the_width_with_the_colour_bar_below_and_readable_labels(n):
    W1, W2 = synthetic(n)
    cols = fig_weights.narrow_cols(n, CONTENT_PX)
    fig = fig_weights.tiles_figure(W1, W2, width=CONTENT_PX, cols=cols, colourbar_below=True).to_plotly_json()
    layout, heat, labels = fig["layout"], fig["data"][0], fig["data"][1]
    assert layout["width"] == CONTENT_PX and layout["margin"]["r"] == 0
    assert heat["colorbar"]["orientation"] == "h" and layout["margin"]["b"] == fig_weights.COLOURBAR_BELOW_PX
    k = fig_weights.px_per_cell(n, cols, CONTENT_PX, colourbar_below=True)
    rows = -(-n // cols)
    tiles_px = rows * (fig_weights.TILE + fig_weights.VGAP) * k
    assert abs(layout["height"] - layout["margin"]["t"] - layout["margin"]["b"] - tiles_px) <= 1   # no blank band
    room = label_room(fig, n, cols)
    assert room >= (fig_weights.PHONE_TILE_PX if n <= fig_weights.MANY else 44) - 1, room
    size = labels["textfont"]["size"]
    assert size >= fig_weights.LABEL_MIN_PX
    shown = [t for t in labels["text"] if t]
    assert len(shown) == n, [t for t in labels["text"] if not t][:3]              # every label fits its tile
    assert max(fig_weights.text_em(t) for t in shown) * size <= room


def test_a_label_too_long_for_its_tile_falls_back_to_w2_alone():
    W1, W2 = synthetic(10)
    dead = np.zeros(10, bool)
    dead[3] = True                                                                     # '#3 · -0.12 ✕dead'
    fig = fig_weights.tiles_figure(W1, W2, dead=dead, width=200, cols=5, colourbar_below=True).to_plotly_json()
    labels = dict(zip(array(fig["data"][1]["customdata"]).tolist(), fig["data"][1]["text"]))
    assert "dead" not in labels[3] and labels[3].startswith(("+", "-")), labels[3]


def test_a_wide_screen_keeps_its_layout():
    W1, W2 = synthetic(10)
    wide = fig_weights.tiles_figure(W1, W2, width=fig_weights.FIG_WIDTH).to_plotly_json()
    assert wide["layout"]["margin"]["r"] == fig_weights.COLOURBAR_PX
    assert wide["data"][0]["colorbar"].get("orientation") in (None, "v")
    assert all(t.startswith("#") for t in wide["data"][1]["text"])


@pytest.mark.usefixtures("app_synthetic")
def test_weights_page_lays_its_tiles_out_for_the_phone_it_is_told_of():
    at = trained(WEIGHTS, iterations=20)
    assert tiles(at)["layout"]["width"] == fig_weights.FIG_WIDTH             # not told: the desktop layout
    at.session_state["_viewport_px"] = PHONE_PX
    at.run()
    fig = tiles(at)
    assert fig["layout"]["width"] == CONTENT_PX and fig["data"][0]["colorbar"]["orientation"] == "h"
    assert not at.exception


@pytest.mark.usefixtures("app_synthetic")
def test_train_says_where_the_settings_are_on_a_phone_only():
    hint = "are in the side panel"
    at = app(TRAIN)
    assert not any(hint in i.value for i in at.info)
    at.session_state["_viewport_px"] = PHONE_PX
    at.run()
    assert any(hint in i.value and "»" in i.value for i in at.info), [i.value for i in at.info]
    at.session_state["_viewport_px"] = 0                                       # turned to landscape, wide
    at.run()
    assert not any(hint in i.value for i in at.info)


def test_narrow_means_below_streamlits_breakpoint():
    import streamlit as st

    for px, narrow in ((0, False), (390, True), (639, True), (640, False), (1400, False)):
        st.session_state["_viewport_px"] = px
        assert viewport.narrow() is narrow
        assert viewport.content_width(900) == (max(200, px - viewport.PAD_PX) if narrow else 900)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_waterfall_title_breaks_at_its_comma_on_a_phone(lang):
    from ssnn_app import fig_mistakes, i18n

    with i18n.use(lang):
        wide = fig_mistakes.waterfall_figure(np.array([0.5, -0.2]), 0.1, 0.4, ("0", "1")).layout.title.text
        narrow = fig_mistakes.waterfall_figure(np.array([0.5, -0.2]), 0.1, 0.4, ("0", "1"), narrow=True)
    assert (lang == "zh") == ("总和" in wide)
    first, second = narrow.layout.title.text.split("<br>")
    assert "<br>" not in wide and "z2 = +0.4" in second and len(first) < len(wide)
    assert narrow.layout.margin.t > 40


@pytest.mark.usefixtures("app_synthetic")
def test_a_new_session_starts_from_the_width_its_browser_reported_last(monkeypatch):
    """The component leaves a cookie; a reload on a phone is laid out for it from its first run."""
    import streamlit as st

    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: {viewport.COOKIE: str(PHONE_PX)}))
    at = app(TRAIN)
    assert at.session_state["_viewport_px"] == PHONE_PX
    assert any("are in the side panel" in i.value for i in at.info)


@pytest.mark.parametrize("raw", ["", "abc", "-5", "640", "99999", "0"])
def test_a_bad_or_wide_cookie_means_the_desktop_layout(monkeypatch, raw):
    import streamlit as st

    monkeypatch.setattr(type(st.context), "cookies", property(lambda self: {viewport.COOKIE: raw}))
    assert viewport._from_cookie() == 0
