"""`python -m ssnn_core ...` as a user runs it: the article's figures, predictions, and clean failures."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ssnn_core.data import load_mnist, select_digits
from tests.conftest import make_mnist, run_cli, write_npz


def last_json(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_clean_error(proc, status: int, fragment: str):
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == status, (proc.returncode, proc.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.fixture(scope="module")
def synthetic_npz(tmp_path_factory):
    return write_npz(tmp_path_factory.mktemp("syn") / "syn.npz", make_mnist(200, 60))


# ---------------------------------------------------------------- the article, on real data


@pytest.fixture(scope="module")
def article_run(mnist_path):
    return last_json(run_cli("train", "--data", mnist_path, "--scaling", "seed", "--dtype", "float64", "--json"))


@pytest.fixture(scope="module")
def default_run(mnist_path, tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "model.npz"
    proc = run_cli("train", "--data", mnist_path, "--save", model, "--json")
    return proc, last_json(proc), model


@pytest.mark.mnist
@pytest.mark.slow
def test_article_run_reproduced(article_run):
    r = article_run
    assert round(r["final_cost"], 6) == 0.000849
    assert r["misclassified"] == [1749, 2031] and r["errors"] == 2
    assert (r["train_size"], r["test_size"]) == (12665, 2115)
    assert r["error_rate"] == pytest.approx(2 / 2115)
    assert (r["hidden"], r["learning_rate"], r["iterations"], r["seed"], r["dtype"], r["scaling"]) == \
        (10, 0.5, 500, 561, "float64", "seed")
    assert r["digits"] == [0, 1] and r["train_seconds"] > 0


@pytest.mark.mnist
@pytest.mark.slow
def test_article_run_from_idx_folder(mnist_idx_dir, article_run):
    r = last_json(run_cli("train", "--data", mnist_idx_dir, "--scaling", "seed", "--dtype", "float64", "--json"))
    # same arrays, same run; BLAS may sum in another order (buffer alignment), so not always to the last bit
    assert r["final_cost"] == pytest.approx(article_run["final_cost"], rel=1e-9)
    assert round(r["final_cost"], 6) == 0.000849
    assert r["misclassified"] == [1749, 2031] and r["test_size"] == 2115


@pytest.mark.mnist
@pytest.mark.slow
def test_default_run_is_safe_and_says_so(default_run):
    proc, r, model = default_run
    assert r["scaling"] == "safe" and r["dtype"] == "float32"
    assert r["errors"] <= 1 and 1749 not in r["misclassified"]
    assert "scaling: safe" in proc.stdout and "StandardScaler" in proc.stdout
    assert f"model saved to {model}" in proc.stdout and model.is_file()
    costs = [line for line in proc.stdout.splitlines() if line.startswith("iteration:")]
    assert len(costs) == 20 and "iteration:   500" in costs[-1]
    assert proc.stderr == ""


@pytest.mark.mnist
@pytest.mark.slow
def test_predict_real_digits(default_run, mnist_path, tmp_path):
    _, _, model = default_run
    pair = select_digits(load_mnist(mnist_path), (0, 1))
    paths, truth = [], []
    for k in (0, 1, 2, 3, 4, 5):
        digit = pair.x_test[k].reshape(28, 28)
        path = tmp_path / f"digit{k}.png"
        big = np.kron(255 - digit, np.ones((4, 4), np.uint8))   # dark on white, 112 px: like a scan
        Image.fromarray(big).save(path)
        paths.append(path)
        truth.append(int(pair.y_test[k]))
    proc = run_cli("predict", model, *paths, "--json")
    rows = last_json(proc)
    assert [row["digit"] for row in rows] == truth
    assert all((row["probability"] > 0.5) == (row["digit"] == 1) for row in rows)


@pytest.mark.mnist
def test_gradcheck_command_passes_on_real_data(mnist_path):
    proc = run_cli("gradcheck", "--data", mnist_path, "--checks", "20", "--samples", "100")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].endswith(": OK")


# ---------------------------------------------------------------- synthetic data, quick


def test_train_short_run_and_save(synthetic_npz, tmp_path):
    proc = run_cli("train", "--data", synthetic_npz, "--iterations", "20", "--hidden", "4", "--digits", "3", "8",
                   "--save", tmp_path / "m", "--json")
    r = last_json(proc)
    assert r["digits"] == [3, 8] and r["iterations"] == 20 and r["data_source"].endswith("syn.npz")
    for key in ("final_cost", "train_size", "test_size", "errors", "error_rate", "misclassified", "train_seconds"):
        assert key in r
    assert (tmp_path / "m.npz").is_file()
    png = tmp_path / "blank.png"
    Image.new("L", (40, 40), 255).save(png)                    # an empty page still gets an answer
    assert run_cli("predict", tmp_path / "m.npz", png).returncode == 0


@pytest.mark.parametrize("args, fragment", [
    (["--hidden", "0"], "hidden must be in 1..300, got 0"),
    (["--hidden", "10000"], "hidden must be in 1..300, got 10000"),
    (["--hidden", "ten"], "expected a whole number"),
    (["--learning-rate", "0"], "learning rate must be a positive finite number"),
    (["--learning-rate", "nan"], "learning rate must be a positive finite number"),
    (["--learning-rate", "-1"], "learning rate must be a positive finite number"),
    (["--iterations", "0"], "iterations must be in 1..100000, got 0"),
    (["--digits", "3", "3"], "two different digits"),
    (["--digits", "0", "12"], "digit must be in 0..9, got 12"),
    (["--dtype", "float16"], "invalid choice"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_2(args, fragment, tmp_path):
    proc = run_cli("train", "--data", tmp_path / "never-read.npz", *args)
    assert_clean_error(proc, 2, fragment)


def test_no_command_is_a_usage_error():
    assert_clean_error(run_cli(), 2, "required")


def test_missing_data_file(tmp_path):
    assert_clean_error(run_cli("train", "--data", tmp_path / "nope.npz"), 1, "no such file")


def test_corrupt_data_file(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 this is not really a zip" * 10)
    assert_clean_error(run_cli("train", "--data", tmp_path / "mnist.npz"), 1, "not a valid .npz")


def test_save_into_unwritable_place(synthetic_npz, tmp_path):
    (tmp_path / "a_file").write_text("x")
    proc = run_cli("train", "--data", synthetic_npz, "--iterations", "2", "--save", tmp_path / "a_file" / "m.npz")
    assert_clean_error(proc, 1, "cannot write the model")


def test_predict_with_something_else_as_model(synthetic_npz, tmp_path):
    png = tmp_path / "d.png"
    Image.new("L", (20, 20)).save(png)
    assert_clean_error(run_cli("predict", synthetic_npz, png), 1, "not an ssnn model")


def test_predict_non_image(synthetic_npz, tmp_path):
    model = tmp_path / "m.npz"
    assert run_cli("train", "--data", synthetic_npz, "--iterations", "2", "--save", model).returncode == 0
    text = tmp_path / "x.png"
    text.write_text("not an image\n")
    assert_clean_error(run_cli("predict", model, text), 1, "not a PNG or JPEG image")
    assert_clean_error(run_cli("predict", model, tmp_path / "missing.png"), 1, "no such file")
