"""Real-browser tests: Playwright (Python) driving Debian's Chromium against `streamlit run app.py`.

Fixtures: `app_url` (one server per test session, on 127.0.0.1 and a free port), `browser`, `page`.
Helpers: `wait_ready(page)`, `click_and_wait(page, locator)`, `nav_to(page, name, heading)` (another page in the
same session, through the sidebar), `assert_no_exception(page)`, `screenshot(page, name)`.

Without Chromium or Playwright these tests skip, and say how to enable them; with SSNN_REQUIRE_BROWSER=1
(CI, see .ci/run) they fail instead.

What proved reliable with Streamlit 1.67:
- the root `[data-testid="stApp"]` carries `data-test-script-state`: `initial` before the first run,
  then `running` / `notRunning` (also `rerunRequested`, `stopRequested`, `compilationError`).
- a click does not change that attribute synchronously (it is still `notRunning` right after
  `click()`), so `click_and_wait` watches it with a MutationObserver and waits until the app has left
  `notRunning` *and* come back to it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.load import APP, APP_IDLE, CHROMIUM, CHROMIUM_ARGS, EXCEPTION, VIEWPORT, Server  # noqa: E402

SCREENSHOTS = REPO / "artifacts" / "screenshots"
TIMEOUT_MS = 120_000          # one wait in a page (the machine may be shared and busy)
EXPECT_MS = 30_000            # one retried look at the DOM (it can lag the script's end by a second or more)
MAIN = '[data-testid="stMain"]'
ENABLE_HINT = ("install Chromium (`apt-get install -y chromium`) and the test tools "
               "(`pip install -r requirements-dev.txt`)")

_server: Server | None = None


def _unavailable(reason: str):
    if os.environ.get("SSNN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests cannot run: {reason} (SSNN_REQUIRE_BROWSER=1, so this is an error)")
    pytest.skip(f"browser tests skipped: {reason}; to run them, {ENABLE_HINT}")


@pytest.fixture(scope="session")
def playwright_sync():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_sync):
    try:
        b = playwright_sync.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001 - a broken Chromium install
        _unavailable(f"Chromium at {CHROMIUM} did not start: {str(exc).splitlines()[0]}")
    yield b
    b.close()


@pytest.fixture(scope="session")
def app_url(mnist_path, playwright_sync):
    """`streamlit run app.py` on 127.0.0.1:<free port>, serving the real MNIST; stopped at the end."""
    global _server
    env = dict(os.environ, SSNN_MNIST=str(mnist_path))
    server = Server(env=env)
    try:
        url = server.start(timeout=60)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    _server = server
    yield url
    _server = None
    server.stop()
    server.remove_log()


def session_page(browser, **options):
    """A page in a fresh browser context (= a fresh Streamlit session) with `options` (viewport, user agent,
    ...), collecting its JavaScript errors in `page.js_errors`; close it with `page.context.close()`."""
    ctx = browser.new_context(**options)
    ctx.set_default_timeout(TIMEOUT_MS)
    p = ctx.new_page()
    p.js_errors = []
    p.on("pageerror", lambda exc: p.js_errors.append(str(exc)))
    return p


@pytest.fixture
def page(browser, app_url):
    """A fresh session per test, 1400x1000."""
    p = session_page(browser, viewport=VIEWPORT)
    yield p
    p.context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing browser test, attach the tail of the server's log to the report."""
    report = yield
    if report.failed and _server is not None and "browser" in item.keywords:
        report.sections.append(("streamlit server log (tail)", _server.log_tail(120)))
    return report


# ------------------------------------------------------------------ helpers


def wait_ready(page, timeout: float = TIMEOUT_MS) -> None:
    """The app is drawn and its script has finished (state `notRunning`)."""
    page.wait_for_selector(APP, timeout=timeout)
    page.wait_for_selector(APP_IDLE, timeout=timeout)


