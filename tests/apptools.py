"""Helpers for AppTest: the Train page trains one chunk per script run (a fragment ticking in the
browser), so a test reruns the script until the run is no longer 'running', as the browser's ticks would."""

from __future__ import annotations


def run_until_trained(at, max_runs: int = 2000):
    for _ in range(max_runs):
        run = at.session_state["run"] if "run" in at.session_state else None
        if run is None or run.status != "running" or at.exception:
            return at
        at.run()
    raise AssertionError("training did not finish")


def click_train(at, key: str = "b_train"):
    """Click Train (or another button that starts training) and let it run to the end."""
    at.button(key=key).click().run()
    return run_until_trained(at)
