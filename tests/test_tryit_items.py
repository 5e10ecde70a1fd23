"""Issue #15, items 3 and 19, on the Try it page.

3: an upload that is already an MNIST image (28x28, grayscale, light ink on black) is used as it is, so it
   gets the answer the other pages give the same test image; any upload can be read either way.
19: one number format for standardised values, activations and votes (the warning, the hovers, the
   ticks), and the input's colour bar says where it clips.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ssnn_app import fig_tryit, readmodel
from ssnn_core import explain, load_mnist, select_digits
from ssnn_core import images as core_images
from ssnn_core.images import AS_IS, RECIPE, load_image
from tests.apptools import TRYIT, figures, trained
from tests.conftest import draw_digit


def png(img: np.ndarray, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format=fmt, **kw)
    return buf.getvalue()


def mnist_like(seed: int = 0) -> np.ndarray:
    return draw_digit(1, np.random.default_rng(seed))


def photo_like() -> np.ndarray:
    """A dark bar on white paper, 120 x 90: anything but MNIST's kind."""
    a = np.full((120, 90), 250, np.uint8)
    a[20:100, 60:70] = 10
    return a


# ---------------------------------------------------------------- 3: the core reads an MNIST image as it is


def test_an_mnist_image_is_used_as_it_is():
    img = mnist_like()
    prep = load_image(png(img))
    assert prep.mnist_style and prep.as_is and not prep.inverted and not prep.empty
    np.testing.assert_array_equal(prep.pixels, img)                 # pixel for pixel
    assert [name for name, _ in prep.steps] == ["as it is"]


def test_the_recipe_would_have_changed_it():
    img = mnist_like()
    prep = load_image(png(img), RECIPE)
    assert prep.mnist_style and not prep.as_is
    assert [name for name, _ in prep.steps][-1] == "centred in 28x28"
    assert (prep.pixels != img).any()


@pytest.mark.parametrize("make, why", [
    (lambda: 255 - mnist_like(), "dark ink on a light background"),
    (lambda: np.stack([mnist_like(), np.zeros((28, 28), np.uint8), np.zeros((28, 28), np.uint8)], -1), "colour"),
    (lambda: np.dstack([mnist_like(), mnist_like(), mnist_like(), np.full((28, 28), 128, np.uint8)]),
     "transparent"),
    (lambda: np.pad(mnist_like(), ((0, 1), (0, 1))), "29x29"),
    (photo_like, "a photo"),
])
def test_other_images_still_get_the_recipe(make, why):
    raw = png(make())
    prep = load_image(raw)
    assert not prep.mnist_style and not prep.as_is, why
    np.testing.assert_array_equal(prep.pixels, load_image(raw, RECIPE).pixels)
    assert [name for name, _ in prep.steps][-1] == "centred in 28x28", why


def test_grey_as_rgb_and_grey_jpeg_count_as_mnist_images():
    img = mnist_like()
    assert load_image(png(np.stack([img] * 3, -1))).mnist_style
    prep = load_image(png(img, "JPEG", quality=95))
    assert prep.mnist_style and prep.as_is and np.abs(prep.pixels.astype(int) - img).max() < 40


def test_any_image_can_be_used_as_it_is():
    prep = load_image(png(photo_like()), AS_IS)
    assert prep.as_is and not prep.mnist_style and not prep.inverted
    assert prep.pixels.shape == (28, 28) and prep.pixels.dtype == np.uint8
    assert [name for name, _ in prep.steps] == ["grayscale", "resized to 28x28"]
    assert prep.pixels[0, 0] == 250 and prep.pixels.min() < 100   # light paper kept, the bar still dark
    assert load_image(png(np.zeros((40, 40), np.uint8)), AS_IS).empty


def test_a_bad_way_to_read_is_refused():
    with pytest.raises(ValueError, match="how must be one of"):
        load_image(png(mnist_like()), "sideways")


