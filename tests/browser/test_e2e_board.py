"""End to end in Chromium: the class board. A second browser sees, on its own, the run a first one trained."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .conftest import EXPECT_MS, MAIN, TIMEOUT_MS, VIEWPORT, assert_no_exception, goto, nav_to, screenshot
from .test_e2e_pages import app_navigation_in_force, train_small  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]


def test_a_second_browser_sees_the_run_on_the_class_board(page, browser, app_url):
    # the teacher's browser opens the board first, before the run exists
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    teacher = ctx.new_page()
    try:
        goto(teacher, app_url)
        nav_to(teacher, "Class board", "Class board: every run that ended here")
        # a student trains settings nobody else in this test run uses (seed 4242)
        train_small(page, app_url, "iters=40&n1=14&seed=4242&lr=0.2", 40)
        t0 = time.monotonic()
        # the board redraws itself: the run appears in its chart (seed 4242 in the hover data) without a reload
        teacher.wait_for_function("""() => { const g = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
            return g && g._fullData && g._fullData.some(t => t.customdata && Array.from(t.customdata)
              .some(c => String(c[2]) === '4242'
                && Math.abs(t.x[Array.from(t.customdata).indexOf(c)] - 0.2) < 1e-9)); }""",
                                  timeout=TIMEOUT_MS)
        print(f"the board showed the new run {time.monotonic() - t0:.1f} s after it ended, without a reload")
        expect(teacher.locator(f'{MAIN} [data-testid="stDataFrame"]')).to_be_visible(timeout=EXPECT_MS)
        assert_no_exception(teacher)
        screenshot(teacher, "class-board")
        assert not page.js_errors
    finally:
        ctx.close()
