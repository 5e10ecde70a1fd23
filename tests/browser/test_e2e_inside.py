"""End to end in Chromium: the "inside the network" pages (Landscape, Hidden space, Flip it, Knock out) and
every number explained on Mistakes. Each view draws, reacts to its control and shows no exception.

The model is trained on the Train page first (identical settings train once per server, so later tests
get it at once) and the pages are reached through the sidebar, in the same browser session.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import EXPECT_MS, MAIN, TIMEOUT_MS, assert_no_exception, click_and_wait, nav_to, screenshot
from .test_e2e_pages import app_navigation_in_force, main_text, plotly_ready, radio, train_small  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

QUERY, ITERATIONS = "iters=60&n1=12", 60
CHART = f'{MAIN} [data-testid="stPlotlyChart"] .js-plotly-plot'


def open_trained(page, app_url, name: str, heading: str, charts: int = 1) -> None:
    """Train the small model (at once when the server has it), then open page `name` through the sidebar."""
    train_small(page, app_url, QUERY, ITERATIONS)
    nav_to(page, name, heading)
    plotly_ready(page, charts)


def chart(page, k: int, script: str):
    """Evaluate `script` (a function of the k-th Plotly chart in the main area, `g`) in the page."""
    return page.evaluate(f"(k) => {{ const g = document.querySelectorAll('{CHART}')[k]; "
                         f"return ({script})(g); }}", k)


def test_landscape_line_and_slice(page, app_url):
    open_trained(page, app_url, "Landscape", "The cost landscape: what training moved through", 2)
    line = chart(page, 0, "g => ({x: Array.from(g._fullData[0].x), n: g._fullData[1].x.length})")
    assert line["x"][0] == -0.5 and line["x"][-1] == 1.5 and line["n"] >= 2, line
    slice_ = chart(page, 1, "g => ({type: g._fullData[0].type, n: g._fullData[0].x.length, "
                            "title: g._fullLayout.xaxis.title.text})")
    assert slice_ == {"type": "contour", "n": 25, "title": "random direction 1 (seed 0)"}, slice_
    expect(page.locator(MAIN)).to_contain_text("What a slice can and cannot show", timeout=EXPECT_MS)
    screenshot(page, "landscape")
    click_and_wait(page, radio(page, "Directions", "the training path's own directions"))
    page.wait_for_function(f"""() => {{ const g = document.querySelectorAll('{CHART}')[1];
        return g && /path direction 1/.test(g._fullLayout.xaxis.title.text); }}""", timeout=TIMEOUT_MS)
    assert_no_exception(page)
    screenshot(page, "landscape-path")
    assert not page.js_errors, page.js_errors


def test_hidden_space_replay_and_click(page, app_url):
    open_trained(page, app_url, "Hidden space", "Where each digit sits for the network")
    info = chart(page, 0, "g => ({frames: g._transitionData._frames.length, n: g._fullData[0].x.length + "
                          "g._fullData[1].x.length, slider: g._fullLayout.sliders[0].active})")
    assert info["frames"] >= 2 and info["n"] == 2115, info
    screenshot(page, "hidden-space")
    # play replays training from the first frame: the slider moves and the digits start bunched near 0
    last = info["slider"]
    spread = "g => Math.max(...Array.from(g._fullData[0].x).map(Math.abs))"
    final = chart(page, 0, spread)
    page.locator(f"{MAIN} .updatemenu-button", has_text="play").first.click()
    page.wait_for_function(f"""(last) => {{ const g = document.querySelectorAll('{CHART}')[0];
        return g._fullLayout.sliders[0].active < last; }}""", arg=last, timeout=TIMEOUT_MS)
    early = chart(page, 0, spread)
    assert early < final, (early, final)
    page.wait_for_function(f"""(last) => {{ const g = document.querySelectorAll('{CHART}')[0];
        return g._fullLayout.sliders[0].active === last && !g._transitionData._animationRaf; }}""", arg=last,
                           timeout=TIMEOUT_MS)
    page.wait_for_timeout(800)
    # a click on a digit (the one furthest left: no other dot lies on it) opens it on the Mistakes page
    page.locator(CHART).first.scroll_into_view_if_needed()
    pos = chart(page, 0, """g => { const t = g._fullData[0], L = g._fullLayout, r = g.getBoundingClientRect();
        const xs = Array.from(t.x), k = xs.indexOf(Math.min(...xs));
        return {x: r.left + L._size.l + L.xaxis.l2p(t.x[k]), y: r.top + L._size.t + L.yaxis.l2p(t.y[k]),
                index: t.customdata[k][0]}; }""")
    page.mouse.click(pos["x"], pos["y"])
    page.wait_for_url(re.compile(r"/Mistakes(\?|$)"), timeout=TIMEOUT_MS)
    box = page.locator(f'{MAIN} input[aria-label="Test image"]')
    expect(box).to_have_value(re.compile(r"· picked$"), timeout=EXPECT_MS)
    picked = int(re.search(r"#(\d+)", box.input_value()).group(1))
    expect(page.locator(MAIN)).to_contain_text(f"Test image #{picked} is a", timeout=EXPECT_MS)
    print(f"clicked test #{int(pos['index'])}, Mistakes opened #{picked}")
    assert picked == int(pos["index"])
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors


def test_flip_it_finds_a_change(page, app_url):
    open_trained(page, app_url, "Flip it", "How fragile is the answer? Flip it", 2)
    titles = chart(page, 0, "g => g._fullLayout.annotations.map(a => a.text)")
    said = [re.search(r"says (\d)", t).group(1) for t in (titles[0], titles[2])]
    assert said[0] != said[1], titles
    expect(page.locator(MAIN)).to_contain_text("adversarial examples", timeout=EXPECT_MS)
    screenshot(page, "flip-it")
    box = page.locator(f'{MAIN} input[aria-label^="Test image #"]')
    box.fill("7")
    box.press("Enter")
    expect(page.locator(MAIN)).to_contain_text("Test image #7 is a", timeout=EXPECT_MS)
    plotly_ready(page, 2)
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors


def test_knock_out_and_restore(page, app_url):
    open_trained(page, app_url, "Knock out", "Which neurons matter: knock them out", 2)
    def mistakes():
        return page.locator(f'{MAIN} [data-testid="stMetric"]', has_text="mistakes").locator(
            '[data-testid="stMetricValue"]').inner_text()
    before = mistakes()
    click_and_wait(page, page.get_by_role("button", name="Off: all but the most important"))
    expect(page.locator(MAIN)).to_contain_text("test digits became wrong", timeout=EXPECT_MS)
    after = mistakes()
    assert after != before, (before, after)
    screenshot(page, "knock-out")
    click_and_wait(page, page.get_by_role("button", name="Restore the model"))
    expect(page.locator(f'{MAIN} [data-testid="stMetric"]', has_text="mistakes")).to_contain_text(before,
                                                                                                  timeout=EXPECT_MS)
    bars = chart(page, 1, "g => g._fullData[0].x.length")
    assert bars == 12, bars
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors


def test_every_number_explained_on_mistakes(page, app_url):
    train_small(page, app_url, QUERY, ITERATIONS)
    nav_to(page, "Mistakes", "The digits it gets wrong, and why")
    expect(page.locator(MAIN)).to_contain_text("Every number, worked out", timeout=EXPECT_MS)
    katex = page.locator(f"{MAIN} .katex")
    expect(katex.first).to_be_visible(timeout=EXPECT_MS)
    assert katex.count() >= 5
    text = main_text(page)
    assert "relu" in text and "other terms" in text or "relu" in text, text[:300]
    page.get_by_text("Every number, worked out").scroll_into_view_if_needed()
    screenshot(page, "mistakes-every-number", full_page=False)
    # a gallery digit's "Why?" opens it in the why-panel (not only the dropdown does)
    second = page.locator(f"{MAIN} [data-testid=\"stImageCaption\"]").nth(1).inner_text()
    index = re.search(r"#(\d+)", second).group(1)
    click_and_wait(page, page.get_by_role("button", name="Why?").nth(1))
    expect(page.locator(f'{MAIN} input[aria-label="Test image"]')).to_have_value(re.compile(rf"#{index}\b"),
                                                                                 timeout=EXPECT_MS)
    expect(page.locator(MAIN)).to_contain_text(f"Test image #{index} is a", timeout=EXPECT_MS)
    # ... and the page scrolls down to the panel, also from the top of the page
    page.locator(MAIN).evaluate("m => m.scrollTo(0, 0)")
    expect(page.locator(MAIN).get_by_role("heading", name="Why?")).not_to_be_in_viewport(timeout=EXPECT_MS)
    click_and_wait(page, page.get_by_role("button", name="Why?").first)
    expect(page.locator(MAIN).get_by_role("heading", name="Why?")).to_be_in_viewport(timeout=EXPECT_MS)
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors
