"""The Data and How it works pages in Streamlit's AppTest, on the real MNIST (SSNN_MNIST).

Pages are reached from app.py with switch_page, as a user does (st.page_link needs the page registry).
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest

from ssnn_app import widgets
from ssnn_core import Hyper, load_mnist, select_digits
from tests.apptools import click_train

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.mnist, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair():
    path = os.environ.get("SSNN_MNIST")
    if not path or not Path(path).exists():
        if os.environ.get("SSNN_REQUIRE_MNIST") == "1":
            pytest.fail(f"SSNN_REQUIRE_MNIST=1 but SSNN_MNIST={path!r} is not a file")
        pytest.skip("set SSNN_MNIST to the real mnist.npz")
    return select_digits(load_mnist(path), (0, 1))


def open_page(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
                     + [i.value for i in at.info])


def grid_indices(at) -> list[int]:
    return [int(c.lstrip("#")) for c in at.image[0].captions]


def test_data_page_browses_and_shows_pixels(pair, monkeypatch):
    """The pixel table is the only dataframe on the page (AppTest does not expose dataframe keys)."""
    pictures = []
    real_png = widgets.digit_png
    monkeypatch.setattr(widgets, "digit_png", lambda px, scale=4: pictures.append((np.array(px), scale))
                        or real_png(px, scale))
    at = open_page("pages/1_Data.py")
    zeros, ones_test = np.flatnonzero(pair.y_train == 0), np.flatnonzero(pair.y_test == 1)
    assert grid_indices(at) == list(zeros[:40])
    assert "167 of the 784 pixels are blank in every training image" in texts(at)

    at.pagination(key="data_page_train_0").set_value(3).run()
    assert grid_indices(at) == list(zeros[80:120])
    at.radio(key="data_browse_split").set_value("test").run()
    at.radio(key="data_browse_digit").set_value(1).run()
    assert not at.exception
    assert at.pagination(key="data_page_test_1").value == 1   # a new class starts at page 1
    assert grid_indices(at) == list(ones_test[:40])

    at.radio(key="data_split").set_value("test").run()
    at.number_input(key="data_index").set_value(7).run()
    shown = at.dataframe[0].value.to_numpy()
    np.testing.assert_array_equal(shown, pair.x_test[7].reshape(28, 28))
    big = [px for px, scale in pictures if scale == 6]
    np.testing.assert_array_equal(big[-1], shown)             # the picture beside the table is the same digit


def test_data_page_preset_shows_the_seed_explosion(pair):
    at = open_page("pages/1_Data.py")
    at.radio(key="data_split").set_value("train").run()
    at.number_input(key="data_index").set_value(12000).run()
    at.button(key="b_data_preset").click().run()             # -> test #1749, clamped index must not break
    assert not at.exception
    assert at.radio(key="data_split").value == "test" and at.number_input(key="data_index").value == 1749
    np.testing.assert_array_equal(at.dataframe[0].value.to_numpy(), pair.x_test[1749].reshape(28, 28))
    warning = " ".join(w.value for w in at.warning)
    assert "test #1749" in warning
    seed_max = float(re.search(r"makes it \*\*([0-9.e+]+)\*\*", warning).group(1))
    assert seed_max > 1e9
    # and switching back to train with a too-large index is clamped, not an error
    at.number_input(key="data_index").set_value(2000).run()
    at.radio(key="data_split").set_value("train").run()
    assert not at.exception


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _gradcheck(at) -> float:
    at.button(key="b_gradcheck").click().run()
    assert not at.exception
    worst = float(_metric(at, "worst relative error"))
    assert at.success, "the gradient check did not report success"
    return worst


def test_how_it_works_shapes_stages_and_gradient_check(pair):
    at = open_page("pages/5_How_it_works.py")
    assert "freshly initialised network" in texts(at)
    assert "(10, 784)" in texts(at) and _metric(at, "training images m") == "12,665"

    at.session_state["hyper"] = Hyper(hidden=37)
    at.run()
    assert not at.exception
    assert "(37, 784)" in texts(at) and _metric(at, "parameters") == f"{37 * 784 + 37 + 37 + 1:,}"
    assert any(r"(37,\ 784)" in latex.value for latex in at.latex)

    stage = at.segmented_control(key="howto_stage")
    expected = {"Forward": "ReLUs active (Z1 > 0)", "Cost": "cost J", "Backward": None,
                "Update": "cost after one step"}
    for name, metric in expected.items():
        stage.set_value(name).run()
        assert not at.exception, name
        if metric:
            assert any(m.label == metric for m in at.metric), name
    before, after = float(_metric(at, "cost before")), float(_metric(at, "cost after one step"))
    assert after < before < 0.7

    assert _gradcheck(at) < 1e-6


def test_how_it_works_on_a_trained_model(pair):
    at = open_page("pages/5_How_it_works.py")
    at.session_state["hyper"] = Hyper(iterations=30)
    at.switch_page("pages/2_Train.py")
    at.run()
    click_train(at)
    assert not at.exception
    at.switch_page("pages/5_How_it_works.py")
    at.run()
    assert not at.exception
    assert "after 30 iterations" in texts(at)
    at.segmented_control(key="howto_stage").set_value("Update").run()
    assert float(_metric(at, "cost before")) < 0.1             # trained, not a fresh network
    assert _gradcheck(at) < 1e-6