def test_step_names_are_known_to_the_page():
    for name in ("as it is", "resized to 28x28"):
        assert name in fig_tryit.STEP_NAMES
    assert fig_tryit.step_name("resized to 28x28") == "resized to 28x28"


@pytest.mark.mnist
def test_real_test_image_1749_comes_back_unchanged(mnist_path):
    pair = select_digits(load_mnist(mnist_path), (0, 1))
    img = pair.x_test[1749].reshape(28, 28)
    prep = load_image(png(img))
    assert prep.mnist_style and prep.as_is
    np.testing.assert_array_equal(prep.pixels, img)
    assert (load_image(png(img), RECIPE).pixels != img).sum() > 0          # the recipe moved pixels: 13 of them


# ---------------------------------------------------------------- 3: the page


def confidence(at) -> str:
    return next(m.value for m in at.metric if m.label == "Confidence")


def said(at) -> str:
    return next(m.value for m in at.metric if m.label == "The network says")


def expected(view, pixels) -> tuple[str, str]:
    """What the page should say for `pixels`: the digit and the confidence, as fig_tryit writes them."""
    p = fig_tryit.predict_digit(view.params, view.scaler, view.names, pixels)
    return str(p.digit), fig_tryit.percent(p.confidence)


@pytest.mark.usefixtures("app_synthetic")
def test_upload_of_a_test_image_gets_the_evaluations_answer(app_synthetic):
    at = trained(TRYIT, iterations=30)
    view = readmodel.view_of(at.session_state["run"])
    x_test = view.pair.x_test.reshape(-1, 28, 28)
    # a test image that the recipe would answer differently (as #1749 was, 63 % instead of 100 %)
    k = next(k for k in range(len(x_test))
             if expected(view, x_test[k]) != expected(view, load_image(png(x_test[k]), RECIPE).pixels))
    p = view.evaluation.proba[k]
    at.radio(key="w_try_source").set_value("Upload").run()
    at.file_uploader(key="try_upload").upload(f"test-{k}.png", png(x_test[k]), "image/png").run()
    assert not at.exception and not at.error
    assert (said(at), confidence(at)) == (view.names[int(p > 0.5)], fig_tryit.percent(max(p, 1 - p)))
    assert at.radio(key="w_try_upload_how").value == AS_IS               # detected: used as it is
    assert any("like MNIST's: used as it is" in c.value for c in at.caption)
    assert any(m.value == "**Used as it is**" for m in at.markdown)
    # the other way, on request
    at.radio(key="w_try_upload_how").set_value(RECIPE).run()
    assert (said(at), confidence(at)) == expected(view, load_image(png(x_test[k]), RECIPE).pixels)
    assert any(m.value == "**Made MNIST-like, step by step**" for m in at.markdown)
    # a photo: the recipe by default, as it is on request
    at.file_uploader(key="try_upload").upload("photo.png", png(photo_like()), "image/png").run()
    assert at.radio(key="w_try_upload_how").value == RECIPE
    assert (said(at), confidence(at)) == expected(view, load_image(png(photo_like()), RECIPE).pixels)
    at.radio(key="w_try_upload_how").set_value(AS_IS).run()
    assert not at.exception
    assert (said(at), confidence(at)) == expected(view, load_image(png(photo_like()), AS_IS).pixels)
    assert any("Used as it is: MNIST's images are 28×28" in c.value for c in at.caption)


# ---------------------------------------------------------------- 19: one number format, the clipping said


@pytest.mark.parametrize("value, sign, text", [
    (2.07e11, False, "2.07e+11"), (3e9, False, "3e+9"), (0.5, False, "0.5"), (-12.345, False, "−12.3"),
    (1.5e-5, False, "1.5e-5"), (20.0, False, "20"), (6.4e10, True, "+6.4e+10"), (-0.25, True, "−0.25"),
])
def test_one_number_format(value, sign, text):
    assert fig_tryit.num(value, sign=sign) == text


