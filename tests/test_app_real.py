"""The dashboard on the real MNIST: what only the real digits show (the article's run, its cost 0.000849
and its two mistakes, test #1749 and the blank pixels, the real counts). Everything else about the pages
is tested on the synthetic data set (test_app_pages.py, test_app_train.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ssnn_app import readmodel
from ssnn_app.lifecycle import Status
from ssnn_core import load_mnist, select_digits
from tests.apptools import DATA, HOWTO, MISTAKES, WEIGHTS, app, array, click_train, figures, goto, texts, trained

pytestmark = [pytest.mark.mnist, pytest.mark.usefixtures("app_mnist")]


@pytest.fixture
def pair(app_mnist):
    return select_digits(load_mnist(app_mnist), (0, 1))


def test_home_counts_the_real_digits():
    at = app()
    assert "12,665 training and 2,115 test" in texts(at)


@pytest.mark.slow
def test_article_button_reproduces_the_article():
    at = app()
    click_train(at, "b_article")
    assert not at.exception
    run = at.session_state["run"]
    assert (run.hyper.scaling, run.hyper.dtype, run.state.iteration, run.status) == ("seed", "float64", 500,
                                                                                      Status.DONE)
    assert round(run.state.history.train_cost[-1], 6) == 0.000849
    assert readmodel.view_of(run).evaluation.misclassified.tolist() == [1749, 2031]
    assert {m.label: m.value for m in at.metric}["Misclassified"] == "2 of 2,115"


def test_a_short_run_on_the_train_page():
    at = trained(iterations=40)
    run = at.session_state["run"]
    assert run.status is Status.DONE and run.state.iteration == 40
    assert {m.label: m.value for m in at.metric}["Misclassified"].endswith("of 2,115")


def test_data_page_counts_blank_pixels_and_shows_the_seed_explosion(pair):
    at = app(DATA)
    assert "167 of the 784 pixels are blank in every training image" in texts(at)
    at.number_input(key="data_index").set_value(12000).run()
    at.button(key="b_data_preset").click().run()             # -> test #1749; the clamped index must not break
    assert not at.exception
    assert at.radio(key="data_split").value == "test" and at.number_input(key="data_index").value == 1749
    np.testing.assert_array_equal(at.dataframe[0].value.to_numpy(), pair.x_test[1749].reshape(28, 28))
    warning = " ".join(w.value for w in at.warning)
    assert "test #1749" in warning
    assert float(re.search(r"makes it \*\*([0-9.e+]+)\*\*", warning).group(1)) > 1e9


def test_how_it_works_counts_the_real_training_images():
    at = app(HOWTO)
    assert next(m.value for m in at.metric if m.label == "training images m") == "12,665"


@pytest.mark.slow
def test_weights_and_mistakes_for_3_vs_8():
    at = trained(WEIGHTS, digits=(3, 8), iterations=50)
    assert np.count_nonzero(~np.isnan(array(figures(at)[0]["data"][0]["z"]))) == 10 * 784
    goto(at, MISTAKES)
    box = at.selectbox(key="w_mistake")
    assert len(box.options) > 20 and "wrong" in box.options[0]  # dozens wrong after 50 iterations
    at.radio(key="w_mistakes_class").set_value(1).run()
    assert all(o.startswith("true 8") for o in at.selectbox(key="w_mistake").options
               if o.endswith("wrong") and "nearly" not in o)


@pytest.mark.slow
def test_seed_scaling_blames_blank_pixels_for_1749():
    at = trained(MISTAKES, scaling="seed", dtype="float64", iterations=100)  # wrong from iteration 50 on
    box = at.selectbox(key="w_mistake")
    k = next(k for k, o in enumerate(box.options) if "#1749 " in o)
    assert box.options[k].endswith("· wrong")
    box.select_index(k).run()
    assert "Blank pixels are to blame" in texts(at)
    assert (at.dataframe[0].value["standardised value"].astype(float) > 1e8).all()
