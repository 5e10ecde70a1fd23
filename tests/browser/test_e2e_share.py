"""In Chromium at 1400 px and at 390 px (a phone): issue 15, items 9 and 18.

Item 9: the share link (Train's "Share these settings", Home's lesson-link builder) is shown whole (it was one
line cut at "...&dtype"), its copy button is visible without hovering, copies the link (also where the
browser offers no clipboard API, as on a classroom server reached over plain http), and a QR code of the link
shows in an expander below it.
Item 18: Data's 28 x 28 pixel table shows all its columns: at 1400 px the last one (27) whole, without
scrolling; on a phone it scrolls sideways to column 27.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import EXPECT_MS, MAIN, TIMEOUT_MS, assert_no_exception, click_and_wait, goto, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

SIZES = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}
SHARE = '[data-testid="ssnnShareLink"]'

# Where the link and its button are, and whether anything of them is hidden (cut, scrolled, transparent, covered).
SHARE_JS = """(root) => {
  const link = root.querySelector('.ssnn-share-link'), button = root.querySelector('button');
  const box = (el) => el.getBoundingClientRect().toJSON();
  const b = box(button), style = getComputedStyle(button);
  const hit = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
  let clip = null;                      // the nearest ancestor that clips (the popover's or expander's body)
  for (let el = root.parentElement; el; el = el.parentElement) {
    const o = getComputedStyle(el);
    if (o.overflowX !== 'visible' || o.overflowY !== 'visible') { clip = box(el); break; }
  }
  return {text: link.innerText, data: root.dataset.link, link: box(link), button: b, clip,
          overflow: [link.scrollWidth - link.clientWidth, link.scrollHeight - link.clientHeight],
          opacity: style.opacity, visibility: style.visibility, display: style.display, label: button.innerText,
          buttonOnTop: hit === button || button.contains(hit), vw: window.innerWidth};
}"""

GRID_JS = """() => {
  const grid = document.querySelector('[data-testid="stDataFrame"]');
  const sc = grid.querySelector('.dvn-scroller');
  return {heads: [...grid.querySelectorAll('th')].map(t => t.innerText.trim()),
          box: grid.getBoundingClientRect().toJSON(), sw: sc.scrollWidth, cw: sc.clientWidth,
          sh: sc.scrollHeight, ch: sc.clientHeight, left: sc.scrollLeft, vw: window.innerWidth};
}"""

COPY_SPY = """() => { window.__copied = [];
  document.addEventListener('copy', (e) => window.__copied.push(e.target.value ?? String(getSelection())), true); }"""


@pytest.fixture(params=list(SIZES))
def sized(request, browser, app_url):
    """A fresh session at one of the two sizes; clipboard access granted (as a user's click grants it)."""
    ctx = browser.new_context(viewport=SIZES[request.param])
    ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    page.size_name = request.param
    yield page
    ctx.close()


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["right"] <= outer["right"] + slack and inner["bottom"] <= outer["bottom"] + slack)


def check_share(page, app_url: str, where) -> str:
    """The share element in `where` (a locator): link whole, button visible now (no hover), copying works,
    QR drawn. Returns the link."""
    page.mouse.move(0, 0)                                   # nothing hovered
    root = where.locator(SHARE)
    expect(root).to_be_visible(timeout=EXPECT_MS)
    root.scroll_into_view_if_needed()
    s = root.evaluate(SHARE_JS)
    link = s["data"]
    assert link.startswith(app_url) and "n1=" in link and "dtype=" in link and "lang=" in link, link
    assert s["text"].replace("\n", "") == link                       # every character shown, none cut
    assert s["overflow"] == [0, 0], s                                # nothing scrolled or clipped away
    assert s["link"]["right"] <= s["vw"] and s["button"]["right"] <= s["vw"], s
    if s["clip"]:
        assert _inside(s["link"], s["clip"]) and _inside(s["button"], s["clip"]), s
    assert (s["opacity"], s["visibility"]) == ("1", "visible") and s["display"] != "none", s   # not hover-only
    assert s["buttonOnTop"] and s["button"]["width"] >= 40 and s["button"]["height"] >= 24, s
    assert s["label"] == "Copy link"
    button = root.get_by_role("button", name="Copy link")
    button.click()
    expect(root.locator("button")).to_have_text("Copied", timeout=EXPECT_MS)
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    # the QR code, in the expander below the link
    qr = where.locator('[data-testid="stExpander"]').filter(has_text="QR code of this link")
    qr.locator("summary").click()
    img = qr.locator('[data-testid="stImage"] img')
    expect(img).to_be_visible(timeout=EXPECT_MS)
    img.scroll_into_view_if_needed()
    shown = img.evaluate("(i) => ({w: i.naturalWidth, box: i.getBoundingClientRect().toJSON(), vw: innerWidth})")
    assert shown["w"] > 0 and shown["box"]["width"] >= 150 and shown["box"]["right"] <= shown["vw"] + 1, shown
    return link


