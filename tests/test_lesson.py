"""The lesson page through AppTest on the synthetic MNIST: every step, a URL per step, Back / Next, training
in step 8, and the steps after it using the trained model."""

from __future__ import annotations

import pytest

from tests.apptools import LESSON, app, figures, run_until_trained, texts

pytestmark = pytest.mark.usefixtures("app_synthetic")
STEPS = 11


def header(at) -> str:
    return at.header[0].value


@pytest.mark.parametrize("step", range(1, STEPS + 1))
def test_every_step_renders_from_its_link(step):
    at = app(LESSON, step=str(step))
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert header(at).startswith(f"{step}. ")
    assert f"Step {step} of {STEPS}" in str(at.get("progress")[0].proto.text)


def test_back_next_and_a_bad_step():
    at = app(LESSON, step="x")
    assert header(at) == "1. The problem" and "step='x' ignored" in texts(at)
    at.button(key="b_lesson_next_top").click().run()
    assert header(at) == "2. One digit" and at.query_params["step"] in ("2", ["2"])
    at.button(key="b_lesson_back_bottom").click().run()
    assert header(at).startswith("1. ")
    assert at.button(key="b_lesson_back_top").disabled


def test_train_in_step_8_then_test_and_why():
    at = app(LESSON, step="9")
    assert "There is no trained network yet" in texts(at)
    at.button(key="b_lesson_to8").click().run()
    assert header(at) == "8. The training loop"
    at.button(key="b_lesson_train").click().run()
    run_until_trained(at)
    assert at.session_state["run"].state.iteration == at.session_state["hyper"].iterations
    assert figures(at)                                                  # the cost chart, drawn at the end
    at.button(key="b_lesson_next_top").click().run()
    assert header(at) == "9. Testing" and "error rate of" in texts(at)
    at.button(key="b_lesson_next_top").click().run()
    assert header(at).startswith("10. ") and not at.exception
