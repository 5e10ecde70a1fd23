"""Data and How it works pages: their pure helpers and figures, on small synthetic data."""

import json

import numpy as np
import pytest

from ssnn_app import fig_data, fig_howto
from ssnn_core.network import backward, cost_from_logits, forward, init_params, n_params
from ssnn_core.scaling import SEED_EPSILON, Standardiser


def synthetic(m: int = 60, seed: int = 0, inked: slice = slice(200, 600)) -> tuple[np.ndarray, np.ndarray]:
    """m images (m, 784) uint8 with ink only in pixels `inked`; labels alternate 0, 1."""
    rng = np.random.default_rng(seed)
    x = np.zeros((m, 784), dtype=np.uint8)
    x[:, inked] = rng.integers(0, 256, size=(m, inked.stop - inked.start))
    return x, (np.arange(m) % 2).astype(np.uint8)


def scalers(x: np.ndarray) -> dict:
    return {mode: Standardiser.fit(x, mode) for mode in ("safe", "seed")}


def test_blank_pixels_are_those_never_inked_and_agree_with_the_standardiser():
    x, y = synthetic()
    blank = fig_data.summarise(x, y, x[:4], y[:4], scalers(x)).blank
    assert blank.sum() == 784 - 400
    assert not blank[200:600].any()
    np.testing.assert_array_equal(blank, Standardiser.fit(x, "seed").blank)
    np.testing.assert_array_equal(fig_data.pixel_std(x) == 0, blank)


def test_mean_images_and_class_counts():
    x, y = synthetic(m=7)
    means = fig_data.mean_images(x, y)
    assert means.shape == (2, 28, 28)
    np.testing.assert_allclose(means[1].ravel(), x[y == 1].mean(axis=0))
    np.testing.assert_allclose(means[0].ravel(), x[y == 0].mean(axis=0))
    assert fig_data.class_counts(y) == (4, 3)
    assert fig_data.class_counts(np.zeros(5, dtype=np.uint8)) == (5, 0)


