"""User images to MNIST-like 28x28 inputs: the recipe, every input mode, and the refusals."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ssnn_core import images
from ssnn_core.config import ImageError
from ssnn_core.images import load_image, prepare_array
from tests.conftest import draw_digit


def encode(img: Image.Image, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def dark_on_light(h=120, w=90) -> np.ndarray:
    """A black vertical stroke on white paper, off centre: (h, w) uint8."""
    a = np.full((h, w), 250, np.uint8)
    a[20:100, 60:70] = 10
    return a


def centre_of_mass(p: np.ndarray) -> tuple[float, float]:
    m = p.astype(float)
    return (m.sum(1) @ np.arange(28)) / m.sum(), (m.sum(0) @ np.arange(28)) / m.sum()


def ink_box(p: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(p.any(1)), np.flatnonzero(p.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_recipe_on_a_photo_like_image():
    prep = load_image(encode(Image.fromarray(dark_on_light())))
    assert prep.pixels.shape == (28, 28) and prep.pixels.dtype == np.uint8
    assert prep.inverted and not prep.empty
    assert [name for name, _ in prep.steps] == ["grayscale", "inverted (light background)", "cropped to the ink",
                                               "scaled to 20 px", "centred in 28x28"]
    assert all(s.ndim == 2 and s.dtype == np.uint8 for _, s in prep.steps)
    assert prep.steps[2][1].shape == (80, 10)             # cropped exactly to the stroke
    assert max(prep.steps[3][1].shape) == 20              # longer side 20, aspect kept: 20 x 2-3
    assert max(ink_box(prep.pixels)) == 20
    r, c = centre_of_mass(prep.pixels)
    assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5
    assert prep.pixels[prep.pixels > 0].max() == 255       # white ink on black, like MNIST
    assert prep.pixels[0].max() == 0


def test_recipe_is_stable_on_its_own_output():
    """An image already made the MNIST way comes back (nearly) unchanged."""
    rng = np.random.default_rng(0)
    for label in (0, 1, 6):
        once = load_image(encode(Image.fromarray(255 - draw_digit(label, rng)))).pixels
        twice = prepare_array(once)
        assert not twice.inverted
        assert np.abs(twice.pixels.astype(int) - once.astype(int)).mean() < 3


@pytest.mark.mnist
def test_real_mnist_digits_survive_the_recipe(mnist_path):
    from ssnn_core.data import load_mnist
    x = load_mnist(mnist_path).x_test[:20]
    diffs = [np.abs(load_image(encode(Image.fromarray(255 - d))).pixels.astype(int) - d).mean() for d in x]
    # a digit whose faintest edge pixels count as noise is cropped a pixel tighter and lands shifted
    assert np.median(diffs) < 3 and sum(d < 5 for d in diffs) >= 18


def test_sources_path_bytes_and_file(tmp_path):
    raw = encode(Image.fromarray(dark_on_light()))
    (tmp_path / "d.png").write_bytes(raw)
    a = load_image(tmp_path / "d.png").pixels
    np.testing.assert_array_equal(a, load_image(str(tmp_path / "d.png")).pixels)
    np.testing.assert_array_equal(a, load_image(raw).pixels)
    np.testing.assert_array_equal(a, load_image(io.BytesIO(raw)).pixels)


def test_jpeg_is_accepted():
    prep = load_image(encode(Image.fromarray(dark_on_light()).convert("RGB"), "JPEG", quality=80))
    assert not prep.empty and max(ink_box(prep.pixels)) == 20


def test_light_ink_on_dark_is_not_inverted():
    prep = load_image(encode(Image.fromarray(255 - dark_on_light())))
    assert not prep.inverted and prep.steps[1][0] == "kept (dark background)"
    np.testing.assert_array_equal(prep.pixels, load_image(encode(Image.fromarray(dark_on_light()))).pixels)


@pytest.mark.parametrize("mode", ["L", "RGB", "P", "1", "CMYK", "I;16", "LA", "RGBA"])
def test_image_modes(mode):
    img = Image.fromarray(dark_on_light())
    if mode == "I;16":
        img = Image.fromarray(dark_on_light().astype(np.uint16) * 257)
    else:
        img = img.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    prep = load_image(encode(img, fmt))
    assert prep.inverted and not prep.empty and max(ink_box(prep.pixels)) == 20


@pytest.mark.parametrize("ink", [0, 255])
def test_transparent_background_is_composited(ink):
    """Strokes on a transparent background, dark or light: the transparent part becomes background."""
    a = np.zeros((100, 100, 4), np.uint8)
    a[10:90, 45:55] = (ink, ink, ink, 255)
    for prep in (load_image(encode(Image.fromarray(a, "RGBA"))), prepare_array(a)):
        assert not prep.empty and prep.inverted == (ink == 0)
        assert max(ink_box(prep.pixels)) == 20 and prep.pixels.max() == 255


def test_palette_with_transparency():
    img = Image.fromarray(dark_on_light()).convert("P")
    img.info["transparency"] = int(np.asarray(img)[0, 0])    # the paper colour is transparent
    assert not load_image(encode(img)).empty


def test_animated_png_takes_the_first_frame():
    first, second = Image.fromarray(dark_on_light()), Image.fromarray(np.full((120, 90), 250, np.uint8))
    raw = encode(first, save_all=True, append_images=[second], duration=100)
    np.testing.assert_array_equal(load_image(raw).pixels, load_image(encode(first)).pixels)


@pytest.mark.parametrize("arr", [np.full((50, 50), 255, np.uint8), np.zeros((50, 50), np.uint8),
                                 np.zeros((50, 50, 4), np.uint8), np.full((30, 30), 128, np.uint8)])
def test_no_ink_is_empty_not_an_error(arr):
    prep = prepare_array(arr)
    assert prep.empty and not prep.pixels.any() and prep.pixels.shape == (28, 28)


def test_faint_noise_is_not_ink():
    rng = np.random.default_rng(0)
    a = np.clip(235 + rng.normal(0, 3, (80, 80)), 0, 255).astype(np.uint8)   # paper texture only
    assert prepare_array(a).empty


def test_canvas_arrays():
    grey = 255 - dark_on_light()
    np.testing.assert_array_equal(prepare_array(grey).pixels, prepare_array(grey / 255.0).pixels)
    np.testing.assert_array_equal(prepare_array(grey).pixels, prepare_array(np.stack([grey] * 3, -1)).pixels)
    np.testing.assert_array_equal(prepare_array(grey).pixels, prepare_array(grey > 127).pixels)
    tiny = np.zeros((3, 3), np.uint8)
    tiny[1, 1] = 255
    assert max(ink_box(prepare_array(tiny).pixels)) == 20   # a dot is scaled up, as MNIST would


@pytest.mark.parametrize("arr, message", [
    (np.zeros((0, 5), np.uint8), "0x0|5x0|at most"),
    (np.zeros((5, 5, 2), np.uint8), "expected an"),
    (np.zeros((5000, 3), np.uint8), "at most"),
    (np.array([["a"]]), "expected an"),
    (np.full((5, 5), np.nan), "NaN"),
])
def test_bad_arrays(arr, message):
    with pytest.raises(ImageError, match=message):
        prepare_array(arr)


# ---------------------------------------------------------------- refusals


def test_text_file_named_png_is_refused(tmp_path):
    (tmp_path / "x.png").write_text("I am not a picture\n")
    with pytest.raises(ImageError, match="not a PNG or JPEG image"):
        load_image(tmp_path / "x.png")


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP"])
def test_other_formats_refused(fmt):
    raw = encode(Image.fromarray(dark_on_light()), fmt)
    with pytest.raises(ImageError, match="not a PNG or JPEG"):
        load_image(raw)


def test_too_many_bytes_refused(tmp_path, monkeypatch):
    with pytest.raises(ImageError, match="larger than 5 MB"):
        load_image(b"\0" * (images.MAX_BYTES + 1))
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.truncate(images.MAX_BYTES + 1)  # sparse: no real disk used
    with pytest.raises(ImageError, match="larger than 5 MB"):
        load_image(big)


def test_too_many_pixels_refused_before_decoding():
    raw = encode(Image.new("1", (4001, 10)))                 # tiny file, too wide
    with pytest.raises(ImageError, match="4001x10 pixels"):
        load_image(raw)
    raw = encode(Image.new("1", (4000, 4001)))
    with pytest.raises(ImageError, match="at most 4000x4000"):
        load_image(raw)


@pytest.mark.parametrize("side", [12, 20])   # Pillow warns above MAX_IMAGE_PIXELS, raises above twice that
def test_pillow_decompression_bomb_becomes_image_error(monkeypatch, side):
    raw = encode(Image.new("L", (side, side), 255))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageError, match="decompression bomb"):
        load_image(raw)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_images_refused(fmt):
    raw = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), dtype=np.uint8)), fmt)
    with pytest.raises(ImageError, match="truncated or corrupt|not a readable"):
        load_image(raw[: len(raw) // 2])


def test_corrupt_png_refused():
    raw = bytearray(encode(Image.fromarray(dark_on_light())))
    for i in range(60, 120):
        raw[i] ^= 0xA5
    with pytest.raises(ImageError):
        load_image(bytes(raw))


@pytest.mark.parametrize("source, message", [(b"", "0 bytes"), (12, "cannot read an image from int"),
                                             ("/no/such/file.png", "no such file")])
def test_odd_sources(source, message):
    with pytest.raises(ImageError, match=message):
        load_image(source)


def test_folder_and_text_mode_file(tmp_path):
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)
    (tmp_path / "t.png").write_text("x")
    with open(tmp_path / "t.png") as f, pytest.raises(ImageError, match="binary mode"):
        load_image(f)
