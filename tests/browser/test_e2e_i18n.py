"""End to end in Chromium: the dashboard in English and in Chinese. The sidebar's switch changes every
text at once, the choice stays while moving between pages and in the URL, and a browser whose language
is Chinese gets Chinese without asking. Screenshots of pages in both languages (Noto CJK in .ci/run)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ssnn_app import i18n
from ssnn_app.i18n import _

from .conftest import (
    EXPECT_MS,
    MAIN,
    TIMEOUT_MS,
    VIEWPORT,
    assert_no_exception,
    click_and_wait,
    goto,
    nav_link,
    screenshot,
    wait_ready,
)
from .test_e2e_pages import app_navigation_in_force, nav_labels  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.mnist]
TITLES = {"Home": "ssnn · see a neural network learn", "Weights": "What the hidden neurons look for",
          "Train": "Train the network"}


def zh(text: str) -> str:
    with i18n.use("zh"):
        return _(text)


def names(page) -> list[str]:
    return [" ".join(label.split()[1:]) for label in nav_labels(page)]


def heading(page, text: str):
    return page.locator(MAIN).get_by_role("heading", name=text)


def test_the_switch_changes_the_language_and_it_stays_across_pages(page, app_url):
    goto(page, app_url)
    expect(heading(page, TITLES["Home"])).to_be_visible(timeout=EXPECT_MS)
    assert names(page)[:4] == ["Home", "Lesson", "Data", "Train"], nav_labels(page)
    screenshot(page, "home-en", full_page=False)
    sidebar = page.locator('[data-testid="stSidebar"]')
    click_and_wait(page, sidebar.get_by_role("radio", name="中文", exact=True))
    expect(heading(page, zh(TITLES["Home"]))).to_be_visible(timeout=EXPECT_MS)
    assert names(page)[:4] == [zh("Home"), zh("Lesson"), zh("Data"), zh("Train")], nav_labels(page)
    assert "lang=zh" in page.url, page.url
    screenshot(page, "home-zh", full_page=False)
    # another page, through the Chinese navigation: still Chinese, in the page and in the URL
    click_and_wait(page, nav_link(page, zh("Weights")))
    page.wait_for_url("**/Weights?**", timeout=TIMEOUT_MS)
    wait_ready(page)
    expect(heading(page, zh(TITLES["Weights"]))).to_be_visible(timeout=EXPECT_MS)
    assert "lang=zh" in page.url, page.url
    assert_no_exception(page)
    screenshot(page, "weights-zh", full_page=False)
    # a reload keeps it (the URL has it); the switch back gives English again
    page.reload()
    wait_ready(page)
    expect(heading(page, zh(TITLES["Weights"]))).to_be_visible(timeout=EXPECT_MS)
    click_and_wait(page, sidebar.get_by_role("radio", name="English", exact=True))
    expect(heading(page, TITLES["Weights"])).to_be_visible(timeout=EXPECT_MS)
    assert "lang=en" in page.url and names(page)[4] == "Weights", (page.url, nav_labels(page))
    # the switch shows its language selected on every page opened after it (it lost it on every second one)
    for name in ("Mistakes", "How it works", "Data", "Train"):
        click_and_wait(page, nav_link(page, name))
        wait_ready(page)
        expect(sidebar.get_by_role("radio", name="English", exact=True)).to_have_attribute("aria-checked", "true")
        expect(sidebar.get_by_role("radio", name="中文", exact=True)).to_have_attribute("aria-checked", "false")
    assert not page.js_errors, page.js_errors


def test_a_browser_in_chinese_gets_chinese_and_a_link_can_say_otherwise(browser, app_url):
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        p = ctx.new_page()
        goto(p, f"{app_url}/Train")
        expect(heading(p, zh(TITLES["Train"]))).to_be_visible(timeout=EXPECT_MS)
        assert "lang=zh" in p.url, p.url
        screenshot(p, "train-zh", full_page=False)
        p2 = ctx.new_page()                       # the same browser, a link that says English
        goto(p2, f"{app_url}/Train?lang=en")
        expect(heading(p2, TITLES["Train"])).to_be_visible(timeout=EXPECT_MS)
        assert_no_exception(p2)
    finally:
        ctx.close()
