"""On a 390 x 844 phone in Chromium: Train, Weights and Mistakes are usable (issue #15, item 11).

What went wrong there: the settings were hidden behind the sidebar's "»" with no word of it; Plotly's toolbar
covered legends, the confusion matrix and titles; the tiles of Weights were a thin band in a tall blank chart;
Train's six buttons stacked six deep. The browser reports its width (ssnn_app.viewport), and the pages lay out
for it. The phone here is a phone to Streamlit too (a mobile user agent: the sidebar closes after a page is
chosen, as on a real one).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from ssnn_app import fig_weights

from .conftest import (
    EXPECT_MS,
    MAIN,
    TIMEOUT_MS,
    assert_no_exception,
    click_and_wait,
    goto,
    screenshot,
    session_page,
    wait_ready,
)
from .test_e2e_weights_items import TILES_JS, overlapping, status_text

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/150.0.0.0 Mobile Safari/537.36"}
N1, ITERATIONS = 10, 200
TRAIN_TIMEOUT_S = 300

# Every Plotly chart in the main column: its box, its plot area, its legend, and whether its toolbar shows.
CHARTS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
  .filter(g => g._fullLayout).map(g => {
    const box = g.getBoundingClientRect(), L = g._fullLayout, legend = g.querySelector('.legend');
    const mb = g.querySelector('.modebar-container');
    const lb = legend && L.showlegend !== false ? legend.getBoundingClientRect() : null;
    return {top: box.top, left: box.left, right: box.right, width: box.width, height: box.height,
            plotTop: box.top + L._size.t, title: (L.title && L.title.text) || '',
            legend: lb && lb.height ? {top: lb.top, bottom: lb.bottom, left: lb.left, right: lb.right} : null,
            toolbar: mb ? {opacity: getComputedStyle(mb).opacity, events: getComputedStyle(mb).pointerEvents} : null};
  })"""
OVERFLOW_JS = """() => { const m = document.querySelector('[data-testid="stMain"]');
  return {scroll: m.scrollWidth, client: m.clientWidth, vw: window.innerWidth}; }"""
IMAGE_TOPS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"]'))
  .map(e => Math.round(e.getBoundingClientRect().top))"""
SIDEBAR_OPEN_JS = """() => document.querySelector('[data-testid="stSidebar"]').getBoundingClientRect().right > 5"""


@pytest.fixture
def phone(browser, app_url):
    page = session_page(browser, **PHONE)
    yield page
    page.context.close()


def settle(page) -> None:
    """The browser's width report makes one more rerun when a phone session starts: wait for it too."""
    wait_ready(page)
    time.sleep(1.0)
    wait_ready(page)


def most_in_a_row(page) -> int:
    """The largest number of images of a gallery side by side."""
    tops = page.evaluate(IMAGE_TOPS_JS)
    return max((tops.count(t) for t in tops), default=0)


def check_charts(page, where: str) -> list[dict]:
    """Every chart fits the screen, shows no toolbar until touched, and keeps its legend off its plot."""
    page.mouse.move(0, 0)
    charts = page.evaluate(CHARTS_JS)
    assert charts, f"no chart on {where}"
    for c in charts:
        assert c["left"] >= -1 and c["right"] <= PHONE["viewport"]["width"] + 1, (where, c)
        if c["toolbar"] is not None:
            assert c["toolbar"] == {"opacity": "0", "events": "none"}, (where, c)
        if c["legend"] is not None:
            assert c["legend"]["bottom"] <= c["plotTop"] + 1, f"{where}: a legend over its plot: {c}"
    o = page.evaluate(OVERFLOW_JS)
    assert o["scroll"] <= o["client"] + 1, f"{where} is wider than the phone: {o}"
    return charts


def open_page(page, name: str, heading: str) -> None:
    """Through the sidebar, as a phone user does: open it with », tap the page; it closes by itself."""
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    link = page.locator('[data-testid="stSidebarNav"] a').filter(has=page.get_by_text(name, exact=True))
    click_and_wait(page, link)
    settle(page)
    expect(page.locator(MAIN).get_by_role("heading", name=heading)).to_be_visible(timeout=EXPECT_MS)
    page.wait_for_function(f"() => !({SIDEBAR_OPEN_JS})()", timeout=EXPECT_MS)
    assert_no_exception(page)