def test_train_share_link_is_whole_with_a_visible_copy_button_and_a_qr_code(sized, app_url):
    page = sized
    goto(page, f"{app_url}/Train?n1=12&lr=0.3&iters=700&seed=4&dtype=float64&scaling=seed")
    assert_no_exception(page)
    page.locator(MAIN).get_by_role("button", name="Share these settings").click()
    popover = page.locator('[data-testid="stPopoverBody"]')
    link = check_share(page, app_url, popover)
    assert "n1=12" in link and "iters=700" in link and "dtype=float64" in link and "scaling=seed" in link
    screenshot(page, f"share-train-{page.size_name}", full_page=False)
    assert_no_exception(page)


def test_the_copy_button_works_without_the_clipboard_api(browser, app_url):
    """A classroom server on http://192.168.x.y is not a secure context: no navigator.clipboard. The button
    falls back to execCommand('copy'), which copies the whole link."""
    ctx = browser.new_context(viewport=SIZES["desktop"])
    ctx.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined});")
    try:
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        goto(page, f"{app_url}/Train")
        page.evaluate(COPY_SPY)
        page.locator(MAIN).get_by_role("button", name="Share these settings").click()
        root = page.locator('[data-testid="stPopoverBody"]').locator(SHARE)
        root.get_by_role("button", name="Copy link").click()
        expect(root.locator("button")).to_have_text("Copied", timeout=EXPECT_MS)
        assert page.evaluate("() => window.__copied") == [root.get_attribute("data-link")]
    finally:
        ctx.close()


def test_home_lesson_link_is_whole_with_a_visible_copy_button_and_a_qr_code(sized, app_url):
    page = sized
    goto(page, app_url)
    main = page.locator(MAIN)
    builder = main.locator('[data-testid="stExpander"]').filter(has_text="For teachers: make a lesson link").first
    builder.locator("summary").first.click()
    click_and_wait(page, builder.get_by_text("Presenter view (larger type, thicker lines)"))
    link = check_share(page, app_url, builder)
    assert "present=1" in link
    screenshot(page, f"share-home-{page.size_name}", full_page=False)
    assert_no_exception(page)


def test_data_pixel_table_shows_column_27(sized, app_url):
    page = sized
    goto(page, f"{app_url}/Data")
    assert_no_exception(page)
    grid = page.locator(MAIN).locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    expect(grid.locator("th").first).to_be_attached(timeout=EXPECT_MS)
    g = page.evaluate(GRID_JS)
    assert g["box"]["x"] >= 0 and g["box"]["right"] <= g["vw"], g          # the table itself is on the page
    assert g["sh"] <= g["ch"], g                                            # all 28 rows, the last one whole
    if page.size_name == "desktop":
        assert g["sw"] <= g["cw"], g                                        # no column behind a scroll bar
        assert g["heads"][-1] == "27" and len(g["heads"]) == 29, g["heads"]  # row numbers + columns 0-27
    else:                                                                   # a phone: it scrolls sideways
        page.evaluate("() => { const s = document.querySelector('[data-testid=\"stDataFrame\"] .dvn-scroller');"
                      " s.scrollLeft = s.scrollWidth; }")
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"] th')]"
                               ".some(t => t.innerText.trim() === '27')", timeout=EXPECT_MS)
        g = page.evaluate(GRID_JS)
        assert g["left"] + g["cw"] >= g["sw"] - 1 and g["heads"][-1] == "27", g   # scrolled to the end: 27 whole
    screenshot(page, f"data-grid-{page.size_name}", full_page=False)
