"""End to end in Chromium: the Weights page at n1 = 300 (issue #15, items 7 and 8).

Item 7: the tile labels are readable (drawn at >= 10 px, none overlapping another) and on hover over a tile;
the figure is sized to its tiles (no empty bands). Item 8: the replay's last frame is the model's final
iteration, and its play button plays the run to that frame.
"""

from __future__ import annotations

import re
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
    nav_to,
    screenshot,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

N1, ITERATIONS = 300, 100      # 17 snapshots of 784 x 300 weights fit the replay budget: 0, 6, ..., 96, not 100
TRAIN_TIMEOUT_S = 600
STATUS_JS = """() => {
  for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p'))
    if (/Iteration \\d+ \\/ \\d+/.test(el.innerText)) return el.innerText;
  return ""; }"""
CHART = '[data-testid="stMain"] [data-testid="stPlotlyChart"]'
# the tiles (the first chart on the page, or the replay's: the one just above its caption) in page coordinates
TILES_JS = """(which) => {
  const charts = Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
    .filter(g => g._fullData && g._fullData.length === 2 && g._fullData[0].type === 'heatmap');
  const g = which === 'replay' ? charts[charts.length - 1] : charts[0];
  const L = g._fullLayout, t = g._fullData[1], heat = g._fullData[0];
  const k = L.xaxis._length / (heat.z[0].length), yk = L.yaxis._length / heat.z.length;   // px per weight
  const centres = Array.from(g.querySelectorAll('.scatterlayer .point')).map(e => {
    const b = e.getBoundingClientRect(); return b.top + b.height / 2; });
  const texts = Array.from(g.querySelectorAll('.scatterlayer .textpoint')).map((e, i) => [e, i])
    .filter(([e]) => e.textContent).map(([e, i]) => { const b = e.getBoundingClientRect();
      return {text: e.textContent, size: parseFloat(getComputedStyle(e.querySelector('text')).fontSize),
              x0: b.left, x1: b.right, y0: b.top, y1: b.bottom,
              tileTop: centres[i] - 14 * yk, aboveBottom: centres[i] - 14 * yk - %VGAP% * yk}; });
  const rows = heat.z.length, cols = heat.z[0].length;
  return {n: t.customdata.length, texts, ids: Array.from(t.customdata),
          plot: {w: L._size.w, h: L._size.h, l: L._size.l, t: L._size.t, b: L._size.b, r: L._size.r,
                 height: L.height, width: L.width,
                 xlen: L.xaxis._length, ylen: L.yaxis._length},
          cells: {rows, cols}, zmax: heat.zmax, hasCustom: !!heat.customdata};
}""".replace("%VGAP%", str(fig_weights.VGAP))


def status_text(page) -> str:
    return " ".join(page.evaluate(STATUS_JS).split())


def train(page, app_url: str) -> None:
    goto(page, f"{app_url}/Train?n1={N1}&iters={ITERATIONS}")
    page.get_by_role("button", name="▶ Train", exact=True).click()
    done, deadline = f"Iteration {ITERATIONS} / {ITERATIONS} · done", time.monotonic() + TRAIN_TIMEOUT_S
    while done not in (text := status_text(page)):
        assert "diverged" not in text, text
        assert time.monotonic() < deadline, f"training never reached {done!r}; last: {text!r}"
        time.sleep(0.2)
    wait_ready(page)
    assert_no_exception(page)


def plotted(page) -> None:
    page.wait_for_function("""() => { const gs = Array.from(document.querySelectorAll(
      '[data-testid="stMain"] .js-plotly-plot')); return gs.length >= 2 && gs.every(g => g._fullLayout); }""",
                           timeout=TIMEOUT_MS)


def overlapping(texts: list[dict]) -> list[tuple[str, str]]:
    """Pairs of labels whose drawn boxes intersect (1 px of tolerance)."""
    out = []
    boxes = sorted(texts, key=lambda b: (round(b["y0"]), b["x0"]))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:i + 40]:
            if a["x0"] < b["x1"] - 1 and b["x0"] < a["x1"] - 1 and a["y0"] < b["y1"] - 1 and b["y0"] < a["y1"] - 1:
                out.append((a["text"], b["text"]))
    return out


