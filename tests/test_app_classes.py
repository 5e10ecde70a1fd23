"""Every page shows classes by name (ssnn_app/classes.py): a data set other than MNIST reads as itself,
"T-shirt/top vs Trouser", never "0 vs 1"; the settings offer the data set's classes by name, only as many
as it has, and settings asking for a class it lacks fall back to the first two."""

from __future__ import annotations

import json

import pytest

from ssnn_app import words
from ssnn_core import Hyper, Mnist
from tests.apptools import (
    BOARD,
    DATA,
    HIDDEN,
    HOME,
    KNOCKOUT,
    MISTAKES,
    TRAIN,
    TRYIT,
    WEIGHTS,
    app,
    click_train,
    figures,
    goto,
    texts,
)
from tests.conftest import make_mnist

pytestmark = pytest.mark.usefixtures("app_synthetic")

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SHAPES = ("circle", "bar", "cross")


@pytest.fixture(scope="module")
def fashion() -> Mnist:
    """A small synthetic data set known as Fashion-MNIST (rings for T-shirt/top, bars for Trouser, ...)."""
    return make_mnist(400, 120, seed=11).with_identity("Fashion-MNIST", FASHION)


@pytest.fixture(scope="module")
def shapes() -> Mnist:
    """A user's own images in three folders: circle, bar, cross (labels 0, 1, 2)."""
    m = make_mnist(300, 90, seed=12)
    return Mnist(m.x_train, m.y_train % 3, m.x_test, m.y_test % 3, "shapes.zip").with_identity("shapes.zip", SHAPES)


def session(mnist: Mnist, page: str | None = None, **query):
    """A session that uploaded `mnist` as its data set, then on `page`."""
    at = app(**query)
    at.session_state["uploaded_mnist"] = mnist
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return goto(at, page) if page else at


def trained_on(mnist: Mnist, page: str | None = None, **settings):
    at = session(mnist, TRAIN)
    at.session_state["hyper"] = Hyper(iterations=20, **settings)
    at.run()
    click_train(at)
    assert not at.exception, [e.value for e in at.exception]
    return goto(at, page) if page else at


def everything(at) -> str:
    """What a page says, its figures and its widgets' options and labels included."""
    parts = [texts(at), *(json.dumps(f, ensure_ascii=False) for f in figures(at)),
             *(str(e.value) for e in [*at.title, *at.header, *at.subheader])]
    for kind in ("selectbox", "radio", "multiselect"):
        for w in at.get(kind):
            parts += [str(w.label), *map(str, getattr(w, "options", []))]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(c) for img in at.image for c in (img.captions or [])]
    return "\n".join(parts)


def by_name(at, page: str) -> str:
    shown = everything(at)
    assert "T-shirt/top" in shown and "Trouser" in shown, page
    assert "0 vs 1" not in shown and "digits 0/1" not in shown and "0v1" not in shown, page
    return shown


def test_home_and_data_name_the_classes(fashion):
    at = session(fashion)
    shown = by_name(at, HOME)
    assert "learns to tell **T-shirt/top** from **Trouser** in Fashion-MNIST" in shown
    assert "handwritten" not in texts(at) and "the probability the image is a **Trouser**" in shown
    assert "images of T-shirt/top and Trouser" in shown
    at = goto(at, DATA)
    shown = by_name(at, DATA)
    assert "Fashion-MNIST images of **T-shirt/top** and **Trouser**" in shown
    assert at.radio(key="data_browse_digit").options == ["T-shirt/top", "Trouser"]
    balance = next(f for f in figures(at) if f["data"][0].get("type") == "bar")
    assert balance["data"][0]["x"] == ["T-shirt/top", "Trouser"]                  # not "digit 0"
    assert "average T-shirt/top" in shown and "average Trouser" in shown
    at.radio(key="data_browse_digit").set_value(1).run()
    assert not at.exception and "images of Trouser" in texts(at)


