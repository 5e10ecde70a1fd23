"""A user's digit (an image file or a drawing-canvas array) made into an MNIST-like 28x28 input.

MNIST was made this way, and so is this: grey levels; white ink on black; crop to the ink; scale so the
longer side is 20 px (antialiased, aspect kept); place in 28x28 with the centre of mass at (14, 14).
Every step's image is kept so the dashboard can show the journey.

An image that is already MNIST's kind (28x28, grayscale, light ink on a dark border, opaque: a test image
saved as a PNG) is used as it is by default: the recipe would crop, rescale and re-centre it and so change the
answer the network gives it (the article's model on MNIST test #1749: P = 1.000 as it is, 0.63 re-made).
`load_image(source, how)` chooses: AUTO (that default), AS_IS (only made grey, and resized to 28x28 if it is
not) or RECIPE.

Untrusted input is checked before any pixel is decoded: only PNG and JPEG (by content, not by name),
at most MAX_BYTES, at most MAX_SIDE x MAX_SIDE and MAX_PIXELS pixels. Every failure is an ImageError
with a one-line message. Images are (H, W) arrays, row first, like everything else in NumPy.
"""

from __future__ import annotations

import io
import os
import stat
import warnings
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps

from .config import ImageError

MAX_BYTES = 5 * 2**20         # a photo of one digit needs far less
MAX_SIDE = 4000               # pixels per side
MAX_PIXELS = 16_000_000       # width * height; checked from the header, before decoding
FORMATS = ("PNG", "JPEG")
SIZE = 28                     # MNIST's field
BOX = 20                      # MNIST's digits fit a 20x20 box inside the field
CENTRE = 14.0                 # MNIST's centre of mass, in pixel-index coordinates (measured: 14.0, 14.0)
MIN_CONTRAST = 32             # ink must stand this far (of 255) above the background, or it is empty
NOISE = 64                    # after stretching to 0..255, fainter pixels are noise, not ink
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R 601 weights, the ones Pillow's convert("L") uses
AUTO, AS_IS, RECIPE = "auto", "as-is", "recipe"   # how load_image reads an image
HOWS = (AUTO, AS_IS, RECIPE)
WORK_SIDE = 1024              # larger images are box-averaged down to this first: a 16 Mpixel
                              # RGBA image in float64 would take ~750 MB (a PNG of ~60 KB can declare one)


@dataclass(frozen=True)
class Prepared:
    """pixels: (28, 28) uint8, white ink on black like MNIST; steps: (name, 2-D uint8 image) in order."""

    pixels: np.ndarray
    steps: list
    empty: bool      # no ink found: pixels are all 0
    inverted: bool   # the background was light, so the grey levels were flipped
    as_is: bool = False        # used as it is (only made grey, resized to 28x28 if it was not): no recipe
    mnist_style: bool = False  # the source is already MNIST's kind (see is_mnist_style): AUTO uses it as it is


# ---------------------------------------------------------------- reading


def _read_bytes(source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; then only regular files are read
            # (/dev/zero, a pipe or a socket would never end or never start)
            fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)
            with open(fd, "rb") as f:
                info = os.fstat(f.fileno())
                if stat.S_ISDIR(info.st_mode):
                    raise IsADirectoryError
                if not stat.S_ISREG(info.st_mode):
                    raise ImageError("{path}: not a regular file (a device or pipe?)", path=os.fspath(source))
                if info.st_size > MAX_BYTES:
                    raise ImageError("{path}: larger than {mb} MB; not a digit image", path=os.fspath(source),
                                     mb=MAX_BYTES >> 20)
                raw = f.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise ImageError("{path}: no such file", path=os.fspath(source)) from None
        except IsADirectoryError:
            raise ImageError("{path}: is a folder, not an image", path=os.fspath(source)) from None
        except OSError as exc:
            raise ImageError("{path}: cannot read ({reason})", path=os.fspath(source),
                             reason=str(exc.strerror or exc)) from None
    elif hasattr(source, "read"):
        raw = source.read(MAX_BYTES + 1)
        if not isinstance(raw, (bytes, bytearray)):
            raise ImageError("image file must be opened in binary mode")
    else:
        raise ImageError("cannot read an image from {kind}", kind=type(source).__name__)
    if len(raw) > MAX_BYTES:
        raise ImageError("image is larger than {mb} MB; not a digit image", mb=MAX_BYTES >> 20)
    if not raw:
        raise ImageError("image is empty (0 bytes)")
    return raw


