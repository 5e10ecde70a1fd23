"""bench/live.py, small: one training's click to result in Chromium, with the article's loop and the
trainer timed in the same run. Nothing is asserted about seconds (they depend on the machine); the
test checks that the benchmark runs, trains for real (not a shared result) and reports consistent
figures, and that a bad flag gets a one-line message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def bench(*args, mnist_path=None, timeout=400):
    env = dict(os.environ)
    if mnist_path is not None:
        env["SSNN_MNIST"] = str(mnist_path)
    return subprocess.run([sys.executable, str(ROOT / "bench" / "live.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.browser
@pytest.mark.mnist
@pytest.mark.slow
def test_live_bench_reports_one_run(playwright_sync, mnist_path):
    out = bench("--runs", "1", "--iterations", "150", mnist_path=mnist_path)
    assert out.returncode == 0, out.stdout + out.stderr
    line = next(s for s in out.stdout.splitlines() if s.startswith("run 1:"))
    figures = re.search(r"click to result\s+([\d.]+) s \(first iteration shown\s+([\d.]+) s, done\s+([\d.]+) s, "
                        r"(\d+) live updates; trainer\s+([\d.]+) s of it\) \| article's loop\s+([\d.]+) s \| "
                        r"trainer alone\s+([\d.]+) s", line)
    assert figures, line
    result, first, done, updates, in_run, article, alone = map(float, figures.groups())
    assert 0 < first <= done <= result and updates >= 1
    assert 0 < in_run < result and article > 0 and alone > 0
    assert re.search(r"click to result / article's loop = [\d.]+; on DESIGN's reference machine", out.stdout)


def test_live_bench_rejects_a_bad_flag():
    out = bench("--runs", "0", timeout=60)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0 and "--runs" in out.stderr
