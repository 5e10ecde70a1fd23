"""A user's own data set: a .zip of PNG or JPEG images, one folder per class, made into MNIST's format.

    shapes.zip
      circles/a.png, circles/b.jpg, ...      class "circles"
      bars/1.png, bars/photos/2.jpg, ...     class "bars" (1.png) and class "photos" (2.jpg)

A class is the folder directly holding its images, at any depth (a single top folder, or train/ and
test/ folders that both hold a "circles" folder, are fine: folders of the same name are one class).
Classes are numbered 0..k-1 in the order of their names (case-insensitive, numbers by value: "2" before
"10"); the names are the folders' names with surrounding spaces stripped. Each image is made into a
28x28 MNIST-like image by exactly the recipe of Try it (images.load_image). The images are then split
into a training and a test set by SPLIT_RULE.

The zip is untrusted. Before any image is decoded: its size (MAX_ZIP_BYTES), the number of members
(MAX_FILES, first from the end-of-archive record, before the directory is parsed), member names
(absolute or '..' refused), encryption, the unpacked sizes the headers declare (MAX_UNPACKED in all,
images.MAX_BYTES each), files that are not images (hidden files, __MACOSX/, .DS_Store, Thumbs.db and
desktop.ini are ignored; anything else is named), the classes (MIN_CLASSES..MAX_CLASSES, folder names
differing only in case, MIN_PER_CLASS images each), then every image's header (PNG or JPEG by content,
its dimensions by images.py's checks, MAX_TOTAL_PIXELS in all). While reading, no member may unpack to
more than its header says and all of them to more than MAX_UNPACKED (zip bombs). Every refusal is a
DataError with a one-line message naming the zip (and the member, for a member's problem).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import PurePosixPath, PureWindowsPath

import numpy as np

from . import images
from .config import DataError, ImageError, _as_int
from .data import Mnist

MAX_ZIP_BYTES = 50 * 2**20          # the archive itself
MAX_FILES = 5000                    # members, folders included
MAX_DIRECTORY = MAX_FILES * 512     # bytes of the zip's table of contents (a member's entry: ~50-300 bytes)
MAX_UNPACKED = 200 * 2**20          # all members together, unpacked
MAX_TOTAL_PIXELS = 250_000_000      # all images together (from their headers): at most ~10 s of decoding
MIN_CLASSES, MAX_CLASSES = 2, 10
MIN_PER_CLASS = 5                   # images in each class (one of them, at least, is kept for the test set)
TEST_PERCENT = 20                   # of each class, rounded down, at least 1
MAX_CLASS_NAME = 40                 # characters in a class (folder) name
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
IGNORED_NAMES = ("__macosx", ".ds_store", "thumbs.db", "desktop.ini")   # compared in lower case
SHOWN_OTHERS = 3                    # non-image files named in the message

SPLIT_RULE = ("Each class's images, sorted by their paths in the zip, are shuffled with NumPy's "
              "default_rng(seed); the first 20 % of them (rounded down, at least 1) are test images, the rest "
              "training images. Then the training set and the test set are shuffled, in that order, with one new "
              "default_rng(seed), so that the classes are mixed.")

_EOCD = b"PK\x05\x06"               # end of central directory record: "<4s4H2LH", 22 bytes
_EOCD64_LOCATOR = b"PK\x06\x07"     # zip64 end of central directory locator, 20 bytes, just before it
_EOCD64 = b"PK\x06\x06"             # zip64 end of central directory record: "<4sQ2H2L4Q", 56 bytes


def load_image_zip(raw: bytes, name: str, seed: int = 0) -> Mnist:
    """A zip of images, one folder per class (see the module docstring), as an Mnist: x_* (N, 28, 28)
    uint8, y_* (N,) uint8 labels 0..k-1, classes = the folders' names, name = the zip's file name,
    split into training and test images by SPLIT_RULE with `seed`. Anything unusable: a DataError."""
    name = _zip_name(name)
    seed = _as_int("seed", seed, 0, 2**32 - 1)
    raw = bytes(raw)
    if not raw:
        raise DataError("{name}: empty file (0 bytes), not a zip", name=name)
    if len(raw) > MAX_ZIP_BYTES:
        raise DataError("{name}: larger than {mb} MB; a zip of images may be at most {mb} MB", name=name,
                        mb=MAX_ZIP_BYTES >> 20)
    _check_directory(raw, name)
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, struct.error):
        raise DataError("{name}: not a valid zip file", name=name) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_FILES:
            raise DataError("{name}: holds more than {most:,} files; at most {most:,} are accepted", name=name,
                            most=MAX_FILES)
        members = _image_members(infos, name)
        classes, by_class = _classes(members, name)
        _check_headers(zf, [m for paths in by_class for m in paths], name)
        budget = [MAX_UNPACKED]
        pixels = [np.stack([_decode(zf, m, name, budget) for m in paths]) for paths in by_class]
    x_train, y_train, x_test, y_test = _split(pixels, seed)
    for a in (x_train, y_train, x_test, y_test):
        a.setflags(write=False)
    return Mnist(x_train, y_train, x_test, y_test, f"{name} (uploaded images)", name, classes)


# ---------------------------------------------------------------- names


def _zip_name(name) -> str:
    """The uploaded file's own name (no folders), on one short line."""
    text = PureWindowsPath(str(name or "")).name.strip()   # PureWindowsPath splits at both / and \\
    return _show(text) if text else "upload.zip"


