"""Data sets in MNIST's format (Fashion-MNIST, Kuzushiji-MNIST, EMNIST digits): recognised from their file
and folder names or named explicitly, in each of their layouts, as uploads, and on the command line.
Every file is small and made here; nothing is downloaded."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from ssnn_core import DATASETS, DatasetInfo, data, datasets
from ssnn_core.config import DataError
from ssnn_core.data import idx_bytes_to_mnist, load_mnist, load_path, npz_bytes_to_mnist, select_digits
from tests.conftest import make_mnist, run_cli, write_idx, write_idx_folder, write_npz

load_idx_folder, load_npz = data.load_idx_folder, data.load_npz

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
KANA = ("o (お)", "ki (き)", "su (す)", "tsu (つ)", "na (な)", "ha (は)", "ma (ま)", "ya (や)", "re (れ)", "wo (を)")
DIGITS = tuple("0123456789")


@pytest.fixture(autouse=True)
def no_environment(monkeypatch, tmp_path):
    """No SSNN_MNIST/SSNN_DATASET from the caller, an empty Keras cache, and nothing cached by load_mnist."""
    monkeypatch.delenv("SSNN_MNIST", raising=False)
    monkeypatch.delenv("SSNN_DATASET", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "_CACHE", {})


@pytest.fixture(scope="module")
def small():
    return make_mnist(60, 20, seed=3)


def upright_test_image() -> np.ndarray:
    """An image that its transpose is not: a bar along the top row and a dot bottom-left."""
    img = np.zeros((28, 28), np.uint8)
    img[2, 3:20] = 255
    img[25, 1] = 128
    return img


def same_images(m, small):
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(m, key), getattr(small, key))


def write_kmnist_npz(folder, mnist, skip=()):
    """Kuzushiji-MNIST's own layout: four npz files, each holding one array arr_0."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in data.KMNIST_NPZ_NAMES.items():
        if name not in skip:
            np.savez_compressed(folder / name, getattr(mnist, key))  # a positional array is saved as arr_0
    return folder


