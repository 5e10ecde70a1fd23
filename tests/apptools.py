"""Helpers for AppTest: training runs in the training process beside the app, so a test waits for the run
to stop (as a browser's live chart would), then reruns the page to see the result."""

from __future__ import annotations

import time


def run_until_trained(at, timeout: float = 600):
    run = at.session_state["run"] if "run" in at.session_state else None
    deadline = time.monotonic() + timeout
    while run is not None and run.status == "running" and not at.exception:
        if time.monotonic() > deadline:
            raise AssertionError("training did not finish")
        time.sleep(0.01)
    return at.run()


def click_train(at, key: str = "b_train"):
    """Click Train (or another button that starts training) and let it run to the end."""
    at.button(key=key).click().run()
    return run_until_trained(at)
