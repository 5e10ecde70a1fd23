"""End to end in Chromium: the inspection pages (Weights, Mistakes, Try it), Data, How it works, shared URLs.

A model lives in the browser session, so the tests that need one train a small network on the Train page
and then move to the page under test through the sidebar (a fresh URL load would start a new session).
Identical settings train once per server (classroom sharing), so the later tests get their model at once.
"""

from __future__ import annotations

import math
import os
import re
import time

import numpy as np
import pytest
from playwright.sync_api import expect

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
    wait_rerun_done,
    watch_rerun,
)

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

TRAIN_TIMEOUT_S = 240          # 60 iterations take seconds; a busy shared machine gets a wide margin
ALL_PAGES = ["Home", "Lesson", "Data", "Train", "Weights", "Mistakes", "How it works", "Try it",
             "Landscape", "Hidden space", "Flip it", "Knock out", "Class board"]
STATUS_JS = """() => {
  for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p'))
    if (/Iteration \\d+ \\/ \\d+/.test(el.innerText)) return el.innerText;
  return ""; }"""


# ------------------------------------------------------------------ helpers

@pytest.fixture(scope="module", autouse=True)
def app_navigation_in_force(browser, app_url):
    """Open the root page once first, as most visitors do (a first visit through a deep link on a fresh
    server is tested on its own server at the end)."""
    from bench.load import VIEWPORT

    ctx = browser.new_context(viewport=VIEWPORT)
    try:
        goto(ctx.new_page(), app_url)
    finally:
        ctx.close()


def status_text(page) -> str:
    return " ".join(page.evaluate(STATUS_JS).split())


def train_small(page, app_url: str, query: str, iterations: int) -> None:
    """Open the Train page with `query`, press Train and wait for 'Iteration N / N · done'."""
    goto(page, f"{app_url}/Train?{query}")
    assert_no_exception(page)
    page.get_by_role("button", name="▶ Train", exact=True).click()
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    done = f"Iteration {iterations} / {iterations} · done"
    while done not in (text := status_text(page)):
        assert "diverged" not in text, text
        if time.monotonic() > deadline:
            assert_no_exception(page)
            raise AssertionError(f"training never reached {done!r} in {TRAIN_TIMEOUT_S} s; last: {text!r}")
        time.sleep(0.1)
    wait_ready(page)
    assert_no_exception(page)


def click_settled(page, locator, timeout: float = TIMEOUT_MS) -> None:
    """`click_and_wait`, once the target has stopped moving (images, charts and formulas loading above it
    shift the page; a click computed before such a shift can miss)."""
    locator.scroll_into_view_if_needed(timeout=timeout)
    deadline, last = time.monotonic() + timeout / 1000, None
    while (box := locator.bounding_box()) != last or last is None:
        if time.monotonic() > deadline:
            break
        last = box
        time.sleep(0.3)
    click_and_wait(page, locator, timeout)


def nav_labels(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator('[data-testid="stSidebarNav"] li').all_inner_texts()]


def open_selectbox(page, label: str) -> None:
    """Open the option list of the selectbox `label` in the main area. (With Streamlit 1.67 the first
    click on a selectbox that does not have the focus often only focuses it: click until it opens.)"""
    box = page.locator(f'{MAIN} input[role="combobox"][aria-label="{label}"]')
    deadline = time.monotonic() + EXPECT_MS / 1000
    while box.get_attribute("aria-expanded") != "true":
        if time.monotonic() > deadline:
            raise AssertionError(f"the selectbox {label!r} did not open")
        box.click()
        time.sleep(0.3)


def choose(page, label: str, option: str | re.Pattern) -> str:
    """Pick an option of the selectbox `label` in the main area; returns the chosen option's text."""
    open_selectbox(page, label)
    item = page.locator('[role="option"]').filter(has_text=option).first
    item.wait_for(state="visible", timeout=EXPECT_MS)
    text = item.inner_text().strip()
    click_and_wait(page, item)
    expect(page.locator(f'{MAIN} input[aria-label="{label}"]')).to_have_value(text, timeout=EXPECT_MS)
    return text


def radio(page, label: str, option: str):
    return page.locator('[data-testid="stRadio"]', has_text=label).get_by_text(option, exact=True)


