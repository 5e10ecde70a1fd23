"""A user's own data set from a zip of images (ssnn_core.imagefolder): what comes out of a good zip, and
a one-line DataError, quickly and in bounded memory, for every hostile one. Zips are made in memory,
their images drawn with Pillow: circles (rings) against bars, of several sizes, modes and formats."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ssnn_core import imagefolder, images
from ssnn_core.config import ConfigError, DataError, Hyper
from ssnn_core.data import select_digits
from ssnn_core.imagefolder import load_image_zip
from ssnn_core.trainer import Trainer

MAX_PEAK = 120 * 2**20          # traced memory a hostile zip may make the loader use
BOMB_MB = 300                   # what the zip bombs unpack to

# ---------------------------------------------------------------- drawing and zipping


def shape(kind: str, k: int, fmt: str = "PNG") -> bytes:
    """Image k of a kind ("circle" or "bar"): its size, mode, position and polarity vary with k."""
    rng = np.random.default_rng([k, len(kind)])
    side = (40, 64, 100, 150, 300)[k % 5]
    w, h = side + int(rng.integers(0, side // 2)), side
    mode = ("L", "RGB", "RGBA")[k % 3]
    light = k % 2 == 0                                  # dark ink on light paper, else light on dark
    paper, ink = (235, 20) if light else (10, 240)
    if mode == "RGBA":
        img = Image.new("RGBA", (w, h), (0, 0, 0, 0))   # ink on a transparent background
        colour = (ink, ink, ink, 255)
    else:
        img = Image.new(mode, (w, h), paper if mode == "L" else (paper, paper, paper))
        colour = ink if mode == "L" else (ink, ink // 2 + 60, ink)
    d = ImageDraw.Draw(img)
    cx, cy = w / 2 + rng.uniform(-0.1, 0.1) * w, h / 2 + rng.uniform(-0.1, 0.1) * h
    r = side * rng.uniform(0.25, 0.35)
    stroke = max(2, side // 12)
    if kind == "circle":
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=stroke)
    else:
        a = rng.uniform(-0.4, 0.4)                      # a tilted bar: its corners turned by a radians
        corners = [(u * stroke * rng.uniform(1, 1.5), v * r * 1.2) for u, v in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        d.polygon([(cx + x * np.cos(a) - y * np.sin(a), cy + x * np.sin(a) + y * np.cos(a)) for x, y in corners],
                  fill=colour)
    if fmt == "JPEG" and img.mode == "RGBA":            # JPEG has no alpha: the paper behind the ink
        img = Image.alpha_composite(Image.new("RGBA", img.size, (paper, paper, paper, 255)), img).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def make_zip(files: dict[str, bytes] | list[tuple[str, bytes]], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for path, raw in (files.items() if isinstance(files, dict) else files):
            zf.writestr(path, raw)
    return buf.getvalue()


def shapes(n: int = 12, top: str = "my-shapes/", kinds=("circles", "bars")) -> dict[str, bytes]:
    """n images per class, one JPEG in four, under a top folder."""
    return {f"{top}{kind}/{kind[:-1]}-{k:02d}.{'jpg' if k % 4 == 1 else 'png'}":
            shape(kind[:-1], k, "JPEG" if k % 4 == 1 else "PNG") for kind in kinds for k in range(n)}


@pytest.fixture(scope="module")
def good() -> dict[str, bytes]:
    return shapes()


# ---------------------------------------------------------------- good zips


def test_a_zip_of_shapes_becomes_a_dataset(good):
    m = load_image_zip(make_zip(good), "my-shapes.zip")
    assert m.name == "my-shapes.zip" and m.source == "my-shapes.zip (uploaded images)"
    assert m.classes == ("bars", "circles")               # sorted by folder name: bars is label 0
    for x, y in ((m.x_train, m.y_train), (m.x_test, m.y_test)):
        assert x.dtype == np.uint8 and y.dtype == np.uint8 and x.shape[1:] == (28, 28) and len(x) == len(y)
        assert not x.flags.writeable and not y.flags.writeable
    assert np.bincount(m.y_train).tolist() == [10, 10]     # 12 each: 12 // 5 = 2 for test, 10 for training
    assert np.bincount(m.y_test).tolist() == [2, 2]
    assert set(m.y_train[:6].tolist()) == {0, 1}           # the classes are mixed, not in blocks
    assert len(m.digest) == 16
    everything = np.concatenate([m.x_train, m.x_test])
    assert (everything.reshape(len(everything), -1).max(axis=1) > 200).all()   # every image has ink


def test_every_image_is_made_exactly_as_try_it_makes_it(good):
    m = load_image_zip(make_zip(good), "s.zip")
    want = {images.load_image(raw).pixels.tobytes() for raw in good.values()}
    got = {x.tobytes() for x in np.concatenate([m.x_train, m.x_test])}
    assert got == want and len(got) == len(good)
    labels = {images.load_image(raw).pixels.tobytes(): ("circles" in path) for path, raw in good.items()}
    for x, y in zip(np.concatenate([m.x_train, m.x_test]), np.concatenate([m.y_train, m.y_test])):
        assert labels[x.tobytes()] == bool(y)             # label 1 = circles


def test_the_split_is_seeded_and_deterministic(good):
    raw = make_zip(good)
    a, b = load_image_zip(raw, "s.zip"), load_image_zip(raw, "s.zip", seed=0)
    assert a.digest == b.digest and np.array_equal(a.x_test, b.x_test) and np.array_equal(a.y_train, b.y_train)
    shuffled = list(good.items())
    np.random.default_rng(5).shuffle(shuffled)
    c = load_image_zip(make_zip(shuffled, zipfile.ZIP_STORED), "other-name.zip")
    assert c.digest == a.digest                            # the members' order in the zip does not matter
    d = load_image_zip(raw, "s.zip", seed=1)
    assert d.digest != a.digest and np.bincount(d.y_test).tolist() == [2, 2]
    as_set = lambda m: {x.tobytes() for x in m.x_test}     # noqa: E731
    assert as_set(d) != as_set(a)                          # another seed, other test images
    assert "default_rng(seed)" in imagefolder.SPLIT_RULE and "20 %" in imagefolder.SPLIT_RULE


def test_split_sizes_follow_the_rule():
    for n, n_test in ((5, 1), (9, 1), (10, 2), (14, 2), (15, 3)):
        files = {f"a/{k}.png": shape("circle", k) for k in range(n)} | {f"b/{k}.png": shape("bar", k) for k in range(5)}
        m = load_image_zip(make_zip(files), "s.zip")
        assert np.bincount(m.y_test).tolist() == [n_test, 1]
        assert np.bincount(m.y_train).tolist() == [n - n_test, 4]


def test_nested_folders_hidden_files_and_names():
    files = {
        "top/train/ Circles /1.png": shape("circle", 0), "top/test/ Circles /2.png": shape("circle", 1),
        **{f"top/train/ Circles /c{k}.PNG": shape("circle", k) for k in range(2, 5)},
        **{f"top/train/bar 10/{k}.jpeg": shape("bar", k, "JPEG") for k in range(5)},
        **{f"top/extra/bar 2/{k}.png": shape("bar", k + 5) for k in range(5)},
        "__MACOSX/top/train/ Circles /._1.png": b"\0\5\26\7 AppleDouble", "top/.DS_Store": b"\0\0\0\1Bud1",
        "top/train/bar 10/Thumbs.db": b"\xd0\xcf\x11\xe0", "top/.hidden/notes.txt": b"x", "top/desktop.ini": b"[x]",
        "top/empty-folder/": b"",
    }
    m = load_image_zip(make_zip(files), "C:\\Users\\me\\Downloads\\my shapes.zip")
    assert m.name == "my shapes.zip"
    assert m.classes == ("bar 2", "bar 10", "Circles")     # stripped; numbers by value, letters ignoring case
    assert np.bincount(np.concatenate([m.y_train, m.y_test])).tolist() == [5, 5, 5]


def test_folder_names_in_chinese_and_from_windows_zips():
    files = [(f"形状/圆/{k}.png", shape("circle", k)) for k in range(5)]
    files += [(f"形状/条/{k}.png", shape("bar", k)) for k in range(5)]
    assert load_image_zip(make_zip(files), "形状.zip").classes == ("圆", "条")
    # Windows' own zipping on a Chinese Windows: names in GBK without the UTF-8 flag, made on "MS-DOS" (0).
    # GBK's 圆 (D4 B2) happens to be valid UTF-8 too (U+0532): the maker decides
    gbk = [stored(p, r, "gbk") for p, r in files]
    assert load_image_zip(raw_zip(gbk), "w.zip").classes == ("圆", "条")
    # macOS' Finder: UTF-8 without the flag, made on Unix (3)
    utf8 = [stored(p, r, "utf-8") for p, r in files]
    assert load_image_zip(raw_zip(utf8, made_on=3), "m.zip").classes == ("圆", "条")


def test_ten_classes_named_by_digits():
    files = {f"d/{c}/{k}.png": shape("circle" if c % 2 else "bar", k + c) for c in range(10) for k in range(5)}
    m = load_image_zip(make_zip(files), "digits.zip")
    assert m.classes == tuple(str(c) for c in range(10))
    assert np.bincount(m.y_test, minlength=10).tolist() == [1] * 10


def test_a_small_network_tells_circles_from_bars():
    m = load_image_zip(make_zip(shapes(30)), "s.zip")
    pair = select_digits(m, (0, 1))
    assert pair.classes == ("bars", "circles") and pair.dataset == "s.zip"
    t = Trainer(pair, Hyper(hidden=10, iterations=60, learning_rate=0.5, dtype="float64"), eval_every=60)
    t.run()
    assert t.history.test_accuracy[-1] >= 0.9, t.history.test_accuracy
    assert t.history.train_accuracy[-1] >= 0.95


def test_two_hundred_small_images_split_eighty_twenty_per_class():
    files = {f"s/{kind}/{k}.png": shape(kind[:-1], k % 3) for kind in ("circles", "bars") for k in range(100)}
    m = load_image_zip(make_zip(files), "s.zip")
    assert len(m.y_train) + len(m.y_test) == 200
    assert np.bincount(m.y_test).tolist() == [20, 20] and np.bincount(m.y_train).tolist() == [80, 80]


# ---------------------------------------------------------------- hostile zips, built by hand


def raw_zip(members: list[tuple], made_on: int = 0) -> bytes:
    """A zip written byte by byte so that it may lie: (name, payload as stored, method, crc, declared size,
    name encoding); made_on: the maker's system (0 MS-DOS/Windows, 3 Unix)."""
    out, central = io.BytesIO(), []
    for name, payload, method, crc, size, encoding in members:
        encoded = name.encode("utf-8" if encoding == "utf-8-flagged" else encoding)
        flags = 0x800 if encoding == "utf-8-flagged" else 0
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x21, crc, len(payload), size,
                              len(encoded), 0) + encoded + payload)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, made_on << 8 | 20, 20, flags, method, 0, 0x21,
                                   crc, len(payload), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start, directory = out.tell(), b"".join(central)
    out.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory),
                                      start, 0))
    return out.getvalue()


