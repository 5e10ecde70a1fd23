"""Classroom load, small: 3 browser sessions train the same network on one server at once.

A teacher's session trains first; then 3 students with the same settings press Train together.
Training is deterministic, so the server hands them the finished run (ssnn_app/classroom.py
Classroom.claim): their server CPU time must be well below 3 trainings. Then 3 sessions press
Train together with settings nobody has trained: one trains, the other two follow that run live
(Classroom.claim, "follow"), again for about the CPU of one training. bench/load.py is the full version
(8 sessions, and distinct seeds).
"""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from bench.load import Server, format_report, run_load

pytestmark = [pytest.mark.browser, pytest.mark.mnist, pytest.mark.slow]

SESSIONS = 3
RSS_BOUND = 1.5 * 2**30


def _in_thread(coro_fn, timeout_s: float):
    """Run an asyncio coroutine in a thread of its own (the sync Playwright of the other tests owns
    this thread's event loop)."""
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro_fn())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout_s)
    if t.is_alive():
        raise AssertionError(f"the load run did not finish in {timeout_s:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_three_sessions_share_one_training(playwright_sync, mnist_path):
    server = Server(env=dict(os.environ, SSNN_MNIST=str(mnist_path)))
    try:
        server.start(timeout=60)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        report = _in_thread(lambda: run_load(server.url, server.pid, SESSIONS, phases=("one", "same", "cold"),
                                             timeout_s=300), timeout_s=540)
        alive = server.proc.poll() is None
    finally:
        log = server.log_tail(60)
        server.stop()
    print(format_report(report))
    one, same, cold = report["phases"]
    assert alive, f"the server died:\n{log}"
    for phase in (one, same, cold):
        assert phase["ok"] == phase["sessions"] and not phase["errors"], \
            f"{phase['phase']}: {phase['errors']}\n{log}"
    assert one["shared"] == 0, "the first training on a fresh server cannot have been shared"
    assert same["shared"] == SESSIONS, f"only {same['shared']} of {SESSIONS} sessions got the shared result"
    assert report["rss_peak_mb"] * 2**20 < RSS_BOUND, f"server RSS peaked at {report['rss_peak_mb']} MB"
    # 3 sessions of the same settings cost the server far less than 3 trainings (here: below 1.5)
    assert same["server_cpu_s"] < 1.5 * one["server_cpu_s"], \
        f"3 sessions used {same['server_cpu_s']} s of server CPU, one training {one['server_cpu_s']} s"
    # 3 sessions pressing Train together on new settings: one training, followed by all three
    assert cold["followed"] == SESSIONS, f"only {cold['followed']} of {SESSIONS} sessions followed one run"
    assert cold["server_cpu_s"] < 1.7 * one["server_cpu_s"], \
        f"3 sessions on new settings used {cold['server_cpu_s']} s of server CPU, one training {one['server_cpu_s']} s"
    server.remove_log()