@pytest.mark.parametrize("n, page, per, expected", [
    (95, 1, 40, range(0, 40)), (95, 3, 40, range(80, 95)), (95, 9, 40, range(80, 95)),
    (0, 1, 40, range(0, 0)), (40, 2, 40, range(0, 40)),
])
def test_paging(n, page, per, expected):
    assert fig_data.page_slice(n, page, per) == expected
    assert fig_data.page_count(n, per) == max(1, -(-n // per))


def test_pixel_grid_and_table_show_the_same_numbers():
    x, _ = synthetic(m=2)
    grid = fig_data.pixel_grid(x[1])
    assert grid.shape == (28, 28) and grid.dtype == np.uint8
    np.testing.assert_array_equal(grid.ravel(), x[1])
    np.testing.assert_array_equal(fig_data.pixel_table(grid).data.to_numpy(), grid)


def test_the_pixel_table_is_sized_to_show_all_28_columns_and_rows():
    """Issue 15 item 18: the table was given its column's width (~800 px) while 28 columns of 28 px and the
    row numbers (~50 px) need 834 px, so columns 27 (and half of 26) sat behind a hidden scroll bar."""
    width, height = fig_data.pixel_table_size()
    cols = fig_data.pixel_table_columns()
    assert set(cols) == {"_index", *(str(c) for c in range(28))}
    needed = cols["_index"]["width"] + sum(cols[str(c)]["width"] for c in range(28)) + 2 * fig_data.BORDER_PX
    assert width == needed and height == 29 * fig_data.ROW_PX + 2 * fig_data.BORDER_PX   # header + 28 rows + frame
    assert all(cols[str(c)]["width"] >= 28 for c in range(28))      # "255" still fits in a cell


def test_standardisation_before_after_ranges_and_the_seed_explosion():
    x_train, y_train = synthetic()
    x_test, y_test = synthetic(m=4, seed=1)
    x_test[2, 5] = 200                                       # ink on a pixel no training image has
    s = fig_data.summarise(x_train, y_train, x_test, y_test, scalers(x_train))
    assert list(s.ink_test) == [2]
    safe = fig_data.standardised(s.scalers["safe"], x_test[2])
    seed = fig_data.standardised(s.scalers["seed"], x_test[2])
    assert safe[5] == 200.0                                  # (200 - 0) / 1
    assert seed[5] == pytest.approx(200 / SEED_EPSILON)      # (200 - 0) / 1e-9
    lo, hi = fig_data.value_range(seed)
    assert hi >= 1e11 and fig_data.value_range(safe)[1] < 1e3
    np.testing.assert_allclose(np.delete(safe, 5), np.delete(seed, 5), rtol=1e-6, atol=1e-6)
    fig = fig_data.digit_heatmap(seed, "seed", marks=np.array([5]))
    assert f"max {hi:.4g}" in fig.layout.title.text
    assert list(fig.data[1].x) == [5] and list(fig.data[1].y) == [0]


def test_data_figures_are_valid_plotly():
    x, y = synthetic()
    s = fig_data.summarise(x, y, x[:10], y[:10], scalers(x))
    figs = [fig_data.balance_figure(s.train_counts, s.test_counts, (0, 1)),
            fig_data.mean_images_figure(s.means, (0, 1)), fig_data.std_figure(s.std, s.blank),
            fig_data.digit_heatmap(x[0], "raw", diverging=False)]
    for fig in figs:
        json.loads(fig.to_json())
    assert [t.y for t in figs[0].data] == [(30, 30), (5, 5)]
    assert "(384)" in figs[2].layout.title.text


# ------------------------------------------------------------------ How it works


def small_problem(n1: int = 6, m: int = 80, dtype=np.float64):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(784, m)).astype(dtype)
    Y = (rng.random((1, m)) > 0.5).astype(dtype)
    params = init_params(n1, 561, dtype=dtype)
    params["b1"] += dtype(0.01)
    return params, X, Y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_iteration_matches_the_network_and_leaves_params_alone(dtype):
    params, X, Y = small_problem(dtype=dtype)
    before = {k: v.copy() for k, v in params.items()}
    r = fig_howto.one_iteration(params, X, Y, learning_rate=0.5, head=10)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    A2, cache = forward(params, X)
    grads = backward(params, X, Y, cache)
    new = {k: params[k] - dtype(0.5) * grads["d" + k] for k in params}
    assert r.cost == cost_from_logits(cache["Z2"], Y)
    assert r.new_cost == cost_from_logits(forward(new, X)[1]["Z2"], Y)
    for k in params:
        np.testing.assert_array_equal(r.grads["d" + k], grads["d" + k])
        assert r.delta_norms[k] == pytest.approx(np.linalg.norm((new[k] - params[k]).astype(np.float64)))
        assert r.delta_norms[k] == pytest.approx(0.5 * r.grad_norms[k], rel=1e-5)
    np.testing.assert_array_equal(r.z1_head, cache["Z1"][:, :10])
    np.testing.assert_array_equal(r.a1_head, cache["A1"][:, :10])
    np.testing.assert_allclose(r.dz1_head, ((params["W2"].T @ ((A2 - Y) / X.shape[1])) * (cache["Z1"] > 0))[:, :10],
                               rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(r.dz2, ((A2 - Y) / X.shape[1])[0], rtol=1e-5)
    assert r.new_cost < r.cost


def test_stage_summaries():
    params, X, Y = small_problem()
    params["b1"][0] = -1e6                                   # neuron 0 can never fire
    r = fig_howto.one_iteration(params, X, Y, 0.1)
    Z1 = params["W1"] @ X + params["b1"]
    assert r.active_fraction == pytest.approx(np.mean(Z1 > 0))
    assert r.dead_neurons == 1
    assert r.accuracy == pytest.approx(np.mean((r.a2 > 0.5) == (Y[0] > 0.5)))
    np.testing.assert_allclose(np.mean(r.losses), r.cost, rtol=1e-12)
    rows = fig_howto.update_rows(r)
    assert [row["parameter"] for row in rows] == ["W1", "b1", "W2", "b2"]
    assert rows[3]["|ΔW| / |W|"] is None                     # b2 starts at 0
    assert fig_howto.strongest_neuron(r.grads) != 0          # the dead neuron gets no gradient


def test_shapes_and_equations_carry_the_numbers():
    rows = fig_howto.shape_rows(37, 12665)
    assert rows[0] == {"array": "W1", "shape": "(37, 784)", "numbers": 37 * 784}
    assert rows[-1]["numbers"] == n_params(37) == sum(r["numbers"] for r in rows[:-1])
    eqs = fig_howto.equations(37, 12665)
    assert list(eqs) == list(fig_howto.STAGES)
    assert r"(37,\ 784)" in eqs["Backward"][4][1]
    assert r"12\,665" in eqs["Forward"][0][1]


def test_gradcheck_verdict_leaves_out_kinks():
    results = [{"name": "W1", "index": (0, 1), "analytic": 1.0, "numeric": 1.0, "relative_error": 1e-9, "kink": False},
               {"name": "b1", "index": (2, 0), "analytic": 1.0, "numeric": 0.5, "relative_error": 0.5, "kink": True}]
    assert fig_howto.gradcheck_verdict(results) == (1e-9, 1, 1, 0)
    rows = fig_howto.gradcheck_rows(results)
    assert rows[1]["index"] == "(2, 0)" and rows[1]["crosses ReLU kink"] is True
    no_kink_field = [{k: v for k, v in results[0].items() if k != "kink"}]
    assert fig_howto.gradcheck_verdict(no_kink_field) == (1e-9, 1, 0, 0)
    blank = [*results, {"name": "W1", "index": (0, 0), "analytic": 0.0, "numeric": 0.0, "relative_error": 0.0,
                        "kink": False, "blank": True}]
    assert fig_howto.gradcheck_verdict(blank) == (1e-9, 1, 1, 1)               # 0 = 0 says nothing: not counted
    assert fig_howto.gradcheck_rows(blank)[2]["pixel blank in every image"] is True


def test_howto_figures_are_valid_plotly():
    params, X, Y = small_problem()
    r = fig_howto.one_iteration(params, X, Y, 0.5)
    figs = [fig_howto.matrix_heatmap(r.z1_head, "Z1"), fig_howto.matrix_heatmap(r.a1_head, "A1", diverging=False),
            fig_howto.class_histogram(r.z2, r.y, (0, 1), "Z2", "Z2"),
            fig_howto.class_histogram(np.full(5, 0.5), np.array([0, 1, 0, 1, 1]), (3, 8), "flat", "A2"),
            fig_howto.norms_figure(r.grad_norms, "norms", "|dW|"), fig_howto.vector_bars(r.grads["dW2"], "dW2", "dW2")]
    for fig in figs:
        json.loads(fig.to_json())
    hist = figs[2]
    assert sum(sum(t.y) for t in hist.data) == X.shape[1]
