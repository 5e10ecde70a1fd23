"""A session's own data set, uploaded on the Data page (ssnn_app/data.py data_upload_ui): a .zip of its own
images (one folder per class), the four IDX files named through 'What is it?', Kuzushiji-MNIST's four npz
files. A good upload replaces the session's data set and says so in one line; a bad one says why in one
line and changes nothing (the session's data set and its trained run stay). Runs are shared between
sessions by the data's content, never by the file's name. All data is made in the test."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ssnn_app import commands
from ssnn_app.data import MAX_DATA_UPLOAD, read_upload
from ssnn_core import DataError, Hyper, Mnist
from ssnn_core.imagefolder import MAX_ZIP_BYTES
from tests.apptools import DATA, HOME, MISTAKES, TRAIN, WEIGHTS, FakeUpload, app, click_train, figures, goto, texts

pytestmark = pytest.mark.usefixtures("app_synthetic")

UPLOADER = "data_other_upload"          # the Data page's 'Use another data set'
SHAPES = ("circle", "bar", "cross")     # the folders; classes in name order: bar (0), circle (1), cross (2)
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


# ------------------------------------------------------------------ data made here


def shape_png(kind: str, k: int, seed: int = 0) -> bytes:
    """Image k of a kind: dark ink on white paper, its size, place and stroke varying with k and seed."""
    rng = np.random.default_rng([seed, k, len(kind)])
    side = int(48 + 16 * (k % 3))
    img = Image.new("L", (side, side), 255)
    d = ImageDraw.Draw(img)
    cx, cy = side / 2 + rng.uniform(-4, 4), side / 2 + rng.uniform(-4, 4)
    r, w = side * rng.uniform(0.25, 0.38), int(3 + rng.integers(0, 4))
    if kind == "circle":
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=0, width=w)
    elif kind == "bar":
        d.rectangle((cx - w, cy - r, cx + w, cy + r), fill=0)
    else:
        d.line((cx - r, cy - r, cx + r, cy + r), fill=0, width=w)
        d.line((cx - r, cy + r, cx + r, cy - r), fill=0, width=w)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, raw in files.items():
            zf.writestr(path, raw)
    return buf.getvalue()


def shape_files(n: int = 8, seed: int = 0, kinds=SHAPES) -> dict[str, bytes]:
    return {f"{kind}/{kind}-{k}.png": shape_png(kind, k, seed) for kind in kinds for k in range(n)}


def shapes_zip(n: int = 8, seed: int = 0, kinds=SHAPES) -> bytes:
    return make_zip(shape_files(n, seed, kinds))


def zip_bomb(mb: int = 210) -> bytes:
    """Good class folders, plus one member that unpacks to `mb` MB of zeros (a few hundred KB zipped)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, raw in shape_files(5, kinds=("circle", "bar")).items():
            zf.writestr(path, raw)
        with zf.open("circle/huge.png", "w", force_zip64=True) as f:
            zeros = bytes(2**20)
            for _ in range(mb):
                f.write(zeros)
    return buf.getvalue()


