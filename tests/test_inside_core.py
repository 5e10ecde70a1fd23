"""The maths of the "inside the network" views: cost landscape, hidden space, knock-outs, a neuron's sum."""

import numpy as np
import pytest

from ssnn_core import Hyper, Trainer, hiddenspace, init_params, knockout, landscape, predict
from ssnn_core.data import load_mnist, select_digits
from ssnn_core.inspect import evaluate, explain, neuron_sum
from ssnn_core.network import cost_from_logits, forward
from ssnn_core.scaling import Standardiser


@pytest.fixture(scope="module")
def trained(request):
    """A small run on synthetic digits, with snapshots: (pair, trainer)."""
    from tests.conftest import make_mnist
    pair = select_digits(make_mnist(300, 80), (0, 1))
    t = Trainer(pair, Hyper(hidden=6, iterations=60, learning_rate=0.5), snapshot_every=10)
    t.run()
    return pair, t


def cost64(params, x_rows, y, scaler):
    p = landscape.as_float64(params)
    Z2 = forward(p, scaler.transform(x_rows))[1]["Z2"]
    return cost_from_logits(Z2, y.astype(np.float64)[None, :])


# ---------------------------------------------------------------- cost landscape


def test_line_ends_are_the_initial_and_final_costs(trained):
    pair, t = trained
    theta0, theta1 = init_params(6, t.hyper.seed, dtype=np.float32), t.current_params()
    ln = landscape.line(theta0, theta1, pair.x_train, pair.y_train, t.scaler)
    assert ln.cost_at(0.0) == pytest.approx(cost64(theta0, pair.x_train, pair.y_train, t.scaler), rel=1e-12)
    assert ln.cost_at(1.0) == pytest.approx(cost64(theta1, pair.x_train, pair.y_train, t.scaler), rel=1e-12)
    # the run's own record agrees (it trains in float32): its first step saw theta0
    assert ln.cost_at(0.0) == pytest.approx(t.history.train_cost[0], rel=1e-5)
    assert ln.alphas[0] == -0.5 and ln.alphas[-1] == 1.5 and ln.m == len(pair.y_train)


def test_line_places_the_path_and_its_recorded_costs(trained):
    pair, t = trained
    its = [s.iteration for s in t.snapshots]
    costs = landscape.recorded_costs(t.history, its)
    path = [(s.iteration, s.params(), c) for s, c in zip(t.snapshots, costs)]
    theta1 = t.current_params()
    ln = landscape.line(t.snapshots[0].params(), theta1, pair.x_train, pair.y_train, t.scaler, path=path)
    assert ln.path_alpha[0] == 0 and ln.path_off[0] == 0              # the first snapshot is theta0 itself
    # the last is theta1
    assert ln.path_alpha[-1] == pytest.approx(1.0) and ln.path_off[-1] == pytest.approx(0, abs=1e-9)
    assert costs[0] == t.history.train_cost[0]                      # iteration 0: the cost the first step saw
    assert np.isnan(costs[-1])                                      # the final state's cost is no step's
    assert landscape.recorded_costs(t.history, [10])[0] == t.history.train_cost[10]


def test_convexity_test_on_known_curves():
    a = np.linspace(-1, 1, 21)
    def ln(c):
        return landscape.Line(a, c, 1.0, *(np.array([]),) * 4, 1)
    assert ln(a**2).is_convex() and not ln(-a**2).is_convex() and ln(a).is_convex()


def test_slice_centre_is_the_trained_cost_and_directions_are_filter_normalised(trained):
    pair, t = trained
    p = t.current_params()
    d1, d2 = landscape.random_directions(p, seed=3)
    p64 = landscape.as_float64(p)
    for d in (d1, d2):
        np.testing.assert_allclose(np.linalg.norm(d["W1"], axis=1), np.linalg.norm(p64["W1"], axis=1), rtol=1e-12)
        np.testing.assert_allclose(np.linalg.norm(d["W2"]), np.linalg.norm(p64["W2"]), rtol=1e-12)
        assert not d["b1"].any() and not d["b2"].any()
    again, _ = landscape.random_directions(p, seed=3)
    np.testing.assert_array_equal(again["W1"], d1["W1"])            # seeded
    g = landscape.grid(0.5, 5)
    assert g[2] == 0 and g[0] == -0.5 and g[-1] == 0.5
    fractions = []
    sl = landscape.plane(p, d1, d2, pair.x_train, pair.y_train, t.scaler, g, g, progress=fractions.append)
    assert sl.costs.shape == (5, 5) and fractions[-1] == 1 and len(fractions) == 5
    assert sl.centre_cost == sl.costs[2, 2] == pytest.approx(cost64(p, pair.x_train, pair.y_train, t.scaler), rel=1e-12)
    # a corner is the model moved there, computed the slow way
    corner = {k: landscape.as_float64(p)[k] + 0.5 * d1[k] - 0.5 * d2[k] for k in p}
    assert sl.costs[0, -1] == pytest.approx(cost64(corner, pair.x_train, pair.y_train, t.scaler), rel=1e-10)


def test_path_directions_hold_the_path(trained):
    pair, t = trained
    p = t.current_params()
    states = [s.params() for s in t.snapshots]
    d1, d2, explained = landscape.path_directions(p, states)
    assert explained[0] >= explained[1] > 0 and explained.sum() <= 1 + 1e-12
    g = landscape.grid(1.0, 3)
    sl = landscape.plane(p, d1, d2, pair.x_train, pair.y_train, t.scaler, g, g,
                         path=[(s.iteration, s.params()) for s in t.snapshots])
    assert sl.path_a[-1] == pytest.approx(0, abs=1e-12)            # the last snapshot is the model itself
    # the plane holds explained.sum() of the path's spread; what it misses is the rest
    v = np.stack([landscape.flat(s) - landscape.flat(p) for s in states])
    within = np.linalg.norm(v, axis=1) * np.sqrt(1 - sl.path_off**2)
    assert (within**2).sum() / (v**2).sum() == pytest.approx(explained.sum(), rel=1e-8)
    with pytest.raises(ValueError):
        landscape.path_directions(p, [p, p])


def test_sample_rows_rule():
    assert landscape.sample_rows(12665, 10).size == 12665
    assert landscape.sample_rows(12665, 100).size == 12665                 # 25 x 25 up to n1 = 100: all
    rows = landscape.sample_rows(12665, 300)
    assert rows.size == landscape.SLICE_WORK // (300 * 625) and np.all(np.diff(rows) > 0)
    assert landscape.sample_rows(12665, 300, 41 * 41).size < rows.size     # a finer grid, fewer images
    np.testing.assert_array_equal(rows, landscape.sample_rows(12665, 300))
    assert landscape.sample_rows(100_000, 300, 10**6).size == 500


# ---------------------------------------------------------------- hidden space


def test_hidden_space_boundary_is_where_predict_changes(trained):
    pair, t = trained
    p = t.current_params()
    X = t.X_test
    hs = hiddenspace.hidden_space(p, X)
    np.testing.assert_array_equal(hs.x > hs.boundary, predict(landscape.as_float64(p), X.astype(np.float64)) == 1)
    e = explain(p, X[:, 0])
    assert hs.x[0] + p["b2"][0, 0] == pytest.approx(e.z2, rel=1e-9, abs=1e-12)


def test_hidden_space_on_a_hand_made_example():
    # two neurons; W2 looks only at neuron 0, so y is neuron 1's activation, centred
    A1 = np.array([[1.0, 2.0, 3.0, 0.0], [0.0, 4.0, 0.0, 2.0]])
    hs = hiddenspace.project(A1, np.array([[2.0, 0.0]]), b2=-3.0)
    np.testing.assert_allclose(hs.x, [2, 4, 6, 0])
    assert hs.boundary == 3.0
    np.testing.assert_allclose(hs.y, [-1.5, 2.5, -1.5, 0.5])
    np.testing.assert_allclose(hs.axis, [0, 1], atol=1e-15)
    assert hs.spread == pytest.approx(1.0)
    # W2 along (1, 1): evidence a+b; the off-W2 direction is (1, -1)/sqrt 2, sign taken from align
    hs = hiddenspace.project(A1, np.array([[1.0, 1.0]]), b2=0.0, align=np.array([1.0, -1.0]))
    np.testing.assert_allclose(hs.x, [1, 6, 3, 2])
    d = (A1[0] - A1[1]) / np.sqrt(2)
    np.testing.assert_allclose(hs.y, d - d.mean())
    # one neuron: nothing is off W2
    one = hiddenspace.project(A1[:1], np.array([[1.0]]), b2=0.0)
    assert not one.y.any() and one.spread == 0


def test_hidden_space_replay_keeps_its_sign(trained):
    pair, t = trained
    frames = hiddenspace.replay([s.params() for s in t.snapshots], t.X_test)
    assert len(frames) == len(t.snapshots)
    for a, b in zip(frames[1:], frames[2:]):
        assert a.axis @ b.axis >= 0


# ---------------------------------------------------------------- knock-outs


def test_all_neurons_off_is_the_bias_alone(trained):
    pair, t = trained
    p = t.current_params()
    w = knockout.what_if(p, t.X_test, pair.y_test, off=range(6))
    b2 = float(p["b2"][0, 0])
    assert np.all(w.after.predicted == (b2 > 0))
    np.testing.assert_allclose(w.after.proba, 1 / (1 + np.exp(-b2)), rtol=1e-6)
    assert w.cost_after == pytest.approx(np.mean(np.logaddexp(0, b2) - pair.y_test * b2), rel=1e-6)
    assert p["W2"].any()                                            # the model itself is untouched


def test_a_dead_neuron_changes_nothing(trained):
    pair, t = trained
    p = t.current_params()
    p["b1"][2, 0] = -1e6                                             # never fires
    w = knockout.what_if(p, t.X_test, pair.y_test, off=[2])
    np.testing.assert_array_equal(w.after.proba, w.before.proba)
    assert w.cost_after == w.cost_before and w.became_wrong.size == 0 == w.became_right.size
    imp = knockout.importance(p, t.X_test, pair.y_test)
    assert imp.error_rate[2] == imp.base_error_rate and imp.cost[2] == pytest.approx(imp.base_cost, rel=1e-12)


def test_importance_matches_one_knock_out_at_a_time(trained):
    pair, t = trained
    p = t.current_params()
    imp = knockout.importance(p, t.X_test, pair.y_test)
    for j in range(6):
        w = knockout.what_if(landscape.as_float64(p), t.X_test.astype(np.float64), pair.y_test, off=[j])
        assert imp.error_rate[j] == pytest.approx(w.after.error_rate)
        assert imp.cost[j] == pytest.approx(w.cost_after, rel=1e-9)
    assert imp.base_error_rate == pytest.approx(evaluate(p, t.X_test, pair.y_test).error_rate)
    order = imp.order()
    assert sorted(order) == list(range(6)) and imp.error_rate[order[0]] == imp.error_rate.max()


def test_scaling_a_vote_and_lists_of_changed_digits(trained):
    pair, t = trained
    p = t.current_params()
    same = knockout.what_if(p, t.X_test, pair.y_test, scale={0: 1.0})
    np.testing.assert_array_equal(same.after.proba, same.before.proba)
    flipped = knockout.what_if(p, t.X_test, pair.y_test, scale={j: -1.0 for j in range(6)})
    assert flipped.after.errors > flipped.before.errors
    assert set(flipped.became_wrong) <= set(np.flatnonzero(flipped.before.predicted == flipped.before.labels))
    assert p["W2"][0, 0] == t.current_params()["W2"][0, 0]
    with pytest.raises(ValueError, match="does not exist"):
        knockout.edited(p, scale={6: 2.0})
    with pytest.raises(ValueError, match="not all in"):
        knockout.edited(p, off=[-1])


# ---------------------------------------------------------------- one neuron's sum


def test_neuron_sum_adds_up_to_the_explanation(trained):
    pair, t = trained
    p = t.current_params()
    x = t.X_test[:, 3]
    e = explain(p, x)
    votes = 0.0
    for j in range(6):
        s = neuron_sum(p, x, j)
        assert s.z1 == pytest.approx(s.terms.sum() + s.b1) and s.a1 == max(s.z1, 0)
        assert s.vote == pytest.approx(e.contributions[j], rel=1e-6, abs=1e-9)
        votes += s.vote
        top = s.largest(5)
        assert np.all(np.abs(s.terms[top[:-1]]) >= np.abs(s.terms[top[1:]])) and np.all(s.terms[top] != 0)
    assert votes + e.b2 == pytest.approx(e.z2, rel=1e-6, abs=1e-9)
    with pytest.raises(ValueError):
        neuron_sum(p, x, 6)


@pytest.mark.mnist
def test_real_line_falls_all_the_way(mnist_path):
    """On the article's run the straight line from start to finish descends without a bump."""
    pair = select_digits(load_mnist(mnist_path), (0, 1))
    t = Trainer(pair, Hyper())
    t.run()
    ln = landscape.line(init_params(10, 561), t.current_params(), pair.x_train, pair.y_train,
                        Standardiser.fit(pair.x_train))
    inside = (ln.alphas >= 0) & (ln.alphas <= 1)
    assert np.all(np.diff(ln.costs[inside]) < 0)
    assert ln.cost_at(0) == pytest.approx(t.history.train_cost[0], rel=1e-5)
    assert ln.cost_at(1) == pytest.approx(0.000849, abs=2e-6)


@pytest.mark.mnist
@pytest.mark.slow
def test_inside_bench_prints_every_budget(mnist_path):
    import subprocess
    import sys
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(repo / "bench/inside.py"), "--hidden", "10", "--repeat", "1",
                          "--data", str(mnist_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "slice 25 x 25 on 12,665 of 12,665 training images" in out.stdout
    assert "(budget ~3 s:" in out.stdout and "importance of all 10 neurons" in out.stdout
    assert "flip test #2031 (a 0" in out.stdout and "falls all the way: True" in out.stdout
    bad = subprocess.run([sys.executable, str(repo / "bench/inside.py"), "--data", "/nonexistent.npz"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "Traceback" not in bad.stderr