def test_train_weights_and_mistakes_on_a_phone(phone, app_url):
    page, main = phone, phone.locator(MAIN)
    goto(page, f"{app_url}/Train?n1={N1}&iters={ITERATIONS}")          # (waits for the width report's rerun)

    assert "ssnn_narrow_px=390" in page.evaluate("() => document.cookie")      # a reload starts from it
    # Train: where the settings are, said at the top; the sidebar closed, and » opens it on them
    hint = main.get_by_text("are in the side panel: tap »", exact=False)
    expect(hint).to_be_visible(timeout=EXPECT_MS)
    assert not page.evaluate(SIDEBAR_OPEN_JS)
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    expect(page.get_by_text("Hidden neurons n1", exact=True)).to_be_in_viewport(timeout=EXPECT_MS)
    page.locator('[data-testid="stSidebarCollapseButton"] button').click()
    page.wait_for_function(f"() => !({SIDEBAR_OPEN_JS})()", timeout=EXPECT_MS)

    # the six controls in at most two rows, all on screen
    names = ["▶ Train", "❚❚ Pause", "Step 1", "Step 10", "↺ Reset"]
    boxes = [main.get_by_role("button", name=n, exact=True).bounding_box() for n in names]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes), boxes
    assert len({round(b["y"]) for b in boxes}) <= 2, boxes

    main.get_by_role("button", name="▶ Train", exact=True).click()
    done, deadline = f"Iteration {ITERATIONS} / {ITERATIONS} · done", time.monotonic() + TRAIN_TIMEOUT_S
    while done not in (text := status_text(page)):
        assert time.monotonic() < deadline, f"training never reached {done!r}; last: {text!r}"
        time.sleep(0.2)
    settle(page)
    expect(main.get_by_role("heading", name="Result on the test set")).to_be_visible(timeout=EXPECT_MS)
    charts = check_charts(page, "Train")
    assert len(charts) >= 2 and charts[0]["legend"] is not None, charts      # the cost chart and the confusion matrix
    screenshot(page, "phone-train")

    # Weights: the tiles fill the page's width, the figure is as tall as they are, the colour bar below them
    open_page(page, "Weights", "What the hidden neurons look for")
    page.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
      .some(g => g._fullData && g._fullData[0].type === 'heatmap')""", timeout=TIMEOUT_MS)
    info = page.evaluate(TILES_JS, "tiles")
    p, cells = info["plot"], info["cells"]
    tile_cols = (cells["cols"] + fig_weights.HGAP) / (fig_weights.TILE + fig_weights.HGAP)
    assert info["n"] == N1 and tile_cols == fig_weights.narrow_cols(N1, 390 - 32), (info["n"], cells)
    assert p["width"] <= 390 - 32 + 1 and p["xlen"] >= 0.95 * p["width"], p        # tiles across the whole width
    assert abs(p["ylen"] - p["h"]) <= 2 and p["height"] - p["ylen"] <= fig_weights.COLOURBAR_BELOW_PX + 10, p
    tile_px = p["xlen"] / cells["cols"] * fig_weights.TILE
    assert tile_px >= fig_weights.PHONE_TILE_PX - 2, tile_px
    texts = info["texts"]
    assert len(texts) == N1 and min(t["size"] for t in texts) >= 10, texts
    assert not overlapping(texts), overlapping(texts)
    chart = page.locator(f"{MAIN} .js-plotly-plot").first.bounding_box()
    assert all(t["x0"] >= chart["x"] - 1 and t["x1"] <= chart["x"] + chart["width"] + 1 for t in texts), texts
    bar = page.locator(f"{MAIN} .js-plotly-plot").first.locator(".colorbar").bounding_box()
    assert bar["y"] >= chart["y"] + p["t"] + p["ylen"] - 2 and bar["width"] > 0.8 * p["xlen"], (bar, p)
    check_charts(page, "Weights")
    assert most_in_a_row(page) >= 3       # the test digits that excite the neuron: three to a row, not one each
    screenshot(page, "phone-weights")

    # Mistakes: the galleries three to a row; the why-panel's figures on screen, not covered
    open_page(page, "Mistakes", "The digits it gets wrong, and why")
    assert most_in_a_row(page) >= 3, page.evaluate(IMAGE_TOPS_JS)
    expect(main.get_by_role("heading", name="Why?")).to_be_attached(timeout=EXPECT_MS)
    check_charts(page, "Mistakes")
    screenshot(page, "phone-mistakes")
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors
