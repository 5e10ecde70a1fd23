"""The "inside the network" pages through AppTest on the synthetic MNIST: Landscape, Hidden space, Flip it,
Knock out, and every number explained in the why-panels."""

from __future__ import annotations

import numpy as np
import pytest

from tests.apptools import (
    FLIP,
    HIDDEN,
    INSIDE,
    KNOCKOUT,
    LANDSCAPE,
    MISTAKES,
    WEIGHTS,
    app,
    array,
    figures,
    goto,
    texts,
    trained,
    wait_for,
)

pytestmark = pytest.mark.usefixtures("app_synthetic")


@pytest.mark.parametrize("page", INSIDE)
def test_inside_pages_ask_for_a_model_first(page):
    at = app(page)
    assert "no trained network" in texts(at) and not at.get("plotly_chart")


def test_landscape_line_and_slice():
    at = trained(LANDSCAPE, iterations=40)
    run = at.session_state["run"]
    line, sl = figures(at)[:2]
    x, y = array(line["data"][0]["x"]), array(line["data"][0]["y"])
    assert x[0] == -0.5 and x[-1] == 1.5
    assert y[np.argmin(np.abs(x))] == pytest.approx(run.state.history.train_cost[0], rel=1e-5)   # a = 0: the start
    assert line["data"][1]["name"] == "where the run itself was" and len(array(line["data"][1]["x"])) >= 2
    assert sl["data"][0]["type"] == "contour" and len(array(sl["data"][0]["x"])) == 25
    assert "falls all the way" in texts(at) or "does not fall all the way" in texts(at)
    assert "What a slice can and cannot show" in texts(at)
    at.radio(key="w_land_dirs").set_value("path").run()
    assert not at.exception
    sl = figures(at)[1]
    assert "path direction 1" in str(sl["layout"]["xaxis"]["title"])
    at.radio(key="w_land_steps").set_value(15).run()
    assert len(array(figures(at)[1]["data"][0]["x"])) == 15
    at.radio(key="w_land_dirs").set_value("random").run()
    at.number_input(key="w_land_seed").set_value(5).run()
    assert "seed 5" in str(figures(at)[1]["layout"]["xaxis"]["title"]) and not at.exception


def test_hidden_space_boundary_and_replay():
    at = trained(HIDDEN, iterations=40)
    run = at.session_state["run"]
    fig = figures(at)[0]
    zero, one, boundary = fig["data"][:3]
    b2 = float(run.state.params["b2"][0, 0])
    assert array(boundary["x"]).tolist() == pytest.approx([-b2, -b2], rel=1e-6)
    # every digit right of the line is called digit B
    for trace, c in ((zero, 0), (one, 1)):
        x, symbol = array(trace["x"]), array(trace["marker"]["symbol"])
        says_b = x > -b2
        assert np.all((symbol == 0) == (says_b == bool(c)))
    assert len(fig["frames"]) >= 2 and fig["frames"][-1]["name"] == "40"
    assert fig["layout"]["sliders"][0]["steps"][-1]["label"] == "40"
    assert "decision boundary" in texts(at) or "the boundary at" in texts(at)
    at.toggle(key="w_hidden_fit").set_value(True).run()
    assert not at.exception and "range" in figures(at)[0]["frames"][0]["layout"]["xaxis"]


def test_flip_it_flips_the_answer():
    at = trained(FLIP, iterations=30)
    at.session_state["run"]
    at.number_input(key="w_flip_index").set_value(3).run()
    flips = [f for f in figures(at) if len(f["data"]) >= 3 and f["data"][1].get("zmid") == 0]
    assert len(flips) == 2
    said = [a["text"] for f in flips for a in f["layout"]["annotations"]]
    assert all("says" in s or "pixel" in s for s in said)
    assert said[0].split("says ")[1][0] != said[2].split("says ")[1][0]        # original vs result
    assert "adversarial examples" in texts(at) and "pixels changed" in texts(at) or "pixel changed" in texts(at)
    at.button(key="b_flip_sure").click().run()
    assert not at.exception


def test_knock_out_every_neuron_and_restore():
    at = trained(KNOCKOUT, iterations=30)
    n1 = at.session_state["run"].state.params["W2"].shape[1]
    def errors():
        return next(m for m in at.metric if m.label == "mistakes").value
    before = errors()
    at.multiselect(key="w_ko_off").set_value(list(range(n1))).run()
    assert not at.exception
    after = errors()
    assert after != before or "0 of" not in before
    assert "test digits became wrong" in texts(at)
    at.button(key="b_ko_restore").click().run()
    assert errors() == before and not at.multiselect(key="w_ko_off").value
    bars = next(f for f in figures(at) if f["data"][0]["type"] == "bar")
    assert len(bars["data"][0]["x"]) == n1
    at.slider(key="w_ko_scale").set_value(-1.0).run()
    assert not at.exception
    at.button(key="b_ko_weights").click().run()
    assert not at.exception and at.session_state["w_neuron"] in range(n1)


def test_every_number_explained_on_mistakes():
    at = trained(MISTAKES, iterations=1, learning_rate=0.001, seed=3)
    box = at.selectbox(key="w_mistake_neuron")
    assert len(box.options) == 10
    latex = [str(e.value) for e in at.get("latex")]
    assert any(r"\sum_i W_1" in s for s in latex) and any(r"\sigma(z_2)" in s for s in latex)
    box.set_value(int(box.options[3].lstrip("#"))).run()
    assert not at.exception


def test_the_neuron_explained_is_the_one_shown_when_the_image_changes():
    """A pick kept from another image showed the new image's first option ('#9') while the sums explained the
    pick ('Neuron #3'): a new order starts at its largest vote; the same order keeps a pick."""
    at = trained(MISTAKES, iterations=30, seed=3)

    def shown_and_explained():
        box = at.selectbox(key="w_mistake_neuron")
        said = next(c.value for c in at.caption if c.value.startswith("Neuron #"))
        return box.options, box.value, int(said.split("#")[1].split(":")[0])

    options, value, explained = shown_and_explained()
    pick = int(options[2].lstrip("#"))
    at.selectbox(key="w_mistake_neuron").set_value(pick).run()
    assert shown_and_explained()[1:] == (pick, pick)
    at.run()
    assert shown_and_explained()[1:] == (pick, pick)                    # a rerun keeps the pick
    images = at.selectbox(key="w_mistake").options
    for k in range(1, len(images)):                                      # an image whose votes order differently
        at.selectbox(key="w_mistake").select_index(k).run()
        new_options, value, explained = shown_and_explained()
        if new_options != options:
            break
    else:
        pytest.skip("every image orders its neurons' votes the same way")
    first = int(new_options[0].lstrip("#"))
    assert value == explained == first, (new_options, value, explained)


def test_hidden_space_click_opens_the_digit_on_mistakes():
    at = trained(HIDDEN, iterations=30)
    at.session_state["inspect_image"] = (at.session_state["run"].id, 5)     # what a click on #5 leaves
    at.session_state["_inspect_fresh"] = True
    at.session_state["w_mistake"] = 5
    goto(at, MISTAKES)
    assert at.selectbox(key="w_mistake").value == 5
    assert ("Test image **#5**" in texts(at)
            and any(o.endswith("· picked") for o in at.selectbox(key="w_mistake").options))
    goto(goto(at, HIDDEN), MISTAKES)                                         # a later visit: no stale pick
    assert not any(o.endswith("· picked") for o in at.selectbox(key="w_mistake").options)


def test_weights_orders_tiles_by_importance():
    from ssnn_app import inside, readmodel
    at = trained(WEIGHTS, iterations=30)
    at.radio(key="w_tiles_sort").set_value("importance").run()
    assert not at.exception
    shown = array(figures(at)[0]["data"][1]["customdata"]).tolist()
    view = readmodel.view_of(at.session_state["run"])
    assert shown == inside.importance(view).order().tolist()


def uploaded(at, model) -> None:
    from ssnn_core.model_io import to_bytes
    at.file_uploader(key="model_upload").upload("model.npz", to_bytes(model), "application/octet-stream").run()
    assert not at.exception and at.session_state["run"].origin == "uploaded"