def test_the_colour_bar_says_where_it_clips():
    x = np.zeros(784)
    x[14 * 28] = 2.07e11                                    # one blank pixel inked, seed scaling
    x[300] = -3.2
    fig = fig_tryit.input_figure(x)
    heat = fig.data[0]
    assert (heat.zmin, heat.zmax) == (-20, 20)
    assert list(heat.colorbar.ticktext) == ["≤ −20", "−10", "0", "10", "≥ 20"]
    assert "clipped at ±20" in heat.colorbar.title.text
    assert fig.layout.title.subtitle.text == "values reach 2.07e+11 std units; colours clipped at ±20"
    assert heat.customdata[14][0] == "2.07e+11" and "%{customdata}" in heat.hovertemplate
    assert heat.colorbar.exponentformat == "e" and heat.colorbar.tickformat == ".3~g"


def test_an_ordinary_input_is_not_said_to_be_clipped():
    x = np.linspace(-3, 4, 784)
    fig = fig_tryit.input_figure(x)
    assert fig.data[0].zmax == 4 and fig.data[0].colorbar.ticktext is None
    assert fig.data[0].colorbar.title.text == "std units" and not fig.layout.title.subtitle.text


def test_activations_and_votes_are_written_one_way():
    a1 = np.array([3.1e9, 0.0, 12.5])
    w2 = np.array([0.0123, -0.5, 1.0])
    params = {"W1": np.eye(3, 784), "b1": np.zeros((3, 1)), "W2": w2.reshape(1, 3), "b2": np.array([[0.1]])}
    x = np.zeros(784)
    x[:3] = a1                                              # A1 = relu(x[:3]) = a1
    e = explain(params, x)
    act = fig_tryit.activations_figure(e, w2, ("0", "1"))
    assert act.layout.yaxis.tickformat == ".3~g"                         # 3e+9, not Plotly's default 3B
    assert [list(r) for r in act.data[0].customdata] == [[fig_tryit.num(a), fig_tryit.num(w)]
                                                          for a, w in zip(e.activations, w2)]
    assert list(act.data[0].customdata[0]) == ["3.1e+9", "0.0123"]
    votes = fig_tryit.contributions_figure(e, ("0", "1"))
    assert votes.layout.yaxis.exponentformat == "e"
    assert votes.data[0].text[0] == fig_tryit.num(e.contributions[0], sign=True) == "+3.81e+7"
    assert votes.data[0].hovertemplate == "%{x}: %{text}<extra></extra>"


@pytest.mark.usefixtures("app_synthetic")
def test_the_warning_and_the_colour_bar_agree(app_synthetic):
    """Seed scaling, and synthetic test #1, which inks a pixel no training image inks (like #1749)."""
    at = trained(TRYIT, iterations=30, scaling="seed")
    view = readmodel.view_of(at.session_state["run"])
    img = view.pair.x_test[1].reshape(28, 28)
    at.radio(key="w_try_source").set_value("Upload").run()
    at.file_uploader(key="try_upload").upload("test-1.png", png(img), "image/png").run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "blank in every training image" in w.value)
    x = view.scaler.transform(img.reshape(1, 784), view.params["W1"].dtype)[:, 0]
    units = fig_tryit.num(np.abs(x).max())
    assert f"they reach {units} standard units" in warning and "stops at ±20" in warning, warning
    spec = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Standardised"))
    assert spec["layout"]["title"]["subtitle"]["text"] == f"values reach {units} std units; colours clipped at ±20"
    assert spec["data"][0]["colorbar"]["ticktext"][-1] == "≥ 20"
    act = next(f for f in figures(at) if f["layout"].get("yaxis", {}).get("title", {}).get("text")
               == "activation A1 (ReLU)")
    assert act["layout"]["yaxis"]["exponentformat"] == "e"


def test_the_ways_to_read_an_upload():
    assert core_images.HOWS == ("auto", "as-is", "recipe") and fig_tryit.HOWS == (AS_IS, RECIPE)
