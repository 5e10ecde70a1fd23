"""End to end in Chromium: a teacher's lesson link, in Chinese. A new user opens it with n1 locked at 10,
goes through every step with Next, trains in step 8, and a second browser sees that run on the class
board. Every text the test looks for is read from the catalogue (the Chinese the user sees)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from ssnn_app import i18n
from ssnn_app.i18n import _, pgettext

from .conftest import (
    EXPECT_MS,
    MAIN,
    TIMEOUT_MS,
    VIEWPORT,
    assert_no_exception,
    click_and_wait,
    goto,
    nav_link,
    nav_to,
    screenshot,
)
from .test_e2e_pages import app_navigation_in_force, nav_labels  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]
STEPS = ["The problem", "One digit", "From images to X", "Standardisation", "The network", "Initialisation",
         "Forward and backward", "The training loop", "Testing", "Why does 1749 fail?", "Where to go next"]


def zh(text: str) -> str:
    with i18n.use("zh"):
        return _(text)


def test_a_lesson_from_a_teacher_link_to_the_class_board(page, browser, app_url):
    goto(page, f"{app_url}/?lang=zh&n1=10&iters=120&seed=77&lock=n1&pages=lesson,train,board")
    names = [" ".join(label.split()[1:]) for label in nav_labels(page)]
    assert names == [zh("Lesson"), zh("Train"), zh("Class board")], nav_labels(page)
    main = page.locator(MAIN)
    with i18n.use("zh"):
        done = pgettext("run status", "done")
    for k, title in enumerate(STEPS, start=1):
        expect(main.get_by_role("heading", name=f"{k}. {zh(title)}")).to_be_visible(timeout=EXPECT_MS)
        assert f"step={k}" in page.url or k == 1, page.url
        assert "lang=zh" in page.url, page.url
        assert_no_exception(page)
        if k == 2:
            screenshot(page, "lesson-zh-step-2", full_page=False)
        if k == 8:
            click_and_wait(page, page.get_by_role("button", name=zh("▶ Train"), exact=True))
            expect(main).to_contain_text(f"120 / 120 · {done}", timeout=TIMEOUT_MS)
            screenshot(page, "lesson-zh-step-8")
        if k < len(STEPS):
            click_and_wait(page, page.get_by_role("button", name=zh("Next →")).first)
    expect(main).to_contain_text(zh("You have followed the whole article. Every page takes one part further:"),
                                 timeout=EXPECT_MS)
    click_and_wait(page, page.get_by_role("button", name=zh("← Back")).first)   # and back one step
    expect(main.get_by_role("heading", name=f"10. {zh(STEPS[9])}")).to_be_visible(timeout=EXPECT_MS)
    # the link locked n1 at 10: on Train, in Chinese, its slider shows 10 and is greyed out
    click_and_wait(page, nav_link(page, zh("Train")))
    page.wait_for_url("**/Train?**", timeout=TIMEOUT_MS)
    expect(main.get_by_role("heading", name=zh("Train the network"))).to_be_visible(timeout=EXPECT_MS)
    n1 = page.locator('[data-testid="stSidebar"] [data-testid="stSlider"] '
                      f'[role="group"][aria-label="{zh("Hidden neurons n1")}"]')
    expect(n1).to_have_attribute("data-disabled", "true", timeout=EXPECT_MS)
    expect(n1).to_contain_text("10")
    # a second browser (the teacher's, in English) sees that run on the class board
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        other = ctx.new_page()
        goto(other, f"{app_url}/?lang=en")
        nav_to(other, "Class board", "Class board: every run that ended here")
        t0 = time.monotonic()
        other.wait_for_function("""() => { const g = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
            return g && g._fullData && g._fullData.some(t => t.customdata && Array.from(t.customdata)
              .some(c => String(c[2]) === '77' && String(c[1]) === '120')); }""", timeout=TIMEOUT_MS)
        print(f"the class board showed the lesson's run after {time.monotonic() - t0:.1f} s")
        assert_no_exception(other)
    finally:
        ctx.close()
    assert not page.js_errors, page.js_errors