NARROW_REPORT_S = 1.0   # on a narrow screen the browser reports its width once a session starts (ssnn_app.viewport)


def goto(page, url: str, timeout: float = TIMEOUT_MS) -> None:
    """Open `url`, wait until the app is drawn and idle; on a phone-sized window also for the one rerun that
    the width report makes, so that what the test opens next (a popover, a menu) is not redrawn under it."""
    page.goto(url, timeout=timeout)
    wait_ready(page, timeout)
    if page.evaluate("() => window.innerWidth") < 640:
        time.sleep(NARROW_REPORT_S)
        wait_ready(page, timeout)


# The watcher observes the whole document, not one stApp node (a page switch may draw a new one), and
# reads each change's old value: a short rerun whose two changes (to `running`, back to `notRunning`)
# both land before the observer's callback is still seen.
_WATCH = """() => {
  window.__ssnnRan = false;
  if (window.__ssnnObs) window.__ssnnObs.disconnect();
  window.__ssnnObs = new MutationObserver(records => {
    for (const r of records)
      if (r.oldValue !== 'notRunning' || r.target.getAttribute('data-test-script-state') !== 'notRunning')
        window.__ssnnRan = true;
  });
  window.__ssnnObs.observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                                      attributeFilter: ['data-test-script-state']});
}"""
_BACK_IDLE = """() => window.__ssnnRan &&
  document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'"""
_IDLE = """() => { const a = document.querySelector('[data-testid="stApp"]');
  return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""
UNSEEN_RERUN_S = 20   # an action whose rerun was never seen: go on once the app is idle (what follows checks the page)


def watch_rerun(page) -> None:
    """Start watching for a rerun; `wait_rerun_done` then waits until one has run and finished."""
    page.evaluate(_WATCH)


def wait_rerun_done(page, timeout: float = TIMEOUT_MS) -> None:
    """Wait for the watched rerun to finish. If none is seen within UNSEEN_RERUN_S (an action that needs
    no rerun, or one too quick for the browser to show), wait for the app to be idle instead."""
    try:
        page.wait_for_function(_BACK_IDLE, timeout=min(timeout, UNSEEN_RERUN_S * 1000), polling=50)
    except Exception as exc:  # playwright's TimeoutError
        if "Timeout" not in type(exc).__name__ or timeout <= UNSEEN_RERUN_S * 1000:
            raise
        page.wait_for_function(_IDLE, timeout=timeout - UNSEEN_RERUN_S * 1000, polling=50)


def click_and_wait(page, locator, timeout: float = TIMEOUT_MS) -> None:
    """Click a widget and wait for the rerun it causes to finish."""
    watch_rerun(page)
    locator.click(timeout=timeout)
    wait_rerun_done(page, timeout)


def nav_link(page, name: str):
    """The sidebar's link to a page: the link holding a label exactly `name` (beside an emoji, or a Material
    icon whose ligature text, e.g. 'landscape', is part of the link's text)."""
    return page.locator('[data-testid="stSidebarNav"] a').filter(has=page.get_by_text(name, exact=True))


def nav_to(page, name: str, heading: str) -> None:
    """Go to another page inside the same session through the sidebar; wait for its run to finish."""
    from playwright.sync_api import expect

    watch_rerun(page)
    nav_link(page, name).click(timeout=EXPECT_MS)
    page.wait_for_url(re.compile(rf"/{name.replace(' ', '_')}(\?|$)"), timeout=TIMEOUT_MS)
    wait_rerun_done(page)
    expect(page.locator(MAIN).get_by_role("heading", name=heading)).to_be_visible(timeout=EXPECT_MS)
    wait_ready(page)
    assert_no_exception(page)


def assert_no_exception(page) -> None:
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        text = " ".join(boxes.first.inner_text().split())
        raise AssertionError(f"{boxes.count()} exception(s) drawn on {page.url}: {text[:1500]}")


def screenshot(page, name: str, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
