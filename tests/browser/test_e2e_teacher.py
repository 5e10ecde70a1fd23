"""End to end in Chromium: a teacher's link locks n1, shows only some pages and turns on the presenter view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import EXPECT_MS, assert_no_exception, goto, screenshot
from .test_e2e_pages import app_navigation_in_force, nav_labels  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.mnist]


def test_a_lesson_link(page, app_url):
    goto(page, f"{app_url}/?n1=37&iters=80&lock=n1&hide=advanced,bogus&pages=train,weights,board&present=1")
    assert_no_exception(page)
    expect(page.locator('[data-testid="stMain"]')).to_contain_text("'bogus' ignored", timeout=EXPECT_MS)
    names = [" ".join(label.split()[1:]) if len(label.split()) > 1 else label for label in nav_labels(page)]
    assert names == ["Train", "Weights", "Class board"], nav_labels(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    def slider_group(label: str):           # Streamlit 1.67 marks a disabled slider's group data-disabled
        return sidebar.locator(f'[data-testid="stSlider"] [role="group"][aria-label="{label}"]')
    expect(sidebar.locator('[data-testid="stSlider"]', has_text="Hidden neurons n1")).to_contain_text("37",
                                                                                                       timeout=EXPECT_MS)
    expect(slider_group("Hidden neurons n1")).to_have_attribute("data-disabled", "true", timeout=EXPECT_MS)
    expect(slider_group("Iterations")).not_to_have_attribute("data-disabled", "true")
    expect(sidebar.get_by_text("Advanced")).to_have_count(0)
    # the presenter view: larger type, no header
    page.wait_for_function("""() => parseFloat(getComputedStyle(document.documentElement).fontSize) >= 20 &&
        Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p'))
          .some(p => parseFloat(getComputedStyle(p).fontSize) >= 20)""", timeout=EXPECT_MS)
    expect(page.locator('[data-testid="stHeader"]')).to_be_hidden()
    assert "lock=n1" in page.url and "pages=train" in page.url and "present=1" in page.url
    screenshot(page, "teacher-link", full_page=False)
    assert not page.js_errors, page.js_errors