def deflated_zeros(head: bytes, mb: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of head + mb MB of zeros, made without holding them: (stream, crc32, size)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(2**20)
    block = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(mb):
        crc = zlib.crc32(zeros, crc)
    return first + block * mb + c.flush(), crc, len(head) + mb * 2**20


def stored(name: str, raw: bytes, encoding: str = "utf-8-flagged") -> tuple:
    return (name, raw, 0, zlib.crc32(raw), len(raw), encoding)


def good_members(n: int = 5, classes=("circles", "bars")) -> list[tuple]:
    return [stored(f"{c}/{k}.png", shape(c[:-1], k)) for c in classes for k in range(n)]


def bomb(declared: int | None, mb: int = BOMB_MB) -> bytes:
    """Good images, plus circles/bomb.png: a PNG signature and mb MB of zeros, deflated to a few hundred KB,
    its size in the headers `declared` (None: the truth)."""
    head = shape("circle", 9)[:64]
    stream, crc, size = deflated_zeros(head, mb)
    return raw_zip(good_members() + [("circles/bomb.png", stream, 8, crc, size if declared is None else declared,
                                      "utf-8-flagged")])


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(1001))) + chunk(b"IEND", b""))


def with_flag(raw: bytes, member: str, bit: int) -> bytes:
    """Set a general-purpose flag bit of `member` in both its local and its central header."""
    data, name = bytearray(raw), member.encode()
    for sig, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(sig)
        while at >= 0:
            if data[at + name_at: at + name_at + len(name)] == name:
                flags = struct.unpack_from("<H", data, at + flag_at)[0]
                struct.pack_into("<H", data, at + flag_at, flags | bit)
            at = data.find(sig, at + 4)
    return bytes(data)