def _show(text: str, most: int = 80) -> str:
    """A name from the zip, safe to put in a one-line message: control characters as '?', at most
    `most` characters."""
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= most else text[:most - 1] + "…"


def _member_path(info: zipfile.ZipInfo) -> str:
    """The member's name as its maker meant it. A zip without the UTF-8 flag (bit 11) holds the bytes of
    the maker's encoding, which zipfile reads as cp437: tools on Unix (macOS' Finder, ...) write UTF-8,
    Windows' own zipping the local code page (GBK on a Chinese Windows). So: UTF-8 from a Unix maker;
    from another, GBK if it reads as Chinese, else UTF-8; else the name as zipfile read it."""
    text = info.filename
    if info.flag_bits & 0x800 or text.isascii():
        return text
    try:
        raw = text.encode("cp437")
    except UnicodeEncodeError:  # (not what zipfile read: leave it)
        return text
    for encoding in ("utf-8",) if info.create_system == 3 else ("gbk", "utf-8"):
        try:
            decoded = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "gbk" or all(c.isascii() or _chinese(c) for c in decoded):
            return decoded
    return text


def _chinese(c: str) -> bool:
    """A CJK ideograph or CJK/full-width punctuation."""
    return "\u3400" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef"


def _unsafe(path: str) -> bool:
    """An absolute path, a drive letter or a '..' step: nothing is written, but no sane zip has them."""
    return (path.startswith("/") or bool(re.match(r"[A-Za-z]:", path))
            or any(part == ".." for part in path.split("/")))


def _ignored(parts: tuple[str, ...]) -> bool:
    """Files that zipping tools and file managers add by themselves (and hidden files)."""
    return any(p.startswith(".") or p.lower() in IGNORED_NAMES for p in parts)


def _natural(name: str) -> tuple:
    """Sort key: letters case-insensitively, runs of digits by value ("2" before "10")."""
    return tuple((0, int(p), p) if p.isdecimal() else (1, 0, p) for p in re.split(r"(\d+)", name.casefold())
                 if p), name


# ---------------------------------------------------------------- the directory: no member read yet


def _check_directory(raw: bytes, name: str) -> None:
    """Refuse too many members from the end-of-archive record, before zipfile parses the directory
    (a 50 MB zip can list ~600,000 empty members: ~300 MB of ZipInfo). The record is found as
    zipfile finds it; a zip without one is left to zipfile to refuse."""
    at = len(raw) - 22
    if at < 0:
        return
    if raw[at:at + 4] != _EOCD or raw[-2:] != b"\0\0":
        at = raw.rfind(_EOCD, max(0, len(raw) - 22 - 2**16))
        if at < 0 or len(raw) - at < 22:
            return
    count, size = struct.unpack_from("<HL", raw, at + 10)
    if at >= 20 and raw[at - 20:at - 16] == _EOCD64_LOCATOR and at >= 76 and raw[at - 76:at - 72] == _EOCD64:
        count, size = struct.unpack_from("<QQ", raw, at - 76 + 32)
    if count > MAX_FILES:
        raise DataError("{name}: holds more than {most:,} files; at most {most:,} are accepted", name=name,
                        most=MAX_FILES)
    if size > MAX_DIRECTORY:
        raise DataError("{name}: its list of files takes more than {kb:,} KB; not a zip of images", name=name,
                        kb=MAX_DIRECTORY >> 10)