def metric_value(page, label: str) -> str:
    box = page.locator(f'{MAIN} [data-testid="stMetric"]', has_text=label).first
    box.wait_for()
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def expect_metric(page, label: str, value: str | re.Pattern) -> None:
    box = page.locator(f'{MAIN} [data-testid="stMetric"]', has_text=label).first
    expect(box.locator('[data-testid="stMetricValue"]')).to_have_text(value, timeout=EXPECT_MS)


def plotly_ready(page, count: int = 1) -> None:
    """At least `count` Plotly charts in the main area are drawn (their data reached the browser)."""
    page.wait_for_function("""(n) => {
      const gs = document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot');
      return gs.length >= n && Array.from(gs).slice(0, n).every(g => g._fullData && g._fullData.length); }""",
                           arg=count, timeout=TIMEOUT_MS)


def plot_summaries(page) -> list[dict]:
    """Per Plotly chart in the main area: its title and each trace's type."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
      .map(g => ({title: ((g._fullLayout || {}).title || {}).text || '',
                  types: (g._fullData || []).map(t => t.type)}))""")


def main_text(page) -> str:
    return " ".join(page.locator(MAIN).inner_text().split())


def wait_images_loaded(page, at_least: int = 0) -> None:
    """Every <img> in the main area has loaded (and there are at least `at_least`): the layout is final."""
    page.wait_for_function("""(n) => { const imgs = Array.from(document.querySelectorAll('[data-testid="stMain"] img'));
      return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0); }""", arg=at_least,
                           timeout=TIMEOUT_MS)


# ------------------------------------------------------------------ Weights


TILES_JS = """() => {
  const g = document.querySelector('[data-testid="stMain"] [data-testid="stPlotlyChart"] .js-plotly-plot');
  const heat = g._fullData[0], labels = g._fullData[1];
  const neurons = new Set(); let cells = 0;
  heat.z.forEach((row, r) => row.forEach((v, c) => {
    if (v !== null && Number.isFinite(v)) { cells += 1; neurons.add(heat.customdata[r][c][0]); } }));
  const shapes = (g._fullLayout.shapes || []).filter(s => s.line && s.line.color === '#ff9f1c')
    .map(s => ({x0: s.x0, x1: s.x1, y0: s.y0, y1: s.y1}));
  return {heat: heat.type, rows: heat.z.length, cols: heat.z[0].length, cells,
          neurons: Array.from(neurons).sort((a, b) => a - b),
          labels: Array.from(labels.text), ids: Array.from(labels.customdata),
          lx: Array.from(labels.x), ly: Array.from(labels.y),
          selected: shapes};
}"""


def tiles(page) -> dict:
    return page.evaluate(TILES_JS)


def tile_label_position(page, neuron: int) -> dict:
    """Where, in the page, the clickable label above `neuron`'s tile is drawn."""
    return page.evaluate("""(j) => {
      const g = document.querySelector('[data-testid="stMain"] [data-testid="stPlotlyChart"] .js-plotly-plot');
      const t = g._fullData[1], L = g._fullLayout, r = g.getBoundingClientRect();
      const k = Array.from(t.customdata).indexOf(j);
      return {x: r.left + L._size.l + L.xaxis.l2p(t.x[k]), y: r.top + L._size.t + L.yaxis.l2p(t.y[k])}; }""", neuron)


def assert_selected_tile(info: dict, neuron: int) -> None:
    assert len(info["selected"]) == 1, f"expected one highlighted tile, got {info['selected']}"
    box, k = info["selected"][0], info["ids"].index(neuron)
    assert box["x0"] < info["lx"][k] < box["x1"] and box["y0"] < info["ly"][k] < box["y1"], \
        f"the highlight {box} is not around neuron {neuron}'s tile (label at {info['lx'][k]}, {info['ly'][k]})"