def with_method(raw: bytes, member: str, method: int) -> bytes:
    data, name = bytearray(raw), member.encode()
    for sig, method_at, name_at in ((b"PK\x03\x04", 8, 30), (b"PK\x01\x02", 10, 46)):
        at = data.find(sig)
        while at >= 0:
            if data[at + name_at: at + name_at + len(name)] == name:
                struct.pack_into("<H", data, at + method_at, method)
            at = data.find(sig, at + 4)
    return bytes(data)


def eocd_saying(raw: bytes, count: int) -> bytes:
    """The end-of-archive record claiming `count` members (the directory itself unchanged)."""
    at = raw.rfind(b"PK\x05\x06")
    return raw[:at + 8] + struct.pack("<HH", count, count) + raw[at + 12:]


def directory_saying(raw: bytes, size: int) -> bytes:
    """The end-of-archive record claiming a directory of `size` bytes."""
    at = raw.rfind(b"PK\x05\x06")
    return raw[:at + 12] + struct.pack("<L", size) + raw[at + 16:]


def many_files(n: int) -> bytes:
    return make_zip([(f"circles/{k}.png", b"") for k in range(n)], zipfile.ZIP_STORED)


def corrupt_member() -> bytes:
    raw = bytearray(make_zip(good_members_dict(), zipfile.ZIP_STORED))
    at = raw.find(b"IDAT")                                  # inside the first member's stored data
    raw[at + 8: at + 12] = b"\xff\xfe\xfd\xfc"
    return bytes(raw)