class _Member:
    """An image in the zip: its ZipInfo, its path (decoded) and its class (folder) name (None: not in
    a folder)."""

    __slots__ = ("info", "path", "folder")

    def __init__(self, info: zipfile.ZipInfo, path: str, folder: str | None):
        self.info, self.path, self.folder = info, path, folder


def _image_members(infos: list[zipfile.ZipInfo], name: str) -> list[_Member]:
    """Every image member, after the checks on names, sizes and encryption (headers only)."""
    members, others, unpacked = [], [], 0
    for info in infos:
        path = _member_path(info).replace("\\", "/")
        if _unsafe(path):
            raise DataError("{name}: unsafe file name {member!r} in the zip (an absolute path or '..')", name=name,
                            member=_show(path))
        if info.is_dir() or path.endswith("/"):
            continue
        unpacked += info.file_size
        parts = PurePosixPath(path).parts
        if not parts or _ignored(parts):
            continue
        if not parts[-1].lower().endswith(IMAGE_SUFFIXES):
            others.append(path)
            continue
        members.append(_Member(info, path, parts[-2].strip() if len(parts) > 1 else None))
    if unpacked > MAX_UNPACKED:
        raise DataError("{name}: unpacks to more than {mb} MB; at most {mb} MB of images are accepted", name=name,
                        mb=MAX_UNPACKED >> 20)
    if others:
        shown = ", ".join(_show(p, 60) for p in sorted(others)[:SHOWN_OTHERS])
        raise DataError("{name}: not PNG or JPEG images: {files}; keep only .png and .jpg files in the class "
                        "folders", name=name, files=shown + (", …" if len(others) > SHOWN_OTHERS else ""))
    if not members:
        raise DataError("{name}: no PNG or JPEG images in it; put each class's images in a folder named after "
                        "the class", name=name)
    for m in members:
        if m.info.flag_bits & 0x1:
            raise DataError("{name}: {member} is encrypted (password-protected); zip the images without a "
                            "password", name=name, member=_show(m.path))
        if m.info.file_size > images.MAX_BYTES:
            raise DataError("{name}: {member} unpacks to more than {mb} MB; one image may be at most {mb} MB",
                            name=name, member=_show(m.path), mb=images.MAX_BYTES >> 20)
    return members


def _classes(members: list[_Member], name: str) -> tuple[tuple[str, ...], list[list[_Member]]]:
    """The classes' names in label order, and each class's images in path order."""
    folders: dict[str, list[_Member]] = {}
    for m in members:
        if m.folder is None:
            raise DataError("{name}: {member} is not in a class folder; put each class's images in a folder named "
                            "after the class", name=name, member=_show(m.path))
        if not m.folder or len(m.folder) > MAX_CLASS_NAME or not m.folder.isprintable():
            raise DataError("{name}: unusable class folder name {folder!r} (empty, longer than {most} characters "
                            "or with control characters)", name=name, folder=_show(m.folder), most=MAX_CLASS_NAME)
        folders.setdefault(m.folder, []).append(m)
    names = sorted(folders, key=_natural)
    for a, b in zip(names, names[1:]):
        if a.casefold() == b.casefold():
            raise DataError("{name}: folders {a!r} and {b!r} differ only in capitals; give each class one folder "
                            "name", name=name, a=a, b=b)
    if len(names) < MIN_CLASSES:
        raise DataError("{name}: only one class folder ({folder}); make one folder per class, at least {least}",
                        name=name, folder=names[0], least=MIN_CLASSES)
    if len(names) > MAX_CLASSES:
        raise DataError("{name}: {n} class folders; at most {most} classes are accepted", name=name, n=len(names),
                        most=MAX_CLASSES)
    for folder in names:
        if len(folders[folder]) < MIN_PER_CLASS:
            raise DataError("{name}: class {folder!r} has too few images ({n}); each class needs at least {least}",
                            name=name, folder=folder, n=len(folders[folder]), least=MIN_PER_CLASS)
    return tuple(names), [sorted(folders[f], key=lambda m: m.path) for f in names]


