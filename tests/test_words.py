"""Wording every page follows (issue #15, item 20): 'an 8', '1 number', a data set's name, never its path."""

from __future__ import annotations

import pytest

from ssnn_app import words
from tests.apptools import DATA, HOME, HOWTO, MISTAKES, app, texts, trained


@pytest.mark.parametrize("digit,said", [(8, "an 8"), (3, "a 3"), (0, "a 0"), (1, "a 1"), ("11", "an 11"),
                                        (80, "an 80"), (18, "an 18")])
def test_article(digit, said):
    assert words.a(digit) == said


def test_plural_and_source_name():
    assert words.plural(1, "number") == "1 number" and words.plural(7861, "number") == "7,861 numbers"
    assert words.plural(1, "inked pixel") == "1 inked pixel" and words.plural(0, "pixel") == "0 pixels"
    assert words.source_name("/srv/data/mnist.npz") == "mnist.npz"
    assert words.source_name("C:\\\\data\\\\mnist.npz").endswith("mnist.npz")
    assert words.source_name("uploaded IDX files") == "uploaded IDX files"


@pytest.mark.usefixtures("app_synthetic")
def test_pages_say_it_right(app_synthetic):
    server_path = str(app_synthetic.parent)
    for page in (HOME, DATA, HOWTO):
        shown = texts(app(page))
        assert server_path not in shown, page
        assert app_synthetic.name in shown or page == HOWTO, page
    shown = texts(trained(HOWTO, iterations=5))                   # the current model's data, by name
    assert server_path not in shown and app_synthetic.name in shown
    assert "· 1 number" in texts(app(HOWTO)) and "1 numbers" not in texts(app(HOWTO))
    at = trained(MISTAKES, iterations=1, learning_rate=0.001, seed=3, digits=(3, 8))
    shown = texts(at)
    assert "is an 8" in shown or "an **8**" in shown
    assert "is a 8" not in shown and "a **8**" not in shown