def test_weights_tiles_and_one_neuron(page, app_url):
    train_small(page, app_url, "iters=60&n1=12", 60)
    nav_to(page, "Weights", "What the hidden neurons look for")
    plotly_ready(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_contain_text("784→12→1", timeout=EXPECT_MS)

    # 12 tiles: the heatmap holds 12 neurons' 28x28 weights (NaN between tiles) and 12 labels
    info = tiles(page)
    assert info["heat"] == "heatmap"
    assert info["neurons"] == list(range(12)), info["neurons"]
    assert info["cells"] == 12 * 784, f"{info['cells']} non-gap cells in the {info['rows']}x{info['cols']} heatmap"
    assert info["ids"] == list(range(12)) and len(info["labels"]) == 12, info["labels"]
    # W2 with two significant digits, as everywhere on the page (words.weight)
    assert all(re.fullmatch(r"#\d+ · [+-]\d+(\.\d+)?(e[+-]\d+)?( ✕dead)?", t) for t in info["labels"]), info["labels"]
    assert_selected_tile(info, 0)                                  # neuron 0 is selected at first

    # pick neuron 5 in the selectbox: its details follow
    text = choose(page, "Neuron", re.compile(r"^#5 · "))
    w2 = float(re.search(r"W2 ([+-][\d.]+)", text).group(1))
    main = page.locator(MAIN)
    expect(main).to_contain_text("The test digits that excite neuron 5 most", timeout=EXPECT_MS)
    page.wait_for_function("""() => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
      .some(g => g._fullLayout && /neuron 5: its 784 weights/.test((g._fullLayout.title || {}).text || ''))""",
                           timeout=TIMEOUT_MS)
    shown_w2 = float(metric_value(page, "output weight W2"))
    assert abs(shown_w2 - w2) < 6e-4, (shown_w2, w2)
    assert metric_value(page, "votes for") == f"digit {1 if shown_w2 > 0 else 0}"
    assert re.fullmatch(r"[+-]\d\.\d{4}", metric_value(page, "bias b1"))
    top = [c for c in page.locator(f'{MAIN} [data-testid="stImageCaption"]').all_inner_texts() if "A1" in c]
    assert 0 < len(top) <= 8, top
    assert_selected_tile(tiles(page), 5)
    assert_no_exception(page)
    screenshot(page, "weights-neuron-5")

    # a click on a tile's label selects that neuron too
    page.locator(f'{MAIN} [data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    pos = tile_label_position(page, 8)
    watch_rerun(page)
    page.mouse.click(pos["x"], pos["y"])
    wait_rerun_done(page)
    expect(page.locator(f'{MAIN} input[aria-label="Neuron"]')).to_have_value(re.compile(r"^#8 · "), timeout=EXPECT_MS)
    expect(main).to_contain_text("The test digits that excite neuron 8 most", timeout=EXPECT_MS)
    assert_selected_tile(tiles(page), 8)
    assert_no_exception(page)
    screenshot(page, "weights-neuron-8-clicked", full_page=False)
    assert not page.js_errors, page.js_errors


# ------------------------------------------------------------------ Mistakes


WHY = re.compile(r"Test image #(\d+) is a (\d)\. The network computes the logit z2 = ([+-]?[\d.]+(?:e[+-]?\d+)?), "
                 r"so P\((\d)\) = sigmoid\(z2\) = ([\d.]+(?:e[+-]?\d+)?) and it says (\d) \((correct|wrong)\)")


def test_mistakes_gallery_and_why(page, app_url):
    train_small(page, app_url, "digits=3-8&iters=60", 60)
    nav_to(page, "Mistakes", "The digits it gets wrong, and why")
    main = page.locator(MAIN)
    expect(main).to_contain_text("of 1,984 test images are misclassified", timeout=EXPECT_MS)
    errors = int(re.search(r"(\d+) of 1,984 test images are misclassified", main_text(page)).group(1))
    assert errors > 0
    # the gallery (at most 60 mistakes) and the 20 nearly wrong digits, each an <img>
    expect(main.locator("img")).to_have_count(min(errors, 60) + 20, timeout=EXPECT_MS)
    wait_images_loaded(page)
    images = main.locator("img").count()
    captions = main.locator('[data-testid="stImageCaption"]').all_inner_texts()
    print(f"{errors} mistakes, {images} images in the main area")
    assert images > 0 and len(captions) == images, (images, len(captions))
    assert all(re.fullmatch(r"true [38] · P\(8\) [\d.]+ · #\d+", " ".join(c.split())) for c in captions), captions[:5]

    # the explanation of the selected image: text, digit, gradient map and waterfall
    def check_why(expect_index: int | None) -> tuple[int, float]:
        expect(main).to_contain_text("z2 is the sum of every hidden neuron's vote", timeout=EXPECT_MS)
        m = WHY.search(main_text(page))
        assert m, main_text(page)[:3000]
        idx, truth, z2, pdigit, proba, said, verdict = m.groups()
        idx, z2, proba = int(idx), float(z2), float(proba)
        if expect_index is not None:
            assert idx == expect_index, (idx, expect_index)
        assert pdigit == "8" and truth in "38" and said in "38"
        assert math.isclose(proba, 1 / (1 + math.exp(-z2)), rel_tol=2e-3, abs_tol=1e-4), (z2, proba)
        assert said == ("8" if z2 > 0 else "3")
        assert verdict == ("correct" if said == truth else "wrong")
        plotly_ready(page, 3)
        page.wait_for_function("""(i) => Array.from(document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
          .some(g => g._fullLayout && ((g._fullLayout.title || {}).text || '').includes('#' + i + ', true'))""",
                               arg=idx, timeout=TIMEOUT_MS)
        plots = plot_summaries(page)
        assert any("input gradient dz2/dx" in p["title"] and p["types"] == ["heatmap"] for p in plots), plots
        waterfall = page.evaluate("""() => {
          for (const g of document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot'))
            if (g._fullData && g._fullData[0] && g._fullData[0].type === 'waterfall')
              return {title: g._fullLayout.title.text, y: Array.from(g._fullData[0].y)};
            return null; }""")
        assert waterfall, plots
        assert f"z2 = {z2:+.4g}" in waterfall["title"], (waterfall["title"], z2)
        parts, total = waterfall["y"][:-1], waterfall["y"][-1]
        assert math.isclose(sum(parts), total, rel_tol=1e-6, abs_tol=1e-6), waterfall["y"]
        assert math.isclose(total, z2, rel_tol=1e-3, abs_tol=1e-3), (total, z2)
        return idx, z2

    first, _ = check_why(None)                                      # the first mistake, selected at first
    open_selectbox(page, "Test image")
    options = page.locator('[role="option"]')
    options.first.wait_for(state="visible", timeout=EXPECT_MS)
    texts = [" ".join(t.split()) for t in options.all_inner_texts()]
    page.keyboard.press("Escape")
    assert texts and all(t.endswith((" · wrong", " · nearly wrong")) for t in texts), texts[:5]
    assert str(first) in texts[0]
    target = texts[2] if len(texts) > 2 else texts[-1]
    chosen = choose(page, "Test image", target)
    idx = int(re.search(r"#(\d+)", chosen).group(1))
    check_why(idx)
    wrong = chosen.endswith(" · wrong")
    m = WHY.search(main_text(page))
    assert (m.group(7) == "wrong") == wrong, (chosen, m.group(0))
    assert_no_exception(page)
    screenshot(page, "mistakes-why")
    assert not page.js_errors, page.js_errors


# ------------------------------------------------------------------ Try it


@pytest.fixture(scope="module")
def digit_pngs(mnist_path, tmp_path_factory) -> dict[int, str]:
    """Two real MNIST test digits (a 0 and a 1) as PNGs, dark ink on white, 4x upscaled."""
    from PIL import Image

    from ssnn_core import load_mnist

    mnist = load_mnist(os.environ.get("SSNN_MNIST") or str(mnist_path))
    folder = tmp_path_factory.mktemp("digits")
    paths = {}
    for digit in (0, 1):
        i = int(np.flatnonzero(mnist.y_test == digit)[7])
        img = Image.fromarray(255 - mnist.x_test[i]).resize((112, 112), Image.Resampling.LANCZOS)
        paths[digit] = str(folder / f"mnist-test-{i}-a-{digit}.png")
        img.save(paths[digit])
    return paths


def canvas_stroke(page, x0: float, y0: float, x1: float, y1: float, steps: int = 20) -> None:
    """Draw a line on the drawing canvas; coordinates are fractions of its size."""
    canvas = page.locator(f"{MAIN} .canvas-root canvas.upper-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    watch_rerun(page)
    page.mouse.move(*at(x0, y0))
    page.mouse.down()
    for k in range(1, steps + 1):
        page.mouse.move(*at(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps))
    page.mouse.up()
    wait_rerun_done(page)


def said(page) -> str:
    return metric_value(page, "The network says")


def test_try_it_draw_and_upload(page, app_url, digit_pngs):
    train_small(page, app_url, "iters=60&n1=12", 60)
    nav_to(page, "Try it", "Try it: draw a digit")
    main = page.locator(MAIN)

    # Draw (the default): an untouched canvas asks for a drawing
    page.locator(f"{MAIN} .canvas-root canvas.upper-canvas").wait_for(state="visible")
    expect(main).to_contain_text("Draw a digit on the canvas.", timeout=EXPECT_MS)
    assert main.get_by_text("The network says").count() == 0

    # a vertical stroke: a 1
    canvas_stroke(page, 0.5, 0.15, 0.5, 0.85)
    expect(main).to_contain_text("What the network says", timeout=EXPECT_MS)
    expect(main).to_contain_text("Answered by the current model: 784→12→1", timeout=EXPECT_MS)
    expect_metric(page, "The network says", "1")
    assert re.fullmatch(r"(\d+\.\d\d|> 99\.99|< 0\.01) %", metric_value(page, "Confidence"))
    assert_no_exception(page)
    wait_images_loaded(page)
    screenshot(page, "tryit-drawn", full_page=False)

    # the bin empties the canvas: "No ink found: draw a digit."
    watch_rerun(page)
    main.get_by_role("button", name="Reset canvas & history").click()
    wait_rerun_done(page)
    expect(main).to_contain_text("No ink found: draw a digit.", timeout=EXPECT_MS)
    expect(main.get_by_text("The network says")).to_have_count(0, timeout=EXPECT_MS)
    assert_no_exception(page)

    # Upload: real MNIST test digits, dark on white, are recognised
    click_and_wait(page, radio(page, "Where the digit comes from", "Upload"))
    expect(main).to_contain_text("Upload a PNG or JPEG of one handwritten digit.", timeout=EXPECT_MS)
    for digit in (0, 1):
        watch_rerun(page)
        page.set_input_files(f"{MAIN} input[type=file]", digit_pngs[digit])
        wait_rerun_done(page)
        name = os.path.basename(digit_pngs[digit])          # shown shortened; the remove button has it whole
        expect(main.get_by_role("button", name=f"Remove {name}")).to_be_visible(timeout=EXPECT_MS)
        expect(main).to_contain_text("inverted (light background)", timeout=EXPECT_MS)
        expect_metric(page, "The network says", str(digit))
        print(f"uploaded a {digit}: says {said(page)}, confidence {metric_value(page, 'Confidence')}")
        assert_no_exception(page)
    wait_images_loaded(page)
    screenshot(page, "tryit-uploaded", full_page=False)
    assert not page.js_errors, page.js_errors


# ------------------------------------------------------------------ Data and How it works


def open_data_page(page, app_url):
    """The Data page at its first page of training 0s: (main area, the browse caption)."""
    goto(page, f"{app_url}/Data")
    main = page.locator(MAIN)
    browse = main.locator('[data-testid="stCaptionContainer"]', has_text="pages of 40")
    expect(browse).to_contain_text("showing train #0…", timeout=EXPECT_MS)
    return main, browse


def test_data_page_browse(page, app_url):
    main, browse = open_data_page(page, app_url)
    first = " ".join(browse.inner_text().split())
    m = re.search(r"([\d,]+) train images of 0 · (\d+) pages of 40 · showing train #(\d+)…#(\d+)", first)
    assert m, first
    assert (main.locator('[data-testid="stPagination"] [data-testid="stPaginationPageActive"]')
            .inner_text().strip() == "1")

    wait_images_loaded(page, 41)         # 40 digits and the one below: a click then lands where it aims
    click_settled(page, main.locator('[data-testid="stPaginationNext"]').first)
    expect(main.locator('[data-testid="stPaginationPageActive"]')).to_have_text("2", timeout=EXPECT_MS)
    expect(browse).not_to_have_text(first, timeout=EXPECT_MS)
    second = " ".join(browse.inner_text().split())
    m2 = re.search(r"showing train #(\d+)…#(\d+)", second)
    assert m2 and int(m2.group(1)) > int(m.group(4)), (first, second)
    assert_no_exception(page)
    wait_images_loaded(page, 41)

    # the other digit: its own count, and its first page of images
    click_settled(page, radio(page, "Digit", "1"))
    expect(browse).to_contain_text("train images of 1", timeout=EXPECT_MS)
    third = " ".join(browse.inner_text().split())
    m3 = re.search(r"([\d,]+) train images of 1 · \d+ pages of 40 · showing train #(\d+)…#(\d+)", third)
    assert m3 and int(m3.group(2)) < 40, third                      # page 1 of the 1s
    wait_images_loaded(page)
    assert main.locator("img").count() >= 40                        # a page of 40 digits (and the one below)
    assert_no_exception(page)
    screenshot(page, "data-browse-1s", full_page=False)
    assert not page.js_errors, page.js_errors


def test_data_page_pagination_follows_a_new_digit(page, app_url):
    main, browse = open_data_page(page, app_url)
    active = main.locator('[data-testid="stPaginationPageActive"]')
    wait_images_loaded(page, 41)
    click_settled(page, main.locator('[data-testid="stPaginationNext"]').first)
    expect(active).to_have_text("2", timeout=EXPECT_MS)
    wait_images_loaded(page, 41)
    click_settled(page, radio(page, "Digit", "1"))
    expect(browse).to_contain_text("train images of 1", timeout=EXPECT_MS)
    first_page = " ".join(browse.inner_text().split())
    wait_images_loaded(page, 41)
    time.sleep(1)                                   # let the browser settle the control
    active.scroll_into_view_if_needed()
    shown = active.inner_text().strip()
    screenshot(page, "data-pagination-after-digit-change", full_page=False)
    assert shown == "1", f"the images are page 1 ({first_page!r}) but the pagination highlights page {shown}"
    wait_images_loaded(page, 41)
    click_settled(page, main.locator('[data-testid="stPaginationNext"]').first)
    expect(active).to_have_text("2", timeout=EXPECT_MS)


STAGE_CHECKS = {   # stage: (a metric it shows, a text it shows)
    "Forward": ("ReLUs active (Z1 > 0)", "ReLU keeps the positive part"),
    "Cost": ("cost J", "J is the average of these"),
    "Backward": (None, "gets the largest gradient"),
    "Update": ("cost after one step", "Each parameter moved by α times its gradient"),
}


def test_how_it_works_stages_and_gradient_check(page, app_url):
    goto(page, f"{app_url}/How_it_works")
    main = page.locator(MAIN)
    expect(main).to_contain_text("freshly initialised network", timeout=EXPECT_MS)
    stages = main.locator('[data-testid="stButtonGroup"]', has_text="Stage")
    for k, (stage, (metric, text)) in enumerate(STAGE_CHECKS.items(), start=1):
        button = stages.get_by_role("radio", name=f"{k}. {stage}")
        if button.get_attribute("aria-checked") != "true":
            click_settled(page, button)
        expect(button).to_have_attribute("aria-checked", "true", timeout=EXPECT_MS)
        expect(main).to_contain_text(text, timeout=EXPECT_MS)
        if metric:
            assert re.fullmatch(r"[\d.,]+ ?%?", metric_value(page, metric)), metric_value(page, metric)
        assert_no_exception(page)
    cost_before = float(metric_value(page, "cost at iteration 0"))          # a fresh network: iteration 0
    cost_after = float(metric_value(page, "cost after one step"))
    assert cost_after < cost_before, (cost_before, cost_after)
    screenshot(page, "howto-update", full_page=False)

    click_settled(page, main.get_by_role("button", name="Run the gradient check"))
    expect_metric(page, "verdict", "backprop is right")
    worst = float(metric_value(page, "worst relative error"))
    assert worst < 1e-4, worst
    expect(main.locator('[data-testid="stAlertContentSuccess"]', has_text="Worst relative error")).to_be_visible(
        timeout=EXPECT_MS)
    assert re.fullmatch(r"\d+ of 20", metric_value(page, "checks counted"))
    assert_no_exception(page)
    main.locator('[data-testid="stMetric"]', has_text="verdict").scroll_into_view_if_needed()
    screenshot(page, "howto-gradcheck", full_page=False)
    assert not page.js_errors, page.js_errors


# ------------------------------------------------------------------ a shared URL on another page


def test_shared_url_on_weights_page(page, app_url):
    goto(page, f"{app_url}/Weights?n1=37&digits=3-8&seed=7")
    main = page.locator(MAIN)
    expect(main).to_contain_text("There is no trained network to look at yet.", timeout=EXPECT_MS)
    expect(main.get_by_role("button", name="Train 784→37→1 on 3/8 here (500 iterations)")).to_be_visible(
        timeout=EXPECT_MS)
    for part in ("n1=37", "digits=3-8", "seed=7"):
        assert part in page.url, page.url
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0
    assert_no_exception(page)
    screenshot(page, "shared-url-weights", full_page=False)

    # the settings stay with the session: How it works studies a 784-37-1 network on 3 vs 8, seed 7
    nav_to(page, "How it works", "How it works")
    expect_metric(page, "hidden neurons n1", "37")
    expect_metric(page, "parameters", f"{784 * 37 + 37 + 37 + 1:,}")
    expect_metric(page, "training images m", "11,982")           # 6,131 threes and 5,851 eights
    expect(main).to_contain_text("(n1 = 37, seed 7, float32)", timeout=EXPECT_MS)
    assert "n1=37" in page.url, page.url

    # and the Train page's controls show them
    nav_to(page, "Train", "Train the network")
    for label, value in (("Hidden neurons n1", "37"), ("Seed", "7"), ("Digit A (label 0)", "3"),
                         ("Digit B (label 1)", "8")):
        expect(page.locator(f'[data-testid="stSidebar"] input[aria-label="{label}"]')).to_have_value(
            value, timeout=EXPECT_MS)
    assert "n1=37" in page.url and "digits=3-8" in page.url and "seed=7" in page.url, page.url
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors


def test_try_it_step_images_keep_their_size(page, app_url):
    goto(page, f"{app_url}/Try_it")
    page.locator(f"{MAIN} .canvas-root canvas.upper-canvas").wait_for(state="visible")
    canvas_stroke(page, 0.5, 0.15, 0.5, 0.85)
    main = page.locator(MAIN)
    expect(main).to_contain_text("Made MNIST-like, step by step", timeout=EXPECT_MS)
    expect(main.locator('[data-testid="stImageCaption"]', has_text="centred in 28x28")).to_be_visible(timeout=EXPECT_MS)
    wait_images_loaded(page)
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('[data-testid="stMain"] img'))
      .map(i => ({natural: [i.naturalWidth, i.naturalHeight], shown: [Math.round(i.width), Math.round(i.height)]}))""")
    print(sizes)
    screenshot(page, "tryit-step-images", full_page=False)
    too_big = [s for s in sizes if max(s["shown"]) > 2 * 112]
    assert not too_big, f"step images drawn far larger than their 112 px thumbnails: {too_big}"


# ------------------------------------------------------------------ a fresh server


def test_deep_link_on_a_fresh_server_shows_the_app_navigation(browser, mnist_path):
    """With a pages/ folder beside app.py Streamlit starts in its old pages-directory mode; the first
    visit through a deep link (a woken Cloud app) must still get app.py's navigation (pagesetup)."""
    from bench.load import VIEWPORT, Server

    server = Server(env=dict(os.environ, SSNN_MNIST=str(mnist_path)))
    seen = {}
    try:
        url = server.start(timeout=90)
        for key, path in (("deep link first", "/Data"), ("root", "/"), ("deep link after root", "/Data")):
            ctx = browser.new_context(viewport=VIEWPORT)
            ctx.set_default_timeout(TIMEOUT_MS)
            try:
                p = ctx.new_page()
                goto(p, url + path)
                # the first link, then a moment for the rest (the old pages mode may fold some away
                # behind "View more", so waiting for the last would time out instead of comparing)
                p.locator('[data-testid="stSidebarNav"] li').first.wait_for()
                time.sleep(1.0)
                seen[key] = nav_labels(p)
                if key == "deep link first":
                    screenshot(p, "nav-deep-link-fresh-server", full_page=False)
            finally:
                ctx.close()
    finally:
        server.stop()
        server.remove_log()
    print(seen)
    names = [re.sub(r"^\S+\s+", "", label) for label in seen["root"]]
    assert names == ALL_PAGES, seen["root"]
    assert seen["deep link after root"] == seen["root"], seen
    assert seen["deep link first"] == seen["root"], (
        f"a deep link on a fresh server shows the sidebar {seen['deep link first']}, the app's is {seen['root']}")
