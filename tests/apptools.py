"""Helpers for the dashboard's AppTests: opening pages, reading what they show, and waiting for training.

Training runs in the training process beside the app, so a test waits for the run to stop (as a
browser's live chart would), then reruns the page to see the result.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from ssnn_core import Hyper

ROOT = Path(__file__).resolve().parents[1]
HOME, DATA, TRAIN, WEIGHTS, MISTAKES, HOWTO, TRYIT = (
    "pages/0_Home.py", "pages/1_Data.py", "pages/2_Train.py", "pages/3_Weights.py", "pages/4_Mistakes.py",
    "pages/5_How_it_works.py", "pages/6_Try_it.py")
LANDSCAPE, HIDDEN, FLIP, KNOCKOUT = (
    "pages/7_Landscape.py", "pages/8_Hidden_space.py", "pages/9_Flip_it.py", "pages/10_Knock_out.py")
INSIDE = (LANDSCAPE, HIDDEN, FLIP, KNOCKOUT)
BOARD, LESSON = "pages/11_Class_board.py", "pages/12_Lesson.py"
PAGES = (HOME, LESSON, DATA, TRAIN, WEIGHTS, MISTAKES, HOWTO, TRYIT, *INSIDE, BOARD)


def app(page: str | None = None, timeout: float = 180, **query) -> AppTest:
    """A new browser session on app.py (Home), then `page` if given, as a user reaches it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def goto(at: AppTest, page: str) -> AppTest:
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error,
                                            *at.success])


def figures(at: AppTest) -> list[dict]:
    """The Plotly figures on the page (they show up as UnknownElement in AppTest)."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def charts(at: AppTest) -> dict:
    """Plotly figures on the page by element id."""
    return {el.proto.id: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def array(value) -> np.ndarray:
    """A Plotly data array from the spec: a plain list, or Plotly's base64 typed-array encoding."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value)


def wait_for(predicate, timeout: float = 120.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def run_until_trained(at: AppTest, timeout: float = 600) -> AppTest:
    """Wait until this session's run is no longer training (done, paused, diverged or failed), then rerun."""
    run = at.session_state["run"] if "run" in at.session_state else None
    if run is not None and not at.exception:
        assert run.wait(lambda s: not s.status.active, timeout), "training did not finish"
    return at.run()


def click_train(at: AppTest, key: str = "b_train") -> AppTest:
    """Click Train (or another button that starts training) and let it run to the end."""
    at.button(key=key).click().run()
    return run_until_trained(at)


def trained(page: str | None = None, **settings) -> AppTest:
    """A session whose Train page has trained `Hyper(**settings)` to the end, then on `page` if given."""
    at = app(TRAIN)
    at.session_state["hyper"] = Hyper(**settings)
    at.run()
    click_train(at)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.session_state["run"].status.active
    return goto(at, page) if page else at


class FakeUpload:
    """What st.file_uploader hands a page: name, size, file_id, getvalue()."""

    def __init__(self, name: str, data: bytes, size: int | None = None):
        self.name, self.data, self.file_id = name, data, name
        self.size = len(data) if size is None else size

    def getvalue(self) -> bytes:
        return self.data