def test_the_picker_offers_the_classes_by_name(fashion):
    at = session(fashion, TRAIN)
    a, b = at.selectbox(key="w_digit_a"), at.selectbox(key="w_digit_b")
    assert a.options == list(FASHION) and b.options == list(FASHION)
    assert a.label == "Class A (label 0)" and a.value == 0 and b.value == 1
    b.set_value(9).run()                                                # the value stays a number
    assert not at.exception and at.session_state["hyper"].digits == (0, 9)
    assert at.selectbox(key="w_digit_b").value == 9
    assert "Ankle boot" in texts(goto(at, HOME))


def test_train_and_the_inside_pages_name_the_classes(fashion):
    at = trained_on(fashion)
    shown = by_name(at, TRAIN)
    assert "true Trouser" in shown and "predicted T-shirt/top" in shown          # the confusion matrix
    assert "Rows are the true class" in shown
    for page in (WEIGHTS, MISTAKES, TRYIT, HIDDEN, KNOCKOUT):
        goto(at, page)
        shown = by_name(at, page)
        assert "classes T-shirt/top/Trouser" in shown, page                      # the sidebar's model line
        if page == WEIGHTS:
            assert "votes for **Trouser**" in shown and "votes for Trouser" in shown
            assert "output weight (votes Trouser … votes T-shirt/top)" in shown
        if page == MISTAKES:
            assert "P(Trouser)" in shown and "true T-shirt/top" in shown and "true Trouser" in shown
            assert "The images it gets wrong, and why" in shown
        if page == HIDDEN:
            assert "true T-shirt/top" in shown and "says T-shirt/top" in shown
        if page == KNOCKOUT:
            assert "red votes Trouser, blue T-shirt/top" in shown
    at = goto(at, TRYIT)
    at.radio(key="w_try_source").set_value("Examples").run()
    assert not at.exception
    shown = by_name(at, TRYIT)
    said = next(m.value for m in at.metric if m.label == "The network says")
    assert said in ("T-shirt/top", "Trouser")
    assert "a T-shirt/top" in shown and "a Trouser" in shown                    # the probability bars, examples
    assert "Fashion-MNIST test image #" in shown and "MNIST test image #" not in shown.replace("Fashion-MNIST", "")


def test_the_class_board_names_the_classes(fashion):
    at = trained_on(fashion, BOARD)
    shown = by_name(at, BOARD)
    assert "T-shirt/top vs Trouser" in shown
    table = at.dataframe[0].value
    assert "classes" in table.columns and "T-shirt/top vs Trouser" in set(table["classes"])


def test_three_classes_offer_three_names_and_settings_beyond_them_fall_back(shapes):
    at = session(shapes, TRAIN)
    assert at.selectbox(key="w_digit_a").options == list(SHAPES)
    assert at.selectbox(key="w_digit_b").options == list(SHAPES)
    at = session(shapes, digits="3-8")                         # a link asking for classes 3 and 8, then the upload
    assert at.session_state["hyper"].digits == (0, 1)
    warnings = [w.value for w in at.warning]
    assert any("shapes.zip has 3 classes and no class 8" in w and "circle vs bar" in w for w in warnings), warnings
    at = goto(at, TRAIN)
    assert at.selectbox(key="w_digit_a").value == 0 and at.selectbox(key="w_digit_b").value == 1
    assert "circle" in texts(at) or "circle" in everything(at)


def test_articles_before_class_names():
    assert [words.a(n) for n in ("Trouser", "Ankle boot", "T-shirt/top", "o (お)", "uniform", "hour")] == [
        "a Trouser", "an Ankle boot", "a T-shirt/top", "an o (お)", "a uniform", "an hour"]
    assert [words.a(d) for d in (8, 3, "11", 18, 80)] == ["an 8", "a 3", "an 11", "an 18", "an 80"]
    assert words.class_label("3") == "digit 3" and words.class_label("Trouser") == "Trouser"
