"""ssnn as a package: `pip install .` in a fresh venv gives ssnn_core, ssnn_app (with its catalogue)
and the `ssnn` command, which trains like `python -m ssnn_core`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.install]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the project installed from a copy of its sources (the checkout stays clean)."""
    tmp = tmp_path_factory.mktemp("package")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("ssnn_core", "ssnn_app"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(src)], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return env_dir


def _run(args, cwd: Path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd, env={**clean, **env})


def test_the_ssnn_command_trains(installed, synthetic_npz, tmp_path):
    done = _run([str(installed / "bin" / "ssnn"), "train", "--iterations", "5", "--data", str(synthetic_npz),
                 "--json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["iterations"] == 5 and 0 <= result["error_rate"] <= 1, result
    same = _run([str(installed / "bin" / "python"), "-m", "ssnn_core", "train", "--iterations", "5", "--data",
                 str(synthetic_npz), "--json"], cwd=tmp_path)
    again = json.loads(same.stdout.strip().splitlines()[-1])
    assert {**again, "train_seconds": 0} == {**result, "train_seconds": 0}     # one command, two names
    bad = _run([str(installed / "bin" / "ssnn"), "train", "--hidden", "0"], cwd=tmp_path)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "hidden" in bad.stderr, bad.stderr
    usage = _run([str(installed / "bin" / "ssnn"), "--help"], cwd=tmp_path)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: ssnn "), usage.stdout[:200]


def test_the_installed_app_layer_has_its_catalogue(installed, tmp_path):
    code = ("import ssnn_app, ssnn_core\n"
            "from ssnn_app import i18n, navigation\n"
            "assert 'site-packages' in ssnn_app.__file__ and 'site-packages' in ssnn_core.__file__\n"
            "with i18n.use('zh'):\n"
            "    print(i18n._('Train'))\n")
    done = _run([str(installed / "bin" / "python"), "-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "训练"