def idx_bytes(array: np.ndarray) -> bytes:
    head = (0x800 | array.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(head + np.ascontiguousarray(array, np.uint8).tobytes(), compresslevel=1)


def idx_files(m: Mnist) -> list[tuple[str, bytes, str]]:
    """The four gzipped IDX files, under MNIST's names (which Fashion-MNIST's files share)."""
    return [(f"{stem}.gz", idx_bytes(a), "application/gzip") for stem, a in (
        ("train-images-idx3-ubyte", m.x_train), ("train-labels-idx1-ubyte", m.y_train),
        ("t10k-images-idx3-ubyte", m.x_test), ("t10k-labels-idx1-ubyte", m.y_test))]


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# ------------------------------------------------------------------ a session, its uploads


def upload(at, files, dataset: str | None = None, key: str = UPLOADER):
    """Put `files` ((name, bytes, mime) tuples, or one name and its bytes) in the uploader, say what they
    are (a datasets.KNOWN key, when not None), and press 'Use these files'."""
    if isinstance(files, tuple) and isinstance(files[0], str):
        files = [(files[0], files[1], "application/zip")]
    at.file_uploader(key=key).set_value(list(files)).run()
    assert not at.exception, [e.value for e in at.exception]
    if dataset is not None:
        at.selectbox(key=f"{key}_kind").set_value(dataset).run()
    at.button(key=f"{key}_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def session_with(raw: bytes, name: str = "shapes.zip", **query):
    """A session on the Data page that uploaded the zip `raw` as `name`."""
    at = upload(app(DATA, **query), (name, raw))
    assert not at.error, [e.value for e in at.error]
    return at


def train(at, iterations: int = 30, **settings):
    at = goto(at, TRAIN)
    at.session_state["hyper"] = Hyper(iterations=iterations, **settings)
    at.run()
    click_train(at)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["run"].state.iteration == iterations
    return at


def everything(at) -> str:
    """What a page says, its figures, widgets and image captions included."""
    parts = [texts(at), *(json.dumps(f, ensure_ascii=False) for f in figures(at)),
             *(str(e.value) for e in [*at.title, *at.header, *at.subheader])]
    for kind in ("selectbox", "radio"):
        for w in at.get(kind):
            parts += [str(w.label), *map(str, getattr(w, "options", []))]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(c) for img in at.image for c in (img.captions or [])]
    return "\n".join(parts)


def guarded(at) -> tuple:
    """What a bad upload must leave as it was: the session's data set and its run, model and settings."""
    ss = at.session_state
    run = ss["run"]
    data = ss["uploaded_mnist"] if "uploaded_mnist" in ss else None
    return (id(data), getattr(data, "digest", None), id(run), run.id, run.status, run.state.version,
            run.state.iteration, hashlib.sha256(run.state.params["W1"].tobytes()).hexdigest(), ss["hyper"])


# ------------------------------------------------------------------ a zip of one's own images


def test_the_data_page_always_offers_another_data_set():
    at = app(DATA)
    uploader = at.file_uploader(key=UPLOADER)
    assert "a .zip of your own images" in uploader.label
    assert any(e.label == "Use another data set" for e in at.expander)
    kind = at.selectbox(key=f"{UPLOADER}_kind")
    assert kind.label == "What is it?" and kind.value is None
    assert kind.options == ["recognise from the file names", "MNIST", "Fashion-MNIST", "Kuzushiji-MNIST",
                            "EMNIST digits"]
    shown = texts(at)
    assert "one folder per class (2 to 10 folders" in shown and "as on Try it" in shown
    assert "20 % of each class's images (rounded down, at least 1), picked by a shuffle with seed 0" in shown
    assert not any(b.key == f"{UPLOADER}_back" for b in at.button)       # nothing uploaded: nothing to go back to


def test_a_zip_of_shapes_trains_and_the_pages_name_its_classes():
    at = app(DATA)
    at.file_uploader(key=UPLOADER).set_value([("shapes.zip", shapes_zip(), "application/zip")]).run()
    assert not any(s.key == f"{UPLOADER}_kind" for s in at.selectbox)   # 'What is it?' is not asked for a zip
    at.button(key=f"{UPLOADER}_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = [s.value for s in at.success]
    assert said == ["Loaded shapes.zip: 3 classes (bar, circle, cross), 21 training and 3 test images."], said
    m = at.session_state["uploaded_mnist"]
    assert m.classes == ("bar", "circle", "cross") and len(m.y_train) == 21 and len(m.y_test) == 3
    assert "shapes.zip images of **bar** and **circle**" in texts(at)
    assert "This session uses shapes.zip" in texts(at)
    at.run()
    assert not at.success                                                # the line is said once

    at = train(at, 30)
    run = at.session_state["run"]
    assert run.pair.classes == ("bar", "circle") and run.pair.digest == m.digest
    at = goto(at, WEIGHTS)
    shown = everything(at)
    assert "classes bar/circle" in shown                                 # the sidebar's model line
    assert "votes for **circle**" in shown or "votes for **bar**" in shown
    assert "output weight (votes circle … votes bar)" in shown
    assert "digit 0" not in shown and "digit 1" not in shown
    at = goto(at, MISTAKES)
    shown = everything(at)
    assert "The images it gets wrong, and why" in shown
    assert "P(circle)" in shown and ("true bar" in shown or "true circle" in shown)
    assert "classes bar/circle" in shown


def test_settings_beyond_the_uploaded_classes_fall_back_and_going_back_restores_the_server_data():
    at = session_with(shapes_zip(), digits="3-8")
    assert at.session_state["hyper"].digits == (0, 1)
    assert any("shapes.zip has 3 classes and no class 8" in w.value and "bar vs circle" in w.value
               for w in at.warning), [w.value for w in at.warning]
    at.button(key=f"{UPLOADER}_back").click().run()
    assert not at.exception and "uploaded_mnist" not in at.session_state
    assert [s.value for s in at.success] == ["Back to the server's data set, MNIST."]
    assert "MNIST images of **0** and **1**" in texts(at)


def test_a_fashion_style_idx_upload_named_through_the_select(synthetic):
    fashion_like = synthetic(400, 120, 11)
    at = app(DATA)
    upload(at, idx_files(fashion_like), dataset="fashion")
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == [
        f"Loaded Fashion-MNIST: 10 classes ({', '.join(FASHION)}), 400 training and 120 test images."]
    m = at.session_state["uploaded_mnist"]
    assert m.name == "Fashion-MNIST" and m.classes == FASHION and m.digest == fashion_like.digest
    assert at.title[0].value == "The data: Fashion-MNIST images as numbers"
    assert "Fashion-MNIST images of **T-shirt/top** and **Trouser**" in texts(at)
    assert "learns to tell **T-shirt/top** from **Trouser** in Fashion-MNIST" in texts(goto(at, HOME))

    at = app(DATA)                                                      # the same files, recognised: MNIST
    upload(at, idx_files(fashion_like))
    m = at.session_state["uploaded_mnist"]
    assert m.name == "MNIST" and m.classes == tuple("0123456789")
    assert [s.value for s in at.success] == [
        "Loaded MNIST: 10 classes (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 400 training and 120 test images."]


def test_kuzushiji_npz_files_and_a_keras_npz_are_recognised(synthetic):
    m = synthetic(200, 60, 3)
    at = app(DATA)
    upload(at, [(f"kmnist-{split}-{kind}.npz", npz_bytes(arr_0=a), "application/octet-stream")
                for split, kind, a in (("train", "imgs", m.x_train), ("train", "labels", m.y_train),
                                       ("test", "imgs", m.x_test), ("test", "labels", m.y_test))])
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["uploaded_mnist"].name == "Kuzushiji-MNIST"
    assert "Loaded Kuzushiji-MNIST: 10 classes (o (お), ki (き)" in at.success[0].value
    upload(at, [("fashion-mnist.npz", npz_bytes(x_train=m.x_train, y_train=m.y_train, x_test=m.x_test,
                                                y_test=m.y_test), "application/octet-stream")])
    data = at.session_state["uploaded_mnist"]
    assert data.name == "Fashion-MNIST" and data.source == "fashion-mnist.npz"   # not the temporary file's path


# ------------------------------------------------------------------ runs are shared by content, not by name


def test_two_uploads_with_the_same_name_never_share_a_run_and_the_same_contents_do():
    first, second = shapes_zip(seed=1), shapes_zip(seed=2)
    assert first != second
    a = train(session_with(first, "shapes.zip"))
    b = train(session_with(second, "shapes.zip"))
    ra, rb = a.session_state["run"], b.session_state["run"]
    assert ra.pair.digest != rb.pair.digest
    assert ra.id != rb.id and ra.state is not rb.state
    assert (ra.origin, rb.origin) == ("trained", "trained")             # b trained its own: nothing shared
    assert not np.array_equal(ra.state.params["W1"], rb.state.params["W1"])
    assert commands.classroom().counts()["finished"] == 2

    c = train(session_with(first, "my-own-shapes.zip"))                 # a's images, under another name
    rc = c.session_state["run"]
    assert rc.pair.digest == ra.pair.digest
    assert rc.origin == "shared" and rc.state is ra.state                 # a's result, at once
    assert commands.classroom().counts()["finished"] == 2


# ------------------------------------------------------------------ bad uploads: one line, nothing lost


HOSTILE = [
    ("not-a-zip", lambda: ("shapes.zip", b"this is a text file, not a zip"), "shapes.zip: not a valid zip file"),
    ("zip-bomb", lambda: ("bomb.zip", zip_bomb()), "unpacks to more than 200 MB"),
    ("too-few-images", lambda: ("few.zip", shapes_zip(n=3)), "has too few images (3); each class needs at least 5"),
    ("a-non-image-file", lambda: ("notes.zip", make_zip({**shape_files(6), "circle/notes.txt": b"my notes"})),
     "not PNG or JPEG images: circle/notes.txt"),
    ("one-folder", lambda: ("one.zip", shapes_zip(kinds=("circle",))), "only one class folder (circle)"),
    ("zip-with-other-files", lambda: [("shapes.zip", shapes_zip(), "application/zip"),
                                      ("mnist.npz", b"PK", "application/octet-stream")],
     "give the .zip of images on its own"),
    ("three-idx-files", lambda: [(n, b"x" * 10, "application/gzip") for n in ("a.gz", "b.gz", "c.gz")],
     "give one mnist.npz, or the four IDX files"),
]


def test_each_bad_upload_says_one_line_and_keeps_the_data_and_the_model():
    at = train(session_with(shapes_zip()))
    at = goto(at, DATA)
    before = guarded(at)
    for name, make, expected in HOSTILE:
        upload(at, make())
        errors = [e.value for e in at.error]
        assert len(errors) == 1, (name, errors)
        assert errors[0].startswith("Could not use the upload: ") and expected in errors[0], (name, errors[0])
        assert "\n" not in errors[0], name
        assert not at.success, name
        assert guarded(at) == before, name
        assert "shapes.zip images of **bar** and **circle**" in texts(at), name
    at = goto(at, WEIGHTS)
    assert "classes bar/circle" in everything(at)


def test_a_bad_upload_keeps_the_server_data_and_the_model_too():
    at = train(app(DATA))
    at = goto(at, DATA)
    before = guarded(at)
    upload(at, ("shapes.zip", b"PK\x03\x04 not really"))
    assert len(at.error) == 1 and "not a valid zip file" in at.error[0].value
    assert guarded(at) == before and "uploaded_mnist" not in at.session_state


# ------------------------------------------------------------------ read_upload on its own


class Unread(FakeUpload):
    """An upload whose bytes must not be read (its size alone refuses it)."""

    def getvalue(self) -> bytes:
        raise AssertionError("read before its size was checked")


def test_sizes_are_checked_before_reading():
    with pytest.raises(DataError, match=r"big\.zip: larger than 50 MB; a zip of images may be at most 50 MB"):
        read_upload([Unread("big.zip", b"PK", size=MAX_ZIP_BYTES + 1)])
    with pytest.raises(DataError, match="MNIST is about 11 MB"):
        read_upload([Unread("mnist.npz", b"PK", size=MAX_DATA_UPLOAD + 1)])
    with pytest.raises(DataError, match="MNIST is about 11 MB"):
        read_upload([Unread(n, b"", size=MAX_DATA_UPLOAD // 3) for n in ("a", "b", "c", "d")])


def test_read_upload_names_the_data_set_as_told(synthetic):
    m = synthetic(100, 30, 4)
    files = [FakeUpload(name, raw) for name, raw, _ in idx_files(m)]
    assert read_upload(files).name == "MNIST"
    told = read_upload(files, "fashion")
    assert told.name == "Fashion-MNIST" and told.classes == FASHION and told.digest == m.digest
    zipped = read_upload([FakeUpload("shapes.zip", shapes_zip(n=5))], "fashion")     # a zip names itself
    assert zipped.name == "shapes.zip" and zipped.classes == ("bar", "circle", "cross")
    with pytest.raises(DataError, match="unknown data set"):
        read_upload(files, "cifar")


def test_train_after_an_upload_trains_on_the_upload_not_on_the_old_data():
    at = train(app(TRAIN), iterations=20)                          # the server's data set, 20 iterations
    old = at.session_state["run"]
    upload(goto(at, DATA), ("shapes.zip", shapes_zip()))
    assert not at.error, [e.value for e in at.error]
    at = train(at, iterations=20)                                  # same settings, other data
    new = at.session_state["run"]
    assert new.id != old.id and new.pair.digest == at.session_state["uploaded_mnist"].digest
    assert new.pair.classes == tuple(at.session_state["uploaded_mnist"].classes[:2])