# ---------------------------------------------------------------- reading the members


def _read(zf: zipfile.ZipFile, m: _Member, name: str, budget: list[int]) -> bytes:
    """A member's bytes, never more than its header declares (a member that inflates further is a bomb),
    and, with the others read in this pass (`budget`: [bytes left]), never more than MAX_UNPACKED."""
    declared = m.info.file_size
    try:
        with zf.open(m.info) as f:
            data = f.read(min(declared, budget[0]) + 1)
    except NotImplementedError:
        raise DataError("{name}: {member} is compressed in a way this reader does not support; zip it again with "
                        "the usual (deflate) method", name=name, member=_show(m.path)) from None
    except Exception as exc:  # noqa: BLE001 - bad CRC, bad local header, corrupt deflate/bzip2/lzma, truncation
        raise DataError("{name}: {member} is damaged in the zip ({reason})", name=name, member=_show(m.path),
                        reason=_why(exc)) from None
    if len(data) > declared:
        raise DataError("{name}: {member} unpacks to more than its header says (a zip bomb?)", name=name,
                        member=_show(m.path))
    budget[0] -= len(data)
    if budget[0] < 0:
        raise DataError("{name}: unpacks to more than {mb} MB; at most {mb} MB of images are accepted", name=name,
                        mb=MAX_UNPACKED >> 20)
    return data


def _why(exc: Exception) -> str:
    first = (str(exc).strip().splitlines() or [""])[0][:100]
    return f"{exc.__class__.__name__}: {first}" if first else exc.__class__.__name__


def _image_error(m: _Member, name: str, exc: ImageError) -> DataError:
    """An image's own problem (images.py's ImageError, translated on its own), said with its name."""
    return DataError("{name}: {member}: {problem}", name=name, member=_show(m.path), problem=exc)


def _check_headers(zf: zipfile.ZipFile, members: list[_Member], name: str) -> None:
    """Every image's header, before any image is decoded: a PNG or JPEG, of a size images.py accepts,
    and all of them together at most MAX_TOTAL_PIXELS."""
    budget, pixels = [MAX_UNPACKED], 0
    for m in members:
        try:
            w, h = images.check_header(_read(zf, m, name, budget))
        except ImageError as exc:
            raise _image_error(m, name, exc) from None
        pixels += w * h
        if pixels > MAX_TOTAL_PIXELS:
            raise DataError("{name}: the images have more than {millions} million pixels in all; use fewer or "
                            "smaller images", name=name, millions=MAX_TOTAL_PIXELS // 1_000_000)


def _decode(zf: zipfile.ZipFile, m: _Member, name: str, budget: list[int]) -> np.ndarray:
    """One image made MNIST-like by Try it's recipe: (28, 28) uint8 (all 0 if no ink was found)."""
    try:
        return images.load_image(_read(zf, m, name, budget)).pixels
    except ImageError as exc:
        raise _image_error(m, name, exc) from None


# ---------------------------------------------------------------- the split


def _split(pixels: list[np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """SPLIT_RULE: pixels[k] holds class k's images (n_k, 28, 28) in path order."""
    train, test = [], []
    for k, x in enumerate(pixels):
        order = np.random.default_rng(seed).permutation(len(x))
        n_test = max(1, len(x) * TEST_PERCENT // 100)
        test.append((x[order[:n_test]], k))
        train.append((x[order[n_test:]], k))
    mix = np.random.default_rng(seed)
    out = []
    for part in (train, test):
        x = np.concatenate([xs for xs, _ in part])
        y = np.concatenate([np.full(len(xs), k, np.uint8) for xs, k in part])
        order = mix.permutation(len(x))
        out += [np.ascontiguousarray(x[order]), y[order]]
    return out[0], out[1], out[2], out[3]