def _header(raw: bytes) -> Image.Image:
    """Identify the image and size-check it from its header; nothing is decoded yet. Call it inside
    a warnings filter that makes Image.DecompressionBombWarning an error (as _open and check_header do)."""
    try:
        img = Image.open(io.BytesIO(raw), formats=FORMATS)
    except Image.UnidentifiedImageError:
        raise ImageError("not a PNG or JPEG image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError("image has too many pixels (decompression bomb?); refusing to decode it") from None
    except Exception as exc:  # noqa: BLE001 - a malformed header can raise almost anything in a decoder
        raise ImageError("not a readable PNG or JPEG image ({reason})", reason=_why(exc)) from None
    w, h = img.size
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise ImageError("image is {w}x{h} pixels; at most {side}x{side} and {millions} million pixels are "
                         "accepted", w=w, h=h, side=MAX_SIDE, millions=MAX_PIXELS // 1_000_000)
    if w == 0 or h == 0:
        raise ImageError("image is {w}x{h} pixels; nothing to read", w=w, h=h)
    return img


def check_header(raw: bytes) -> tuple[int, int]:
    """(width, height) of PNG or JPEG bytes, read from the header with every check load_image makes
    before it decodes (bytes, format by content, pixels), and the same ImageErrors; nothing is decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _header(_read_bytes(raw)) as img:
            return img.size


def _open(raw: bytes) -> Image.Image:
    """Identify and size-check the image from its header, then decode its first frame."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        img = _header(raw)
        try:
            img.seek(0)                      # an animated PNG: its first frame
            img.load()
            if img.format == "JPEG":
                img = ImageOps.exif_transpose(img)  # phone photos are stored sideways with a rotation tag
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt pixel data
            raise ImageError("image data is truncated or corrupt ({reason})", reason=_why(exc)) from None
    return img


def _why(exc: Exception) -> str:
    """The decoder's reason on one short line, e.g. a PNG text chunk that inflates too far."""
    first = (str(exc).strip().splitlines() or [""])[0][:100]
    return f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__


def _to_arrays(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """-> grey (H, W) float64 in 0..255, and alpha (H, W) in 0..1 or None when fully opaque."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):  # 16-bit and 32-bit grey
        grey = np.asarray(img, dtype=np.float64)
        if grey.max() > 255:
            grey = grey * (255.0 / 65535.0)
        return np.clip(grey, 0, 255), None
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    rgba = np.asarray(img.convert("RGBA" if has_alpha else "RGB"), dtype=np.float64)
    grey = rgba[..., :3] @ LUMA
    alpha = rgba[..., 3] / 255.0 if has_alpha else None
    return grey, alpha


def _array_to_arrays(arr) -> tuple[np.ndarray, np.ndarray | None]:
    a = np.asarray(arr)
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    if a.dtype.kind not in "uif" or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ImageError("expected an (H, W), (H, W, 3) or (H, W, 4) numeric array, got {shape} {dtype}",
                         shape=a.shape, dtype=a.dtype)
    h, w = a.shape[:2]
    if h == 0 or w == 0 or h > MAX_SIDE or w > MAX_SIDE or h * w > MAX_PIXELS:
        raise ImageError("image is {w}x{h} pixels; at most {side}x{side} are accepted", w=w, h=h, side=MAX_SIDE)
    is_float = a.dtype.kind == "f"
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ImageError("image array contains NaN or infinite values")
    if is_float and a.max() <= 1.0:
        a = a * 255.0                                       # floats in 0..1
    a = np.clip(a, 0, 255)
    if a.ndim == 2 or a.shape[2] == 1:
        return a.reshape(h, w), None
    grey = a[..., :3] @ LUMA
    return grey, (a[..., 3] / 255.0 if a.shape[2] == 4 else None)


# ---------------------------------------------------------------- the MNIST recipe


def _composite(grey: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Transparent pixels become background: white behind dark ink, black behind light ink."""
    if alpha is None or alpha.min() >= 1.0:
        return grey
    weight = alpha.sum()
    ink_level = (grey * alpha).sum() / weight if weight > 0 else 0.0
    background = 255.0 if ink_level < 128 else 0.0
    return grey * alpha + background * (1.0 - alpha)


def _border(img: np.ndarray) -> np.ndarray:
    return np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])


def _scale_to_box(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    f = BOX / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS))


def _centre(small: np.ndarray) -> np.ndarray:
    """Paste into 28x28 so the centre of mass lands on (14, 14) as closely as whole pixels allow."""
    h, w = small.shape
    mass = small.astype(np.float64)
    total = mass.sum()
    com_r = (mass.sum(axis=1) @ np.arange(h)) / total
    com_c = (mass.sum(axis=0) @ np.arange(w)) / total
    top = int(np.clip(round(CENTRE - com_r), 0, SIZE - h))
    left = int(np.clip(round(CENTRE - com_c), 0, SIZE - w))
    out = np.zeros((SIZE, SIZE), np.uint8)
    out[top:top + h, left:left + w] = small
    return out