def write_emnist_folder(folder, mnist, gz=True):
    """EMNIST digits' own file names, each image stored transposed, as EMNIST does."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in data.EMNIST_IDX_NAMES.items():
        array = getattr(mnist, key)
        write_idx(folder / stem, array.transpose(0, 2, 1) if key.startswith("x") else array, gz=gz)
    return folder


def with_test_image(mnist, image):
    x_test = np.array(mnist.x_test)
    x_test[0] = image
    return data.Mnist(mnist.x_train, mnist.y_train, x_test, mnist.y_test, "made")


# ---------------------------------------------------------------- the names


def test_known_data_sets():
    assert list(DATASETS) == ["mnist", "fashion", "kmnist", "emnist-digits"]
    assert DATASETS is datasets.KNOWN
    assert DATASETS["mnist"] == DatasetInfo("mnist", "MNIST", DIGITS, False)
    assert DATASETS["fashion"] == DatasetInfo("fashion", "Fashion-MNIST", FASHION, False)
    assert DATASETS["kmnist"] == DatasetInfo("kmnist", "Kuzushiji-MNIST", KANA, False)
    assert DATASETS["emnist-digits"] == DatasetInfo("emnist-digits", "EMNIST digits", DIGITS, True)
    assert all(info.key == key and len(info.classes) == 10 for key, info in DATASETS.items())
    assert data.DIGITS == DIGITS


@pytest.mark.parametrize("names, key", [
    (["fashion-mnist"], "fashion"),
    (["fashion_mnist.npz"], "fashion"),
    (["train-images-idx3-ubyte.gz", "Fashion"], "fashion"),
    (["kmnist-train-imgs.npz"], "kmnist"),
    (["KMNIST"], "kmnist"),
    (["kuzushiji-mnist"], "kmnist"),
    (["emnist-digits-train-images-idx3-ubyte.gz"], "emnist-digits"),
    (["data", "emnist_digits"], "emnist-digits"),
    (["mnist.npz"], None),
    (["datasets", "train-images-idx3-ubyte.gz"], None),
    (["emnist-letters-train-images-idx3-ubyte.gz"], None),   # not the digits: not a data set ssnn knows
    ([], None),
])
def test_recognise(names, key):
    assert datasets.recognise(names) == key


def test_info_by_key_and_unknown_name():
    assert datasets.info("fashion").name == "Fashion-MNIST"
    assert datasets.info(" Fashion ").key == "fashion"
    for bad in ("cifar10", "", None, 3):
        with pytest.raises(DataError) as info:
            datasets.info(bad)
        message = str(info.value)
        assert "\n" not in message and "unknown data set" in message, message
        assert message.endswith("known: mnist, fashion, kmnist, emnist-digits"), message
    assert info.value.template == "unknown data set {name!r}; known: {known}"


def test_choose_explicit_then_environment_then_names(monkeypatch):
    assert datasets.choose(None, ["fashion-mnist"]).key == "fashion"
    assert datasets.choose(None, ["mnist.npz"]).key == "mnist"
    monkeypatch.setenv("SSNN_DATASET", "kmnist")
    assert datasets.choose(None, ["fashion-mnist"]).key == "fashion"            # env only when asked for
    assert datasets.choose(None, ["fashion-mnist"], env=True).key == "kmnist"
    assert datasets.choose("mnist", ["fashion-mnist"], env=True).key == "mnist"


# ---------------------------------------------------------------- Fashion-MNIST


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_idx_folder_is_recognised(tmp_path, small, gz):
    folder = write_idx_folder(tmp_path / "fashion-mnist", small, gz=gz)
    for m in (load_idx_folder(folder), load_path(folder), load_mnist(folder)):
        assert (m.name, m.classes) == ("Fashion-MNIST", FASHION)
        same_images(m, small)
        assert m.digest == small.digest          # the same contents: the same fingerprint
        assert not m.x_train.flags.writeable


def test_plain_folder_stays_mnist(tmp_path, small):
    m = load_path(write_idx_folder(tmp_path / "idx", small))
    assert (m.name, m.classes) == ("MNIST", DIGITS)
    same_images(m, small)


def test_fashion_keras_npz_is_recognised(tmp_path, small):
    path = write_npz(tmp_path / "fashion_mnist.npz", small)
    for m in (load_npz(path), load_path(path), load_mnist(path)):
        assert (m.name, m.classes) == ("Fashion-MNIST", FASHION)
        same_images(m, small)
    assert load_npz(write_npz(tmp_path / "mnist.npz", small)).name == "MNIST"


def test_fashion_from_keras_cache_folder(tmp_path, small, monkeypatch):
    """Keras keeps Fashion-MNIST as its four gzipped IDX files in $KERAS_HOME/datasets/fashion-mnist/."""
    with pytest.raises(DataError, match="^Fashion-MNIST not found: give a path with --data PATH"):
        load_mnist(dataset="fashion", allow_download=False)
    folder = write_idx_folder(tmp_path / "keras" / "datasets" / "fashion-mnist", small)
    assert data.keras_cache_folder("fashion") == folder and data.keras_cache_folder("kmnist") is None
    m = load_mnist(dataset="fashion", allow_download=False)
    assert (m.name, m.classes) == ("Fashion-MNIST", FASHION) and m.source == str(folder)
    same_images(m, small)
    monkeypatch.setattr(data, "_CACHE", {})
    monkeypatch.setenv("SSNN_DATASET", "fashion")
    assert load_mnist(allow_download=False).name == "Fashion-MNIST"


def test_other_data_set_without_a_path_is_not_downloaded(monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("only MNIST is downloaded")
    monkeypatch.setattr(data, "download", no_download)
    monkeypatch.setattr(data, "_from_keras", no_download)
    with pytest.raises(DataError) as info:
        load_mnist(dataset="kmnist")
    assert str(info.value).startswith("Kuzushiji-MNIST not found: give a path with --data PATH or the SSNN_MNIST")
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- Kuzushiji-MNIST


def test_kmnist_npz_layout_from_a_folder(tmp_path, small):
    folder = write_kmnist_npz(tmp_path / "downloads", small)   # the folder's name says nothing: the files do
    for m in (load_idx_folder(folder), load_path(folder), load_mnist(folder),
              load_path(folder / "kmnist-test-labels.npz")):  # one of the four files names its folder
        assert (m.name, m.classes) == ("Kuzushiji-MNIST", KANA)
        same_images(m, small)
        assert m.source == str(folder) and not m.x_test.flags.writeable


def test_kmnist_npz_layout_refusals(tmp_path, small):
    folder = write_kmnist_npz(tmp_path / "k", small, skip=("kmnist-test-imgs.npz",))
    with pytest.raises(DataError) as info:
        load_path(folder)
    assert str(info.value) == (f"{folder}: missing kmnist-test-imgs.npz; Kuzushiji-MNIST's npz layout has four "
                               "files: kmnist-train-imgs.npz, kmnist-train-labels.npz, kmnist-test-imgs.npz, "
                               "kmnist-test-labels.npz")
    np.savez(folder / "kmnist-test-imgs.npz", images=small.x_test)          # the wrong array name
    with pytest.raises(DataError, match="kmnist-test-imgs.npz: expected arrays arr_0, found images.npy"):
        load_path(folder)
    np.savez(folder / "kmnist-test-imgs.npz", small.x_test.astype(np.float32))
    with pytest.raises(DataError, match="must be uint8"):
        load_path(folder)
    (folder / "kmnist-test-imgs.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="kmnist-test-imgs.npz: not a valid .npz"):
        load_path(folder)


def test_kmnist_idx_layout(tmp_path, small):
    m = load_path(write_idx_folder(tmp_path / "kmnist", small))
    assert (m.name, m.classes) == ("Kuzushiji-MNIST", KANA)
    same_images(m, small)


# ---------------------------------------------------------------- EMNIST digits


@pytest.mark.parametrize("gz", [True, False])
def test_emnist_digits_turned_upright(tmp_path, small, gz):
    upright = with_test_image(small, upright_test_image())
    folder = write_emnist_folder(tmp_path / "data", upright, gz=gz)   # recognised from the files' names
    m = load_path(folder)
    assert (m.name, m.classes) == ("EMNIST digits", DIGITS)
    np.testing.assert_array_equal(m.x_test[0], upright_test_image())
    same_images(m, upright)
    assert m.x_train.flags.c_contiguous and not m.x_train.flags.writeable
    assert m.digest == upright.digest                 # the fingerprint of the upright images


def test_emnist_named_explicitly_in_mnist_file_names(tmp_path, small):
    """EMNIST's images in files under MNIST's names: named by dataset=, they are still turned upright."""
    upright = with_test_image(small, upright_test_image())
    stored = data.Mnist(upright.x_train.transpose(0, 2, 1), upright.y_train, upright.x_test.transpose(0, 2, 1),
                        upright.y_test, "stored")
    folder = write_idx_folder(tmp_path / "idx", stored)
    assert load_path(folder).name == "MNIST"
    m = load_path(folder, dataset="emnist-digits")
    np.testing.assert_array_equal(m.x_test[0], upright_test_image())
    assert m.name == "EMNIST digits"


def test_emnist_missing_file_named_as_emnist_names_it(tmp_path, small):
    folder = write_emnist_folder(tmp_path / "emnist-digits", small)
    (folder / "emnist-digits-test-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing emnist-digits-test-labels-idx1-ubyte"):
        load_path(folder)


def test_emnist_holds_more_images_than_mnist_may(tmp_path, small):
    """EMNIST digits has 240 000 training images; MNIST's bound (100 000 per file) stays MNIST's."""
    head = (0x801).to_bytes(4, "big") + (150_000).to_bytes(4, "big")
    for folder, says in ((write_emnist_folder(tmp_path / "e", small), "expected 150000 bytes of data, found 10"),
                         (write_idx_folder(tmp_path / "m", small), "unexpected dimensions [150000]")):
        name = next(folder.glob("*train-labels*"))
        name.write_bytes(head + bytes(10))
        name.rename(name.with_suffix(""))            # raw, not gzipped
        with pytest.raises(DataError, match=says.replace("[", r"\[").replace("]", r"\]")):
            load_path(folder)
    head = (0x801).to_bytes(4, "big") + (2**31).to_bytes(4, "big")
    next((tmp_path / "e").glob("*train-labels*")).write_bytes(head)
    with pytest.raises(DataError, match="unexpected dimensions"):
        load_path(tmp_path / "e")


# ---------------------------------------------------------------- naming explicitly, SSNN_DATASET


def test_dataset_argument_overrides_the_names(tmp_path, small):
    fashion = write_idx_folder(tmp_path / "fashion-mnist", small)
    assert load_path(fashion, dataset="mnist").name == "MNIST"
    assert load_path(fashion, dataset="kmnist").classes == KANA
    plain = write_npz(tmp_path / "mnist.npz", small)
    assert load_npz(plain, dataset="fashion").classes == FASHION
    assert load_mnist(plain, dataset="fashion").name == "Fashion-MNIST"
    assert load_mnist(plain).name == "MNIST"                        # cached apart: each as it was named
    assert load_mnist(plain, dataset="fashion") is load_mnist(plain, dataset="fashion")


def test_environment_names_the_servers_data(tmp_path, small, monkeypatch):
    fashion = write_idx_folder(tmp_path / "fashion-mnist", small)
    monkeypatch.setenv("SSNN_DATASET", "kmnist")
    assert load_mnist(fashion).name == "Kuzushiji-MNIST"                # over what the folder's name says
    assert load_mnist(fashion, dataset="fashion").name == "Fashion-MNIST"   # dataset= over SSNN_DATASET
    monkeypatch.setenv("SSNN_MNIST", str(fashion))
    assert load_mnist().name == "Kuzushiji-MNIST"
    monkeypatch.setenv("SSNN_DATASET", "")
    monkeypatch.setattr(data, "_CACHE", {})
    assert load_mnist().name == "Fashion-MNIST"                         # empty: as if unset


def test_unknown_names_refused_in_one_line_before_reading(tmp_path, small, monkeypatch):
    path = write_npz(tmp_path / "mnist.npz", small)
    for call in (lambda: load_mnist(path, dataset="cifar"), lambda: load_path(tmp_path / "nothing", dataset="cifar"),
                 lambda: npz_bytes_to_mnist(path.read_bytes(), "mnist.npz", dataset="cifar"),
                 lambda: idx_bytes_to_mnist({}, dataset="cifar")):
        with pytest.raises(DataError) as info:
            call()
        assert str(info.value) == "unknown data set 'cifar'; known: mnist, fashion, kmnist, emnist-digits"
    monkeypatch.setenv("SSNN_DATASET", "cifar")
    with pytest.raises(DataError) as info:
        load_mnist(path)
    assert str(info.value) == ("SSNN_DATASET='cifar' is not a data set ssnn knows; known: mnist, fashion, kmnist, "
                               "emnist-digits")


# ---------------------------------------------------------------- uploads


def npz_bytes(mnist=None, **arrays) -> bytes:
    base = {} if mnist is None else {"x_train": mnist.x_train, "y_train": mnist.y_train,
                                     "x_test": mnist.x_test, "y_test": mnist.y_test}
    base.update(arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **base)
    return buffer.getvalue()


def test_npz_upload_named_by_its_file_name(small, monkeypatch):
    raw = npz_bytes(small)
    assert npz_bytes_to_mnist(raw, "fashion_mnist.npz").classes == FASHION
    assert npz_bytes_to_mnist(raw, r"C:\Users\me\Downloads\fashion_mnist.npz").name == "Fashion-MNIST"
    assert npz_bytes_to_mnist(raw, "kmnist.npz").name == "Kuzushiji-MNIST"
    assert npz_bytes_to_mnist(raw, "mnist.npz", dataset="fashion").name == "Fashion-MNIST"
    monkeypatch.setenv("SSNN_DATASET", "kmnist")                       # the server's data, not an upload
    m = npz_bytes_to_mnist(raw, "mnist.npz")
    assert (m.name, m.classes, m.digest) == ("MNIST", DIGITS, small.digest)


def test_npz_upload_of_one_kmnist_file_says_to_upload_all_four(small):
    buffer = io.BytesIO()
    np.savez(buffer, small.x_train)
    with pytest.raises(DataError) as info:
        npz_bytes_to_mnist(buffer.getvalue(), "kmnist-train-imgs.npz")
    assert str(info.value) == ("kmnist-train-imgs.npz is one of Kuzushiji-MNIST's four npz files: upload all four "
                               "together")
    with pytest.raises(DataError, match="^upload.npz: expected arrays"):   # other names: as before
        npz_bytes_to_mnist(buffer.getvalue(), "upload.npz")


def test_kmnist_npz_files_as_an_upload(tmp_path, small):
    folder = write_kmnist_npz(tmp_path / "k", small)
    files = {name: (folder / name).read_bytes() for name in data.KMNIST_NPZ_NAMES.values()}
    m = idx_bytes_to_mnist(files)
    assert (m.name, m.classes, m.source) == ("Kuzushiji-MNIST", KANA, "uploaded npz files")
    same_images(m, small)
    del files["kmnist-train-labels.npz"]
    files["notes.txt"] = b"hello"
    with pytest.raises(DataError, match="^upload: missing kmnist-train-labels.npz; Kuzushiji-MNIST's npz layout"):
        idx_bytes_to_mnist(files)


def test_idx_uploads(tmp_path, small, monkeypatch):
    plain = write_idx_folder(tmp_path / "fashion-mnist", small)
    files = {p.name: p.read_bytes() for p in plain.iterdir()}
    m = idx_bytes_to_mnist(files)                   # MNIST's file names say nothing, whatever folder they were in
    assert (m.name, m.source, m.digest) == ("MNIST", "uploaded IDX files", small.digest)
    monkeypatch.setenv("SSNN_DATASET", "fashion")  # the server's data, not an upload
    assert idx_bytes_to_mnist(files).name == "MNIST"
    m = idx_bytes_to_mnist(files, dataset="fashion")
    assert (m.name, m.classes, m.source) == ("Fashion-MNIST", FASHION, "uploaded IDX files")
    upright = with_test_image(small, upright_test_image())
    emnist = write_emnist_folder(tmp_path / "e", upright)
    m = idx_bytes_to_mnist({p.name: p.read_bytes() for p in emnist.iterdir()})
    assert m.name == "EMNIST digits"
    np.testing.assert_array_equal(m.x_test[0], upright_test_image())
    in_folders = {f"kmnist/{name}": raw for name, raw in sorted(files.items())}   # a path in a name: dropped
    assert idx_bytes_to_mnist(in_folders).name == "MNIST"
    with pytest.raises(DataError, match="^upload: missing t10k-images-idx3-ubyte"):
        idx_bytes_to_mnist(dict(list(in_folders.items())[1:]))


# ---------------------------------------------------------------- select_digits


def test_select_digits_carries_the_class_names(tmp_path, small):
    fashion = load_path(write_idx_folder(tmp_path / "fashion-mnist", small))
    pair = select_digits(fashion, (0, 1))
    assert (pair.classes, pair.dataset, pair.digest) == (("T-shirt/top", "Trouser"), "Fashion-MNIST", fashion.digest)
    assert select_digits(fashion, (9, 5)).classes == ("Ankle boot", "Sandal")
    kmnist = load_path(write_kmnist_npz(tmp_path / "k", small))
    pair = select_digits(kmnist, (3, 8))
    assert (pair.classes, pair.dataset, pair.digits) == (("tsu (つ)", "re (れ)"), "Kuzushiji-MNIST", (3, 8))
    pair = select_digits(small, (0, 1))
    assert (pair.classes, pair.dataset) == (("0", "1"), "MNIST")


# ---------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def fashion_folder(tmp_path_factory):
    return write_idx_folder(tmp_path_factory.mktemp("cli") / "fashion-mnist", make_mnist(200, 60))


def last_json(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


TRAIN = ("train", "--iterations", "5", "--hidden", "2", "--json")


def test_cli_recognises_fashion_and_names_the_classes(fashion_folder):
    proc = run_cli(*TRAIN, "--data", fashion_folder)
    lines = proc.stdout.splitlines()
    assert lines[0] == "ssnn: training 784 -> 2 -> 1 (1573 parameters) to tell T-shirt/top from Trouser", lines
    assert lines[1] == "Fashion-MNIST: T-shirt/top vs Trouser"
    assert lines[2].startswith("data: ") and "training and" in lines[2]
    r = last_json(proc)
    assert (r["dataset"], r["classes"], r["digits"]) == ("Fashion-MNIST", ["T-shirt/top", "Trouser"], [0, 1])
    assert proc.stderr == ""


def test_cli_dataset_option_and_environment(fashion_folder):
    proc = run_cli(*TRAIN, "--data", fashion_folder, "--dataset", "kmnist", "--digits", "3", "8")
    assert "Kuzushiji-MNIST: tsu (つ) vs re (れ)" in proc.stdout.splitlines()
    assert last_json(proc)["classes"] == ["tsu (つ)", "re (れ)"]
    proc = run_cli(*TRAIN, "--data", fashion_folder, env_extra={"SSNN_DATASET": "mnist"})
    assert not any(line.startswith("Fashion-MNIST") for line in proc.stdout.splitlines())
    assert last_json(proc)["dataset"] == "MNIST"
    proc = run_cli(*TRAIN, "--data", fashion_folder, "--dataset", "fashion", env_extra={"SSNN_DATASET": "kmnist"})
    assert last_json(proc)["dataset"] == "Fashion-MNIST"


def test_cli_mnist_output_unchanged_plus_json_keys(tmp_path):
    path = write_npz(tmp_path / "syn.npz", make_mnist(200, 60))
    proc = run_cli(*TRAIN, "--data", path, "--digits", "3", "8")
    lines = proc.stdout.splitlines()
    assert lines[0] == "ssnn: training 784 -> 2 -> 1 (1573 parameters) to tell 3 from 8"
    assert lines[1].startswith(f"data: {path}: ")
    assert not any(line.startswith("MNIST") for line in lines)
    r = last_json(proc)
    assert (r["dataset"], r["classes"]) == ("MNIST", ["3", "8"])


def test_cli_gradcheck_and_bench_name_the_data_set(fashion_folder):
    proc = run_cli("gradcheck", "--data", fashion_folder, "--checks", "3", "--samples", "20")
    assert proc.stdout.splitlines()[0] == "Fashion-MNIST: T-shirt/top vs Trouser", proc.stdout + proc.stderr
    proc = run_cli("bench", "--data", fashion_folder, "--dataset", "kmnist", "--hidden", "2", "--iterations", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "Kuzushiji-MNIST: o (お) vs ki (き)"


@pytest.mark.parametrize("args, env, status, fragment", [
    (["--dataset", "cifar"], {}, 2, "invalid choice: 'cifar'"),
    ([], {"SSNN_DATASET": "cifar"}, 1, "SSNN_DATASET='cifar' is not a data set ssnn knows"),
])
def test_cli_unknown_data_set(fashion_folder, args, env, status, fragment):
    proc = run_cli(*TRAIN, "--data", fashion_folder, *args, env_extra=env)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == status and len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert fragment in lines[0] and "Traceback" not in proc.stderr


def test_cli_other_data_set_without_a_path(tmp_path):
    proc = run_cli(*TRAIN, "--dataset", "fashion", env_extra={"KERAS_HOME": str(tmp_path / "keras")})
    assert proc.returncode == 1 and proc.stderr.startswith("error: Fashion-MNIST not found"), proc.stderr