def good_members_dict(n: int = 5) -> dict[str, bytes]:
    return {name: payload for name, payload, *_ in good_members(n)}


def truncated_png() -> bytes:
    raw = shape("circle", 4)                               # 150 px, PNG
    return raw[: len(raw) // 2]


def class_of(folder: str) -> dict[str, bytes]:
    return {f"{folder}/{k}.png": shape("bar", k) for k in range(5)}


def eleven_classes() -> bytes:
    return make_zip({f"c{c}/{k}.png": shape("bar", k) for c in range(11) for k in range(5)})


HOSTILE = [
    ("empty", lambda: b"", "empty file (0 bytes), not a zip"),
    ("not-a-zip", lambda: b"just some text, not a zip at all" * 10, "not a valid zip file"),
    ("png-named-zip", lambda: shape("circle", 1), "not a valid zip file"),
    ("truncated-zip", lambda: make_zip(good_members_dict())[:3000], "not a valid zip file"),
    ("archive-over-50MB", lambda: make_zip(good_members_dict()) + bytes(50 * 2**20), "larger than 50 MB"),
    ("5001-files", lambda: many_files(5001), "more than 5,000 files"),
    ("record-claims-65535-files", lambda: eocd_saying(make_zip(good_members_dict()), 65535), "more than 5,000 files"),
    ("record-hides-5001-files", lambda: eocd_saying(many_files(5001), 10), "more than 5,000 files"),
    ("record-claims-huge-directory", lambda: directory_saying(make_zip(good_members_dict()), 2**31),
     "its list of files takes more than 2,500 KB"),
    ("bomb-300MB-declared-small", lambda: bomb(declared=2000), "circles/bomb.png is damaged in the zip"),
    ("bomb-300MB-declared-truly", lambda: bomb(declared=None), "unpacks to more than 200 MB"),
    ("member-over-5MB", lambda: bomb(declared=None, mb=6), "circles/bomb.png unpacks to more than 5 MB"),
    ("png-100000x100000", lambda: make_zip(good_members_dict() | {"bars/big.png": png_claiming(100_000, 100_000)}),
     "bars/big.png: image has too many pixels (decompression bomb?)"),
    ("png-50000x10", lambda: make_zip(good_members_dict() | {"bars/wide.png": png_claiming(50_000, 10)}),
     "bars/wide.png: image is 50000x10 pixels"),
    ("text-and-csv-files", lambda: make_zip(good_members_dict() | {"bars/notes.txt": b"hi", "labels.csv": b"a,b",
                                                                    "circles/x.gif": b"GIF89a", "z/readme.md": b"#"}),
     "not PNG or JPEG images: bars/notes.txt, circles/x.gif, labels.csv, …"),
    ("text-named-png", lambda: make_zip(good_members_dict() | {"bars/fake.png": b"I am text" * 30}),
     "bars/fake.png: not a PNG or JPEG image"),
    ("empty-png", lambda: make_zip(good_members_dict() | {"bars/zero.png": b""}), "bars/zero.png: image is empty"),
    ("truncated-png", lambda: make_zip(good_members_dict() | {"bars/half.png": truncated_png()}),
     "bars/half.png: image data is truncated or corrupt"),
    ("corrupt-member-bad-crc", corrupt_member, "is damaged in the zip (BadZipFile: Bad CRC-32"),
    ("four-bars", lambda: make_zip({k: v for k, v in good_members_dict().items() if k != "bars/4.png"}),
     "class 'bars' has too few images (4); each class needs at least 5"),
    ("one-folder", lambda: make_zip({k: v for k, v in good_members_dict().items() if k.startswith("circles")}),
     "only one class folder (circles)"),
    ("eleven-folders", eleven_classes, "11 class folders; at most 10 classes are accepted"),
    ("no-images", lambda: make_zip({"__MACOSX/._a.png": b"x", ".DS_Store": b"x", "a/": b""}),
     "no PNG or JPEG images in it"),
    ("image-outside-folders", lambda: make_zip(good_members_dict() | {"loose.png": shape("bar", 1)}),
     "loose.png is not in a class folder"),
    ("folders-differ-in-case", lambda: make_zip(good_members_dict() | class_of("Bars")),
     "folders 'Bars' and 'bars' differ only in capitals"),
    ("folder-name-too-long", lambda: make_zip(good_members_dict() | class_of("x" * 50)),
     "unusable class folder name 'xxxxxxxx"),
    ("dotdot-name", lambda: raw_zip(good_members() + [stored("../../evil.png", shape("bar", 1))]),
     "unsafe file name '../../evil.png'"),
    ("dotdot-inside", lambda: raw_zip(good_members() + [stored("bars/../../evil.png", shape("bar", 1))]),
     "unsafe file name 'bars/../../evil.png'"),
    ("absolute-name", lambda: raw_zip(good_members() + [stored("/etc/bars/x.png", shape("bar", 1))]),
     "unsafe file name '/etc/bars/x.png'"),
    ("windows-drive-name", lambda: raw_zip(good_members() + [stored("C:\\bars\\x.png", shape("bar", 1))]),
     "unsafe file name 'C:/bars/x.png'"),
    ("encrypted-member", lambda: with_flag(make_zip(good_members_dict()), "bars/2.png", 0x1),
     "bars/2.png is encrypted (password-protected)"),
    ("unknown-compression", lambda: with_method(make_zip(good_members_dict()), "bars/3.png", 99),
     "bars/3.png is compressed in a way this reader does not support"),
    ("newline-in-name", lambda: raw_zip(good_members() + [stored("bars/a\nb\r.txt", b"x")]),
     "not PNG or JPEG images: bars/a?b?.txt"),
]


def test_the_hostile_table_covers_the_limits():
    assert len(HOSTILE) >= 25 and len({case for case, _, _ in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("make, expect", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_zip_gives_one_line(make, expect):
    raw = make()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(DataError) as info:
            load_image_zip(raw, "my-shapes.zip")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - start
    message = str(info.value)
    assert expect in message, message
    assert message.startswith("my-shapes.zip: "), message
    assert "\n" not in message and "\r" not in message and "Traceback" not in message and len(message) < 300
    assert info.value.template and "{name}" in info.value.template   # translatable: a template and its values
    assert peak - len(raw) < MAX_PEAK, f"peak {peak >> 20} MB"
    assert seconds < 10, f"{seconds:.1f} s"


def test_total_pixels_are_limited_before_decoding(monkeypatch, good):
    decoded = []
    monkeypatch.setattr(imagefolder, "MAX_TOTAL_PIXELS", 100_000)
    real = images.load_image
    monkeypatch.setattr(images, "load_image", lambda raw: decoded.append(1) or real(raw))
    with pytest.raises(DataError, match=r"million pixels in all; use fewer or smaller images"):
        load_image_zip(make_zip(good), "s.zip")
    assert decoded == []                                   # refused from the headers: nothing decoded


def test_a_bad_image_is_found_before_any_image_is_decoded(monkeypatch, good):
    decoded = []
    real = images.load_image
    monkeypatch.setattr(images, "load_image", lambda raw: decoded.append(1) or real(raw))
    files = dict(sorted(good.items())) | {"my-shapes/circles/zz-late.png": png_claiming(50_000, 10)}
    with pytest.raises(DataError, match="late.png: image is 50000x10"):
        load_image_zip(make_zip(files), "s.zip")
    assert decoded == []


def test_bad_seed_is_refused(good):
    with pytest.raises(ConfigError, match="seed must be in 0..4294967295"):
        load_image_zip(make_zip(good), "s.zip", seed=-1)