def _u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def _prepare(grey: np.ndarray, alpha: np.ndarray | None) -> Prepared:
    grey = _composite(grey, alpha)
    steps = [("grayscale", _u8(grey))]
    inverted = bool(np.median(_border(grey)) > 127)
    ink = 255.0 - grey if inverted else grey
    steps.append(("inverted (light background)" if inverted else "kept (dark background)", _u8(ink)))
    background = np.median(_border(ink))
    peak = ink.max()
    empty = Prepared(np.zeros((SIZE, SIZE), np.uint8), steps, True, inverted)
    if peak - background < MIN_CONTRAST:
        return empty
    stretched = np.clip((ink - background) * (255.0 / (peak - background)), 0, 255)
    mask = stretched > NOISE
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    crop = _u8(np.where(mask, stretched, 0)[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])
    steps.append(("cropped to the ink", crop))
    small = _scale_to_box(crop)
    steps.append((f"scaled to {BOX} px", small))
    if not small.any():
        return Prepared(np.zeros((SIZE, SIZE), np.uint8), steps, True, inverted)
    pixels = _centre(small)
    steps.append(("centred in 28x28", pixels))
    return Prepared(pixels, steps, False, inverted)


def load_image(source, how: str = AUTO) -> Prepared:
    """source: a path, PNG/JPEG bytes, or a binary file object -> an MNIST-like Prepared image.

    how: AUTO uses an image that is already MNIST's kind (is_mnist_style) as it is and makes any other
    one with the MNIST recipe; AS_IS and RECIPE force one way for any image."""
    if how not in HOWS:
        raise ValueError(f"how must be one of {HOWS}, got {how!r}")
    img = _open(_read_bytes(source))
    mnist_style = is_mnist_style(img)
    grey, alpha = _to_arrays(_shrink(img))
    if how == AS_IS or (how == AUTO and mnist_style):
        return _as_is(grey, alpha, mnist_style)
    return replace(_prepare(grey, alpha), mnist_style=mnist_style)


def is_mnist_style(img: Image.Image) -> bool:
    """Already an MNIST image: SIZE x SIZE, grayscale (every pixel grey), opaque, and its border dark
    (median below MIN_CONTRAST; MNIST's borders are 0) so the ink is light on black as MNIST's is."""
    if img.size != (SIZE, SIZE):
        return False
    grey, alpha = _to_arrays(img)
    if alpha is not None and alpha.min() < 1.0:
        return False
    if img.mode not in ("L", "1", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)       # colour modes (RGB, P, CMYK, ...)
        if np.abs(rgb - rgb[..., :1]).max() > 0:
            return False
    return bool(np.median(_border(grey)) < MIN_CONTRAST)


def _as_is(grey: np.ndarray, alpha: np.ndarray | None, mnist_style: bool) -> Prepared:
    """The pixels as they are: made grey (transparency composited) and, if the image is not 28x28,
    padded to a square with its border's grey and resized to 28x28. No inversion, crop or centring."""
    grey = _composite(grey, alpha)
    u8 = _u8(grey)
    h, w = u8.shape
    if (h, w) == (SIZE, SIZE):
        pixels, steps = u8, [("as it is" if mnist_style else "grayscale", u8)]
    else:
        side = max(h, w)
        square = np.full((side, side), np.median(_border(u8)), np.uint8)
        square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = u8
        pixels = np.asarray(Image.fromarray(square).resize((SIZE, SIZE), Image.Resampling.LANCZOS))
        steps = [("grayscale", u8), (f"resized to {SIZE}x{SIZE}", pixels)]
    return Prepared(pixels, steps, not pixels.any(), False, as_is=True, mnist_style=mnist_style)


def _shrink(img: Image.Image) -> Image.Image:
    """Average a large image down so its longer side is WORK_SIDE (a digit needs 20 px in the end)."""
    w, h = img.size
    if max(w, h) <= WORK_SIDE:
        return img
    if img.mode in ("1", "P", "PA"):  # Pillow resizes these by nearest neighbour: thin strokes would vanish
        alpha = img.mode == "PA" or "transparency" in img.info
        img = img.convert("RGBA" if alpha else ("L" if img.mode == "1" else "RGB"))
    f = WORK_SIDE / max(w, h)
    return img.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BOX)


def prepare_array(arr) -> Prepared:
    """arr: a canvas drawing, (H, W, 4) RGBA or (H, W, 3) RGB uint8, or (H, W) grey -> Prepared."""
    return _prepare(*_array_to_arrays(arr))