def hover_text(page, slot: int, dx: float, dy: float) -> str:
    """What Plotly shows on hover at (dx, dy) px from the centre of the tile in position `slot`."""
    point = page.locator(f"{CHART} .scatterlayer .point").nth(slot)    # trace 1's marker over that tile
    point.evaluate("e => e.scrollIntoView({block: 'center', inline: 'center'})")
    box = point.bounding_box()
    labels = page.locator(f"{CHART} .hoverlayer .hovertext")
    page.mouse.move(2, 2)                                               # off the chart: no stale hover label
    expect(labels).to_have_count(0, timeout=EXPECT_MS)
    page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
    labels.first.wait_for(state="attached", timeout=EXPECT_MS)
    return " ".join((labels.first.text_content() or "").split())


def test_weights_at_300_neurons_labels_size_and_replay(page, app_url):
    train(page, app_url)
    nav_to(page, "Weights", "What the hidden neurons look for")
    plotted(page)
    page.locator(CHART).first.scroll_into_view_if_needed()
    screenshot(page, "weights-300-tiles", full_page=False)
    info = page.evaluate(TILES_JS, "tiles")
    assert info["n"] == N1 and sorted(info["ids"]) == list(range(N1))
    assert not info["hasCustom"], "no per-pixel hover data for 300 neurons: it is what made every redraw slow"

    # labels: drawn at 10 px or more and not on top of each other ...
    texts = info["texts"]
    assert len(texts) >= 0.9 * N1, f"only {len(texts)} of {N1} labels drawn"
    assert min(t["size"] for t in texts) >= 10, sorted({t["size"] for t in texts})
    assert all(re.fullmatch(r"[+-]\d+\.\d+(e[+-]\d+)?", t["text"]) for t in texts), texts[:5]
    assert not overlapping(texts), overlapping(texts)[:5]
    # each label sits above its own tile (its box may reach into it by a descender), nearer to it than to the row
    # of tiles above
    far = [t for t in texts if not (t["y1"] <= t["tileTop"] + 3 and t["y0"] >= t["aboveBottom"] - 1
                                    and t["tileTop"] - t["y1"] < t["y0"] - t["aboveBottom"])]
    assert not far, "; ".join(" ".join(f"{k}={v if isinstance(v, str) else round(v, 1)}" for k, v in t.items())
                              for t in far[:3])
    # ... and on hover anywhere over a tile: which neuron, its W2, what it votes for
    for slot in (0, 157, N1 - 1):
        for dx, dy in ((0, 0), (18, 18), (-18, -16)):          # the centre, and near two corners of the tile
            said = hover_text(page, slot, dx, dy)
            assert f"neuron {info['ids'][slot]}" in said and "W2 = " in said and "votes for" in said, said
    screenshot(page, "weights-300-hover", full_page=False)

    # sized to its tiles: the plot area has the tiles' shape, no empty band above, below or beside them
    p, c = info["plot"], info["cells"]
    assert abs(p["xlen"] / p["ylen"] - c["cols"] / c["rows"]) < 0.02 * c["cols"] / c["rows"], (p, c)
    assert abs(p["ylen"] - p["h"]) <= 2 and abs(p["xlen"] - p["w"]) <= 2, p

    # the replay: its slider ends at the final iteration, and Play plays up to it
    main = page.locator(MAIN)
    expect(main).to_contain_text(f"Iteration {ITERATIONS}: the model as it is now.", timeout=EXPECT_MS)
    slider = main.locator('.st-key-w_replay [data-testid="stSlider"]')
    expect(slider.locator('input[type="range"]')).to_have_attribute("aria-valuetext", str(ITERATIONS))
    expect(slider.locator('[data-testid="stSliderTickBar"] p').last).to_have_text(str(ITERATIONS))  # its last frame
    play = main.get_by_role("button", name=re.compile("Play$"))
    play.scroll_into_view_if_needed()
    click_and_wait(page, play)
    seen, deadline = set(), time.monotonic() + 300
    while True:
        caption = " ".join(main.get_by_text(re.compile(r"^Iteration \d+(:| of)")).first.inner_text().split())
        seen.add(caption)
        if caption == f"Iteration {ITERATIONS}: the model as it is now." and len(seen) > 2:
            break
        assert time.monotonic() < deadline, f"the replay did not play to its end: {sorted(seen)}"
        time.sleep(0.1)
    assert f"Iteration 0 of {ITERATIONS}." in seen, sorted(seen)
    expect(main.get_by_role("button", name=re.compile("Play$"))).to_be_visible(timeout=EXPECT_MS)   # stopped
    replay = page.evaluate(TILES_JS, "replay")
    assert replay["n"] == fig_weights.MANY, replay["n"]        # the first 40 tiles: light to play, large to see
    wait_ready(page)
    screenshot(page, "weights-300-replay-end", full_page=False)
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors
