"""End to end in Chromium, as Streamlit Community Cloud runs the app: its forced settings
(`server.runOnSave = true`, `client.showErrorDetails = false`, a file watcher on), a server that has just
woken up, and a first visitor who arrives through a shared deep link. The memory of server plus training
process, idle with one session, is printed (Cloud gives an app about 690 MB)."""

from __future__ import annotations

import os
import time

import psutil
import pytest
from playwright.sync_api import expect

from bench.load import Server

from .conftest import EXPECT_MS, MAIN, TIMEOUT_MS, VIEWPORT, assert_no_exception, goto, screenshot
from .test_e2e_pages import ALL_PAGES, nav_labels

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]
CLOUD = ["--server.runOnSave", "true", "--client.showErrorDetails", "false", "--server.fileWatcherType", "auto"]
CLOUD_MEMORY_MB = 690


def rss_mb(pid: int) -> float:
    """Resident memory of a process and everything it started (the training process), in MB."""
    root = psutil.Process(pid)
    procs = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def test_cloud_settings_a_woken_server_and_a_deep_link(browser, mnist_path):
    server = Server(env=dict(os.environ, SSNN_MNIST=str(mnist_path)), extra=CLOUD)
    try:
        url = server.start(timeout=90)
        ctx = browser.new_context(viewport=VIEWPORT)
        ctx.set_default_timeout(TIMEOUT_MS)
        page = ctx.new_page()
        # the first visitor of a fresh server, through a shared link to Train, in Chinese, a bad setting in it
        goto(page, f"{url}/Train?lang=zh&iters=40&n1=12&seed=5&lr=banana")
        assert_no_exception(page)
        names = [" ".join(label.split()[1:]) for label in nav_labels(page)]
        assert len(names) == len(ALL_PAGES) and "app" not in names, nav_labels(page)
        expect(page.locator(MAIN)).to_contain_text("lr='banana'", timeout=EXPECT_MS)   # one line, no traceback
        from ssnn_app import i18n
        with i18n.use("zh"):
            train, done = i18n._("▶ Train"), i18n.pgettext("run status", "done")
        page.get_by_role("button", name=train, exact=True).click()
        expect(page.locator(MAIN)).to_contain_text(f"40 / 40 · {done}", timeout=300_000)
        assert_no_exception(page)
        screenshot(page, "cloud-deep-link-trained", full_page=False)
        time.sleep(3)                                      # idle: the chart drawn, nothing training
        idle = rss_mb(server.pid)
        print(f"idle RSS with one session, server + training process: {idle:.0f} MB "
              f"(Cloud's limit {CLOUD_MEMORY_MB} MB)")
        assert idle < CLOUD_MEMORY_MB - 200, f"{idle:.0f} MB idle leaves too little room to train"
        ctx.close()
    finally:
        server.stop()
        server.remove_log()