@pytest.mark.parametrize("kind", ["one neuron", "all dead"])
def test_inside_pages_with_one_neuron_or_every_neuron_dead(app_synthetic, kind):
    """Models the sliders cannot make but a file can: n1 = 1 (trained here), five neurons that never fire."""
    from ssnn_core import Hyper, Model, Trainer, load_mnist, select_digits
    from tests.apptools import TRAIN
    pair = select_digits(load_mnist(app_synthetic), (0, 1))
    if kind == "one neuron":
        t = Trainer(pair, Hyper(hidden=1, iterations=40))
        t.run()
        model = Model(t.current_params(), t.scaler, t.hyper, t.iteration)
    else:
        t = Trainer(pair, Hyper(hidden=5, iterations=3))
        p = t.current_params()
        p["b1"][:] = -1e6
        model = Model(p, t.scaler, t.hyper, 3)
    at = app(TRAIN)
    uploaded(at, model)
    for page in INSIDE:
        goto(at, page)
        assert not at.exception and not at.error, page
        assert figures(at) or (page == FLIP and kind == "all dead"), page
    if kind == "all dead":
        assert "No change within the pixel range 0-255 flips" in texts(goto(at, FLIP))
    else:
        assert "every digit sits on one line" in texts(goto(at, HIDDEN))


def test_inside_pages_while_the_run_trains():
    from tests.apptools import TRAIN, goto
    at = app(TRAIN)
    from ssnn_core import Hyper
    at.session_state["hyper"] = Hyper(iterations=5000, hidden=30)
    at.run()
    at.button(key="b_train").click().run()
    run = at.session_state["run"]
    wait_for(lambda: run.state.iteration > 0, what="the first iteration")
    seen = []
    for page in INSIDE:
        goto(at, page)
        assert not at.exception, page
        seen.append(run.state.iteration)
    assert run.state.iteration >= seen[0]          # looking never paused it: it went on (or finished)
    assert run.status.active or run.state.iteration == 5000
    # clicks on a page while the run trains: the page keeps the model it opened with, until asked
    at.button(key="b_ko_top").click().run()
    shown = [m.value for m in at.metric]
    at.multiselect(key="w_ko_off").set_value([0, 1]).run()
    at.slider(key="w_ko_scale").set_value(2.0).run()
    assert not at.exception, [e.value for e in at.exception]
    if run.status.active:
        assert any(b.key == "b_ko_train_refresh" for b in at.button)
        at.button(key="b_ko_train_refresh").click().run()
        assert not at.exception
    at.button(key="b_ko_restore").click().run()
    assert at.multiselect(key="w_ko_off").value == [] and at.slider(key="w_ko_scale").value == 1.0
    assert shown


def test_a_gallery_digit_opens_its_why_panel():
    """Issue #15, item 14: a click under a gallery image, not only the dropdown, opens its why-panel."""
    at = trained(MISTAKES, iterations=1, learning_rate=0.001, seed=3)
    buttons = [b for b in at.button if b.key and b.key.startswith("b_why_wrong_")]
    assert len(buttons) >= 2
    target = int(buttons[1].key.rsplit("_", 1)[1])
    buttons[1].click().run()
    assert not at.exception and at.selectbox(key="w_mistake").value == target
    assert f"Test image **#{target}**" in texts(at)
    assert scroll_anchors(at) == 1                          # and the page scrolls to the panel (once)
    at.run()
    assert scroll_anchors(at) == 0
    near = next(b for b in at.button if b.key and b.key.startswith("b_why_nearly_"))
    near.click().run()
    assert at.selectbox(key="w_mistake").value == int(near.key.rsplit("_", 1)[1])
    assert scroll_anchors(at) == 1


def scroll_anchors(at) -> int:
    """Scroll-to components in the main column (ssnn_app.scrollto; the sidebar holds the viewport's)."""
    def walk(node):
        own = int(getattr(node, "type", None) == "bidi_component")
        return own + sum(walk(c) for c in getattr(node, "children", {}).values())
    return walk(at.main)
