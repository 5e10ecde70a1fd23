"""End to end in Chromium: the home page, live training with pause / step / resume, shared URLs."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import assert_no_exception, click_and_wait, goto, screenshot, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

COUNTER = re.compile(r"Iteration (\d+) / (\d+)")
RESULT_LABEL = "Test error rate"
TRAIN_TIMEOUT_S = 400          # 500 default iterations on a busy 2-core machine, redraws included
PAGES = ["Data", "Train", "Weights", "Mistakes", "How it works", "Try it"]


def status_text(page) -> str:
    """The Train page's status line: 'Iteration N / T · <status> · learning rate ...' ('' if absent).
    Read in one step in the page: the element is replaced on every redraw."""
    return " ".join(page.evaluate("""() => {
      for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"]'))
        if (/Iteration \\d+ \\/ \\d+/.test(el.innerText)) return el.innerText;
      return ""; }""").split())


def wait_status(page, pattern: str, timeout_s: float = 60) -> str:
    """Poll the status line until it matches the regular expression `pattern`; return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = status_text(page)
        if re.search(pattern, text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"status line never matched {pattern!r} in {timeout_s:g} s; last: {text!r}")
        time.sleep(0.05)


def counter(text: str) -> tuple[int, int] | None:
    m = COUNTER.search(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def chart_points(page) -> int:
    """Points in the first trace of the cost chart as drawn by Plotly in the page (-1 if no chart)."""
    return page.evaluate("""() => {
      const g = document.querySelector('[data-testid="stMain"] [data-testid="stPlotlyChart"] .js-plotly-plot');
      return g && g.data && g.data.length ? g.data[0].x.length : -1;
    }""")


def button(page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def expect_sidebar(page, label: str, value: str) -> None:
    """A sidebar input shows `value` (retried: the DOM can lag the script's end by a second or more)."""
    from playwright.sync_api import expect

    expect(page.locator(f'[data-testid="stSidebar"] input[aria-label="{label}"]')).to_have_value(value, timeout=20_000)


# ------------------------------------------------------------------ home and every page


def test_home_loads(page, app_url):
    goto(page, app_url)
    assert_no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    main.locator('[data-testid="stPlotlyChart"]').first.wait_for(state="visible")   # the network figure
    main.locator('[data-testid="stPageLink"]').nth(len(PAGES) - 1).wait_for(state="visible")
    page.wait_for_function("""() => { const g = document.querySelector(
        '[data-testid="stMain"] [data-testid="stPlotlyChart"] .js-plotly-plot'); return g && g.data && g.data.length; }""")
    links = [" ".join(t.split()) for t in main.locator('[data-testid="stPageLink"]').all_inner_texts()]
    for name in PAGES:
        assert any(name in t for t in links), f"no link to the {name} page on the home page: {links}"
    screenshot(page, "home")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads(page, app_url, name):
    """Each page opens (fresh session, no model yet) from the home page's links without an exception."""
    goto(page, app_url)
    link = page.locator('[data-testid="stMain"] [data-testid="stPageLink"]', has_text=name).first
    click_and_wait(page, link)
    assert_no_exception(page)
    path = page.url.split("?")[0].rsplit("/", 1)[1]
    assert path == name.replace(" ", "_"), page.url
    screenshot(page, f"page-{path}")


# ------------------------------------------------------------------ live training


def test_train_live_pause_step_resume(page, app_url):
    goto(page, f"{app_url}/Train")
    assert page.url.split("?")[0].endswith("/Train")
    assert_no_exception(page)
    page.get_by_text("Not trained yet.").wait_for()

    # Train with the defaults: the counter and the chart must move while the script is still running.
    # (The first chart can take seconds to appear on a busy machine: the browser loads Plotly then.)
    button(page, "▶ Train").click()
    t0 = time.monotonic()
    seen, first_chart = [], None            # (iteration, points in the chart) while running
    while time.monotonic() < t0 + 180:
        text = status_text(page)
        c = counter(text)
        assert "done" not in text, f"training finished before the live updates could be watched: {seen}"
        if c and "running" in text:
            pts = chart_points(page)
            if pts > 0:
                first_chart = first_chart or (time.monotonic() - t0, c[0])
                if not seen or c[0] != seen[-1][0]:
                    seen.append((c[0], pts))
        if len(seen) >= 3:
            break
        time.sleep(0.05)
    print(f"first chart {first_chart[0]:.1f} s after Train, at iteration {first_chart[1]}; then {seen}"
          if first_chart else f"no chart seen; counter {status_text(page)!r}")
    assert len(seen) >= 3, f"counter and chart did not change twice while running: {seen}"
    its, pts = [s[0] for s in seen], [s[1] for s in seen]
    assert its == sorted(its) and its[-1] < 500, seen
    assert pts == sorted(pts) and pts[-1] > pts[0], f"the chart did not grow while running: {seen}"
    assert page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") == "running"
    screenshot(page, "train-running", full_page=False)

    # Pause answers between two chunks, then the counter stays put.
    t0 = time.monotonic()
    button(page, "⏸ Pause").click()
    text = wait_status(page, r"Iteration \d+ / 500 · paused", 30)
    pause_latency = time.monotonic() - t0
    paused_at = counter(text)[0]
    print(f"pause shown {pause_latency:.2f} s after the click, at iteration {paused_at}")
    assert 0 < paused_at < 500
    wait_ready(page)
    time.sleep(1.5)
    text = status_text(page)
    assert counter(text)[0] == paused_at and "paused" in text, \
        f"Pause did not hold: it showed 'paused' at iteration {paused_at}, 1.5 s later: {text!r}"
    assert page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") == "notRunning"
    assert_no_exception(page)

    # Step 1 advances by exactly one iteration.
    click_and_wait(page, button(page, "Step 1"))
    text = wait_status(page, rf"Iteration {paused_at + 1} / 500 · paused", 30)
    time.sleep(0.5)
    assert counter(status_text(page)) == (paused_at + 1, 500), status_text(page)

    # Train again resumes from there and runs to the end; the result appears.
    button(page, "▶ Train").click()
    resumed = counter(wait_status(page, r"Iteration \d+ / 500 · (running|done)", 60))
    assert resumed[0] >= paused_at + 1, (resumed, paused_at)
    wait_status(page, r"Iteration 500 / 500 · done", TRAIN_TIMEOUT_S)
    wait_ready(page)
    metric = page.locator('[data-testid="stMetric"]', has_text=RESULT_LABEL).first
    metric.wait_for()
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    assert re.fullmatch(r"\d+\.\d+ %", value.strip()), value
    assert chart_points(page) > 0
    assert_no_exception(page)
    screenshot(page, "train-done")
    assert not page.js_errors, page.js_errors


# ------------------------------------------------------------------ the URL


def test_shared_url_restores_settings(page, app_url):
    goto(page, f"{app_url}/Train?n1=37&lr=0.1&iters=120&seed=7&digits=3-8")
    expect_sidebar(page, "Hidden neurons n1", "37")
    expect_sidebar(page, "Iterations", "120")
    expect_sidebar(page, "Seed", "7")
    expect_sidebar(page, "Digit A (label 0)", "3")
    expect_sidebar(page, "Digit B (label 1)", "8")
    assert_no_exception(page)
    assert page.locator('[data-testid="stAlertContentWarning"]').count() == 0
    lr = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]', has_text="Learning rate")
    assert lr.locator('[data-testid="stSliderThumbValue"]').inner_text().strip() == "0.1"
    for part in ("n1=37", "lr=0.1", "iters=120", "seed=7", "digits=3-8"):
        assert part in page.url, page.url
    # the settings are in force, not just shown: one step trains a 784-37-1 network on 3 vs 8
    click_and_wait(page, button(page, "Step 1"))
    wait_status(page, r"^Iteration 1 / 120 · paused", 60)
    from playwright.sync_api import expect

    # 3 vs 8: 1,010 + 974 test images
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("of 1984", timeout=20_000)
    assert_no_exception(page)


def test_bad_url_params_warn_and_page_works(page, app_url):
    goto(page, f"{app_url}/Train?n1=abc&lr=-1")
    page.locator('[data-testid="stAlertContentWarning"]').nth(1).wait_for(state="visible")
    warnings = " ".join(page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts())
    assert "n1='abc'" in warnings and "lr='-1'" in warnings, warnings
    assert_no_exception(page)
    expect_sidebar(page, "Hidden neurons n1", "10")
    click_and_wait(page, button(page, "Step 1"))
    wait_status(page, r"^Iteration 1 / 500 · paused", 60)
    assert_no_exception(page)
    assert "n1=10" in page.url and "lr=0.5" in page.url, page.url
