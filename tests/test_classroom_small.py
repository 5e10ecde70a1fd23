"""bench/wsclient.py + bench/classroom.py against a real server on a small synthetic MNIST.

Independent of the app's internals: only the contract (the Train page at /Train takes its settings in the
query string, the Train button has key b_train, the result is a metric labelled `Test error rate`).
"""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from bench.classroom import Server, student
from bench.wsclient import Session, check_loopback

pytestmark = pytest.mark.slow


def _shape(label: int, rng: np.random.Generator) -> np.ndarray:
    """A ring for 0, a vertical bar for 1, jittered, with a little noise."""
    img = np.zeros((28, 28))
    r, c = np.mgrid[0:28, 0:28]
    dr, dc = rng.integers(-2, 3, size=2)
    if label == 0:
        d = np.hypot(r - 14 - dr, (c - 14 - dc) * 1.3)
        img[(d > 5) & (d < 8)] = 255
    else:
        img[4 + dr:24 + dr, 12 + dc:16 + dc] = 255
    img += rng.normal(0, 10, img.shape)
    img[:, :2] = 0
    return np.clip(img, 0, 255).astype(np.uint8)


def _write_mnist(path, n_train=300, n_test=100):
    rng = np.random.default_rng(7)
    def split(n):
        y = (np.arange(n) % 2).astype(np.uint8)
        return np.stack([_shape(int(d), rng) for d in y]), y
    xt, yt = split(n_train)
    xs, ys = split(n_test)
    np.savez(path, x_train=xt, y_train=yt, x_test=xs, y_test=ys)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    npz = _write_mnist(tmp_path_factory.mktemp("mnist") / "mnist.npz")
    import os

    env = {k: v for k, v in os.environ.items() if k != "SSNN_MNIST"}
    env["SSNN_MNIST"] = str(npz)
    srv = Server(session_ttl=5, env=env)
    srv.start(timeout=60)
    try:
        yield srv
    finally:
        srv.stop()


def run_async(make, timeout: float = 150):
    """asyncio.run(make()) in a thread of its own: when the browser tests ran first in this process,
    Playwright keeps an event loop running in the main thread, where asyncio.run refuses to start."""
    out: dict = {}

    def go():
        try:
            out["value"] = asyncio.run(make())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            out["error"] = exc

    worker = threading.Thread(target=go, daemon=True)
    worker.start()
    worker.join(timeout)
    if "error" in out:
        raise out["error"]
    assert "value" in out, f"the client did not finish in {timeout:.0f} s"
    return out["value"]


def test_cold_three_sessions_share_one_result(server):
    q = "digits=0-1&n1=10&lr=0.5&iters=60&seed=4242&dtype=float32&scaling=safe"

    async def cold():
        go = asyncio.Event()
        opened: list = []
        jobs = [asyncio.create_task(student(server.url, f"t{i}", q, 40, go=go, click_delay=i / 3, opened=opened))
                for i in range(3)]
        for _ in range(400):
            if len(opened) == 3 or all(j.done() for j in jobs):
                break
            await asyncio.sleep(0.05)
        go.set()
        return await asyncio.wait_for(asyncio.gather(*jobs), 90)

    out = run_async(cold)
    assert [s.error for s in out] == [None, None, None], server.log_tail()
    values = {s.value for s in out}
    assert len(values) == 1 and None not in values, values
    assert all(s.result_s is not None for s in out)


def test_home_is_drawn(server):
    async def home():
        async with Session(server.url, "home", 30) as s:
            await s.open("/", "")
            return s.has_text("see a neural network learn"), s.errors

    found, errors = run_async(home)
    assert found and errors == []


@pytest.mark.parametrize("url", ["http://10.0.0.1:8501", "http://example.com:80", "http://192.168.1.5:8501/",
                                 "ftp://127.0.0.1:21", "http://127.0.0.1"])
def test_client_refuses_non_loopback(url):
    with pytest.raises(ValueError):
        check_loopback(url)
    with pytest.raises(ValueError):
        Session(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8501", "http://localhost:1234", "http://[::1]:8501"])
def test_client_accepts_loopback(url):
    check_loopback(url)


def test_bad_flag_is_one_error_line(capsys):
    from bench.classroom import main

    for argv in (["--sessions", "x"], ["--phases", "nope"], ["--url", "http://10.1.1.1:8501"], ["--bogus"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), err
