"""End to end in Chromium (issue #15, items 2 and 10): a model downloaded after N iterations and uploaded in
a fresh session shows its cost curve and final cost at once, and Step 1 carries that model on to
iteration N + 1 with its history continued (not a new network at iteration 1)."""

from __future__ import annotations

import re
import time

import pytest

from bench.load import VIEWPORT

from .conftest import (
    EXPECT_MS,
    MAIN,
    TIMEOUT_MS,
    assert_no_exception,
    click_and_wait,
    goto,
    screenshot,
    wait_rerun_done,
    watch_rerun,
)

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

N = 40
STATUS_JS = """() => {
  for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p'))
    if (/Iteration \\d+ \\/ \\d+/.test(el.innerText)) return el.innerText;
  return ""; }"""
POINTS_JS = """() => {
  const live = document.querySelector('[data-testid="stMain"] svg[aria-label="cost chart, live"]');
  if (live) return parseInt(live.getAttribute("data-points"));
  const g = document.querySelector('[data-testid="stMain"] [data-testid="stPlotlyChart"] .js-plotly-plot');
  return g && g.data && g.data.length ? g.data[0].x.length : -1; }"""


def status(page) -> str:
    """The Train page's status line ('Iteration N / T · <status> · learning rate ...'), '' if absent."""
    return " ".join(page.evaluate(STATUS_JS).split())


def wait_status(page, pattern: str, timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    while not re.search(pattern, text := status(page)):
        if time.monotonic() > deadline:
            assert_no_exception(page)
            raise AssertionError(f"status line never matched {pattern!r} in {timeout_s:g} s; last: {text!r}")
        time.sleep(0.05)
    return text


def wait_points(page, n: int, timeout_s: float = 30) -> None:
    """The train-cost curve drawn in the page has n points."""
    deadline = time.monotonic() + timeout_s
    while (got := page.evaluate(POINTS_JS)) != n:
        assert time.monotonic() < deadline, f"the chart shows {got} points, not {n}"
        time.sleep(0.1)


def metric(page, label: str) -> str:
    m = page.locator(f'{MAIN} [data-testid="stMetric"]', has_text=label).first
    m.wait_for(timeout=EXPECT_MS)
    return m.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_a_downloaded_model_uploaded_in_a_fresh_session_shows_its_run_and_steps_on(browser, page, app_url,
                                                                                  tmp_path):
    from playwright.sync_api import expect

    # one session trains N iterations and downloads its model
    goto(page, f"{app_url}/Train?iters={N}&n1=10")
    page.get_by_role("button", name="▶ Train", exact=True).click()
    wait_status(page, rf"Iteration {N} / {N} · done")
    cost = metric(page, "Final train cost")
    assert re.fullmatch(r"\d\.\d{6}", cost), cost
    with page.expect_download(timeout=TIMEOUT_MS) as got:
        page.get_by_role("button", name="Download model (.npz)").click()
    path = tmp_path / "ssnn-model.npz"
    got.value.save_as(path)

    # a fresh session (another browser, default settings: 500 iterations) uploads it
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    other = ctx.new_page()
    errors = []
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        goto(other, f"{app_url}/Train")
        assert "Not trained yet." in other.locator(MAIN).inner_text()
        uploader = other.locator(f'{MAIN} [data-testid="stFileUploader"]').filter(has_text="Inspect a saved model")
        watch_rerun(other)
        uploader.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        wait_rerun_done(other)
        assert re.search(rf"Iteration {N} / {N} · uploaded", wait_status(other, rf"Iteration {N} / "))
        wait_points(other, N)                                       # its whole cost curve, at once
        assert metric(other, "Final train cost") == cost            # not '–'
        main = other.locator(MAIN)
        expect(main).not_to_contain_text("once training starts", timeout=EXPECT_MS)
        expect(main).not_to_contain_text("Model not loaded", timeout=EXPECT_MS)
        assert_no_exception(other)
        screenshot(other, "train-uploaded-model", full_page=False)

        # Step 1 carries THAT model on: iteration N + 1, the history continued
        click_and_wait(other, other.get_by_role("button", name="Step 1", exact=True))
        text = wait_status(other, rf"Iteration {N + 1} / {N + 1} ·")
        assert "uploaded" not in text and "done" in text, text
        wait_points(other, N + 1)
        after = metric(other, "Final train cost")
        assert re.fullmatch(r"\d\.\d{6}", after) and float(after) <= float(cost), (cost, after)
        assert_no_exception(other)
        screenshot(other, "train-uploaded-model-stepped", full_page=False)
        assert not errors, errors
    finally:
        ctx.close()
    # the session it came from, stepping on, gets the same: the upload was carried on, not started anew
    click_and_wait(page, page.get_by_role("button", name="Step 1", exact=True))
    wait_status(page, rf"Iteration {N + 1} / {N + 1} · done")
    assert metric(page, "Final train cost") == after
    assert not page.js_errors, page.js_errors
