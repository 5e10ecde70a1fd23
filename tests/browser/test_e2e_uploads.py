"""End to end in Chromium: a zip of one's own images, uploaded on the Data page, trained on the Train page,
and its classes named on Weights and Mistakes.

The data set and the model live in the browser session, so the test moves between pages through the
sidebar (a fresh URL load would start a new session); the settings come from the first page's URL.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.test_app_uploads import make_zip, shape_png

from .conftest import (
    EXPECT_MS,
    MAIN,
    assert_no_exception,
    click_and_wait,
    goto,
    nav_to,
    screenshot,
    wait_ready,
    wait_rerun_done,
    watch_rerun,
)
from .test_e2e_pages import status_text

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

TRAIN_TIMEOUT_S = 240
KINDS = ("circle", "bar", "cross")     # the folders; classes in name order: bar, circle, cross


def shapes_zip(path, n: int = 8):
    """n drawings of each kind (the AppTests' own, tests/test_app_uploads.py), one folder per kind."""
    files = {f"my-shapes/{kind}/{kind}-{k}.png": shape_png(kind, k) for kind in KINDS for k in range(n)}
    path.write_bytes(make_zip(files))
    return path


def test_upload_a_zip_train_on_it_and_see_its_classes(page, app_url, tmp_path):
    zipped = shapes_zip(tmp_path / "shapes.zip")
    goto(page, f"{app_url}/?iters=30&n1=10")
    nav_to(page, "Data", "The data: handwritten digits as numbers")
    main = page.locator(MAIN)

    # the Data page offers another data set even though the server has MNIST
    expander = main.locator('[data-testid="stExpander"]').filter(has_text="Use another data set")
    expander.locator("summary").click()
    expect(expander).to_contain_text("one folder per class (2 to 10 folders", timeout=EXPECT_MS)
    expect(expander).to_contain_text("picked by a shuffle with seed 0", timeout=EXPECT_MS)
    uploader = expander.locator('[data-testid="stFileUploaderDropzoneInput"]')
    watch_rerun(page)
    uploader.set_input_files(str(zipped))
    wait_rerun_done(page)
    expect(expander.get_by_text("shapes.zip")).to_be_visible(timeout=EXPECT_MS)
    expect(expander.locator('input[aria-label="What is it?"]')).to_have_count(0, timeout=EXPECT_MS)  # not for a zip
    click_and_wait(page, expander.get_by_role("button", name="Use these files"))
    expect(main.get_by_role("heading", name="The data: shapes.zip images as numbers")).to_be_visible(
        timeout=EXPECT_MS)
    expect(main).to_contain_text("Loaded shapes.zip: 3 classes (bar, circle, cross), 21 training and 3 test images.",
                                 timeout=EXPECT_MS)
    expect(main).to_contain_text("images of bar and circle", timeout=EXPECT_MS)
    assert_no_exception(page)
    screenshot(page, "uploaded-zip-data", full_page=False)

    # train on it
    nav_to(page, "Train", "Train the network")
    page.get_by_role("button", name="▶ Train", exact=True).click()
    deadline, done = time.monotonic() + TRAIN_TIMEOUT_S, "Iteration 30 / 30 · done"
    while done not in (text := status_text(page)):
        assert "diverged" not in text, text
        if time.monotonic() > deadline:
            assert_no_exception(page)
            raise AssertionError(f"training never reached {done!r} in {TRAIN_TIMEOUT_S} s; last: {text!r}")
        time.sleep(0.1)
    wait_ready(page)
    assert_no_exception(page)

    # Weights and Mistakes call the classes by their folders' names
    nav_to(page, "Weights", "What the hidden neurons look for")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_contain_text("784→10→1, classes bar/circle", timeout=EXPECT_MS)
    expect(main).to_contain_text("it votes for circle, negative (blue) for bar", timeout=EXPECT_MS)
    votes = main.locator('[data-testid="stMetric"]', has_text="votes for").first
    expect(votes.locator('[data-testid="stMetricValue"]')).to_have_text(re.compile(r"^(bar|circle)$"),
                                                                        timeout=EXPECT_MS)
    assert "digit 0" not in main.inner_text() and "digit 1" not in main.inner_text()
    page.wait_for_function("""() => { const g = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
      return g && g._fullData && g._fullData.length; }""", timeout=EXPECT_MS)
    assert_no_exception(page)
    screenshot(page, "uploaded-zip-weights")

    nav_to(page, "Mistakes", "The images it gets wrong, and why")
    expect(main).to_contain_text("of 2 test images are misclassified", timeout=EXPECT_MS)
    expect(main).to_contain_text("P(circle) is the network's probability that the image is a circle", timeout=EXPECT_MS)
    captions = main.locator('[data-testid="stImageCaption"]')
    expect(captions.first).to_contain_text("P(circle)", timeout=EXPECT_MS)
    texts = [" ".join(t.split()) for t in captions.all_inner_texts()]
    assert texts and all(t.startswith(("true bar ·", "true circle ·")) for t in texts), texts
    assert_no_exception(page)
    assert not page.js_errors, page.js_errors

