"""The fast trainer: same numbers as the article's plain loop, deterministic, and its chunked-run contract.

Nothing here is timed; speed is `python -m ssnn_core bench`'s business.
Real-data tests read MNIST as conftest's `mnist_path` finds it (skipped when absent, failed when SSNN_REQUIRE_MNIST=1).
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import ssnn_core.blocks as blocks
from ssnn_core.bench import max_relative_difference
from ssnn_core.blocks import TrainingSet
from ssnn_core.config import Hyper
from ssnn_core.data import load_mnist, select_digits
from ssnn_core.inspect import evaluate
from ssnn_core.network import loss_and_grads
from ssnn_core.reference import reference_train
from ssnn_core.scaling import Standardiser
from ssnn_core.trainer import Trainer

FLOAT64_RTOL = 1e-9   # trainer float64 vs the reference: parameters and cost
FLOAT32_RTOL = 1e-3   # trainer float32 vs the float64 reference (measured: ~5e-5 params, ~1e-7 cost on MNIST)


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of the minimum size (64 samples), so even small data crosses several blocks per part."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 1)


def reference_for(t: Trainer, pair, iterations: int, learning_rate: float = 0.5):
    X = np.ascontiguousarray(t.scaler.transform(pair.x_train, np.float64))   # (784, m)
    Y = pair.y_train.astype(np.float64)[None, :]                              # (1, m)
    return reference_train(X, Y, t.hyper.hidden, learning_rate, iterations, t.hyper.seed)


def state(t: Trainer) -> dict:
    """Everything a run produced, for bit-for-bit comparisons."""
    h = t.history
    return {**t.current_params(), "cost": np.array(h.train_cost), "acc": np.array(h.train_accuracy),
            "test": np.array(h.test_cost)}


def assert_identical(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k


# ---------------------------------------------------------------- same numbers as the article's loop


@pytest.mark.parametrize("n1", [1, 10, 37])
def test_float64_matches_reference(synthetic_pair, small_blocks, n1):
    pair = synthetic_pair(n_train=1000)
    training_set = TrainingSet.for_pair(pair, Standardiser.fit(pair.x_train, "safe"), "float64")
    assert len(training_set.pieces) == 2 and all(len(p.blocks) > 1 for p in training_set.pieces)
    t = Trainer(pair, Hyper(hidden=n1, dtype="float64", iterations=25), training_set=training_set)
    t.run()
    ref, costs = reference_for(t, pair, 25)
    assert max_relative_difference(t.current_params(), ref) < FLOAT64_RTOL
    np.testing.assert_allclose(t.history.train_cost, costs, rtol=FLOAT64_RTOL)


def test_float32_matches_reference_within_tolerance(synthetic_pair, small_blocks):
    pair = synthetic_pair(n_train=1000)
    t = Trainer(pair, Hyper(hidden=10, dtype="float32", iterations=25))
    t.run()
    ref, costs = reference_for(t, pair, 25)
    assert t.current_params()["W1"].dtype == np.float32
    assert max_relative_difference(t.current_params(), ref) < FLOAT32_RTOL
    np.testing.assert_allclose(t.history.train_cost, costs, rtol=FLOAT32_RTOL)


def test_learning_rate_change_applies_from_the_next_iteration(synthetic_pair):
    pair = synthetic_pair()
    t = Trainer(pair, Hyper(dtype="float64", iterations=10))
    t.run(2)
    before = t.current_params()
    t.set_learning_rate(0.1)
    t.run(1)
    assert t.history.learning_rate == [0.5, 0.5, 0.1]
    X = t.scaler.transform(pair.x_train, np.float64)                         # (784, m)
    cost, grads = loss_and_grads(before, X, pair.y_train[None, :].astype(np.float64))
    expected = {k: before[k] - 0.1 * grads["d" + k] for k in before}
    assert max_relative_difference(t.current_params(), expected) < FLOAT64_RTOL
    assert t.history.train_cost[-1] == pytest.approx(cost, rel=FLOAT64_RTOL)


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_runs_are_bit_identical(synthetic_pair, small_blocks, dtype):
    pair = synthetic_pair(n_train=1000)
    a = Trainer(pair, Hyper(hidden=12, dtype=dtype, iterations=8), eval_every=3)
    b = Trainer(pair, Hyper(hidden=12, dtype=dtype, iterations=8), eval_every=3)
    a.run()
    b.run()
    assert_identical(state(a), state(b))


def test_chunks_equal_one_run(synthetic_pair, small_blocks):
    pair = synthetic_pair(n_train=1000)
    whole = Trainer(pair, Hyper(iterations=5))
    assert whole.run(5) == 5
    chunked = Trainer(pair, Hyper(iterations=5))
    assert chunked.run(3) == 3
    assert chunked.run(2) == 2
    assert_identical(state(whole), state(chunked))


def test_result_does_not_depend_on_worker_threads(synthetic_pair, small_blocks, monkeypatch):
    pair = synthetic_pair(n_train=1000)
    runs = []
    for workers in (1, 2):
        monkeypatch.setattr(blocks, "WORKERS", workers)
        t = Trainer(pair, Hyper(iterations=6))
        t.run()
        runs.append(state(t))
    assert_identical(*runs)


def test_concurrent_trainers_are_independent_and_restore_blas_threads(synthetic_pair, small_blocks):
    """Several dashboard sessions training at once in one process: same results as alone, and the
    process-wide BLAS thread limit is back to what it was once the last one stops."""
    from threadpoolctl import threadpool_info

    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    pair = synthetic_pair(n_train=1000)
    alone = Trainer(pair, Hyper(iterations=12))
    alone.run()
    trainers = [Trainer(pair, Hyper(iterations=12)) for _ in range(3)]
    threads = [threading.Thread(target=lambda t=t: [t.run(1) for _ in range(12)]) for t in trainers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for t in trainers:
        assert_identical(state(alone), state(t))
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


def test_compute_map_runs_every_task_once_and_caps_concurrency(monkeypatch):
    """Compute.map from many threads at once: every task runs exactly once, at most WORKERS at a time,
    and an error in any task is raised by its map only after all of that map's tasks are done."""
    monkeypatch.setattr(blocks, "WORKERS", 2)
    lock, running, peak, ran = threading.Lock(), [0], [0], []

    def task(tag, fail=False):
        def run():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            threading.Event().wait(0.002)
            with lock:
                running[0] -= 1
                ran.append(tag)
            if fail:
                raise RuntimeError(f"task {tag} failed")
        return run

    errors = []

    def caller(c):
        for r in range(20):
            tasks = [task((c, r, i), fail=(c == 0 and r == 5 and i == 1)) for i in range(3)]
            try:
                blocks.Compute.map(tasks)
            except RuntimeError as exc:
                errors.append((str(exc), sorted(t for t in ran if t[:2] == (c, r))))

    threads = [threading.Thread(target=caller, args=(c,)) for c in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(ran) == sorted((c, r, i) for c in range(4) for r in range(20) for i in range(3))
    assert peak[0] <= 2
    assert errors == [("task (0, 5, 1) failed", [(0, 5, 0), (0, 5, 1), (0, 5, 2)])]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_compute_map_works_in_a_forked_child(monkeypatch):
    """The helper threads are not copied by fork: a child gets its own, and every task still runs."""
    monkeypatch.setattr(blocks, "WORKERS", 2)
    blocks.Compute.map([lambda: None, lambda: None])        # helpers exist in the parent
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        ok = False
        try:
            names = []
            blocks.Compute.map([lambda: names.append(0), lambda: names.append(1)])
            ok = sorted(names) == [0, 1]
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("dtype, scaling", [("float32", "safe"), ("float64", "seed")])
def test_one_training_set_shared_by_trainers_of_any_width_gives_their_own_results(
        synthetic_pair, small_blocks, dtype, scaling):
    """The training process standardises a pair once and every run of that pair, scaling and precision
    trains on it: the results are bit-identical to trainers that make their own, and nobody writes to it."""
    pair = synthetic_pair(n_train=1000)
    shared = TrainingSet.for_pair(pair, Standardiser.fit(pair.x_train, scaling), dtype)
    before = [x.copy() for piece in shared.pieces for x in piece.Xb]
    assert sum(len(piece.Y) for piece in shared.pieces) == len(pair.y_train)
    assert shared.nbytes == sum(x.nbytes for x in before) and len(before) > 2
    for n1 in (1, 10, 37):
        hyper = Hyper(hidden=n1, dtype=dtype, scaling=scaling, iterations=7)
        own, on_shared = Trainer(pair, hyper, eval_every=2), Trainer(pair, hyper, eval_every=2, training_set=shared)
        own.run()
        on_shared.run()
        assert_identical(state(own), state(on_shared))
    assert all(np.array_equal(a, b) for a, b in zip(before, (x for p in shared.pieces for x in p.Xb)))
    assert not any(x.flags.writeable for piece in shared.pieces for x in piece.Xb)


def test_a_training_set_of_another_precision_or_pair_is_refused(synthetic_pair):
    pair = synthetic_pair(n_train=300)
    scaler = Standardiser.fit(pair.x_train, "safe")
    with pytest.raises(ValueError, match="other data, scaling or precision"):
        Trainer(pair, Hyper(dtype="float64"), training_set=TrainingSet.for_pair(pair, scaler, "float32"))
    other = synthetic_pair(n_train=200)
    with pytest.raises(ValueError, match="other data, scaling or precision"):
        Trainer(pair, Hyper(), training_set=TrainingSet.for_pair(other, scaler, "float32"))
    with pytest.raises(ValueError, match="other data, scaling or precision"):
        Trainer(pair, Hyper(scaling="seed"), training_set=TrainingSet.for_pair(pair, scaler, "float32"))


def test_a_training_set_holds_the_standardised_active_pixels(synthetic_pair, small_blocks):
    """Its blocks, side by side, are the article-layout standardisation (Standardiser.transform) of the
    pixels that vary, with a row of ones for the bias: the same numbers to the last bit."""
    pair = synthetic_pair(n_train=1000)
    for dtype, scaling in (("float32", "safe"), ("float64", "seed")):
        scaler = Standardiser.fit(pair.x_train, scaling)
        ts = TrainingSet.for_pair(pair, scaler, dtype)
        X = np.concatenate([x for piece in ts.pieces for x in piece.Xb], axis=1)      # (k + 1, m)
        assert np.array_equal(X[:-1], scaler.transform(pair.x_train, dtype)[scaler.active()])
        assert X.dtype == np.dtype(dtype) and (X[-1] == 1).all()
        assert np.array_equal(np.concatenate([p.Y for p in ts.pieces]), pair.y_train)


# ---------------------------------------------------------------- the chunked-run contract


def test_seconds_budget_stops_early(synthetic_pair):
    t = Trainer(synthetic_pair(), Hyper(iterations=100_000))
    assert t.run(100_000, seconds=0.0) == 1  # the budget is checked after each iteration
    done = t.run(100_000, seconds=0.05)
    assert 1 <= done < 100_000
    assert t.iteration == 1 + done
    assert t.train_seconds > 0


def test_callback_returning_false_stops(synthetic_pair):
    t = Trainer(synthetic_pair(), Hyper(iterations=50))
    seen = []

    def callback(tr):
        seen.append(tr.iteration)
        return None if tr.iteration < 4 else False  # None means carry on

    assert t.run(callback=callback) == 4
    assert seen == [1, 2, 3, 4] and t.iteration == 4 and not t.done


def test_history_lengths_and_evaluation_points(synthetic_pair):
    t = Trainer(synthetic_pair(), Hyper(iterations=10), eval_every=3)
    t.evaluate_now()
    assert t.run() == 10 and t.done
    h = t.history
    assert h.iteration == list(range(1, 11))
    assert len(h.train_cost) == len(h.train_accuracy) == len(h.learning_rate) == 10
    assert h.eval_iteration == [0, 3, 6, 9, 10]
    assert len(h.test_cost) == len(h.test_accuracy) == 5
    t.evaluate_now()                                   # already evaluated at 10: nothing new
    assert h.eval_iteration[-1] == 10 and len(h.test_cost) == 5
    assert all(np.isfinite(h.train_cost)) and all(0 <= a <= 1 for a in h.train_accuracy)
    assert h.train_cost[-1] < h.train_cost[0]
    assert t.run(3) == 3 and t.iteration == 13         # past the target when asked


def test_snapshots_are_capped(synthetic_pair):
    t = Trainer(synthetic_pair(), Hyper(iterations=40), snapshot_every=1, max_snapshots=6)
    t.run()
    its = [s.iteration for s in t.snapshots]
    assert 2 <= len(its) <= 6
    assert its[0] == 0 and its == sorted(set(its))
    last = t.snapshots[-1]
    assert last.W1.shape == (10, 784) and last.W2.shape == (1, 10)
    assert np.array_equal(last.W1, t.current_params()["W1"]) or last.iteration < t.iteration


def test_divergence_stops_and_restores_last_good_parameters(synthetic_pair):
    t = Trainer(synthetic_pair(), Hyper(learning_rate=1000, iterations=50), eval_every=1)
    done = t.run()
    assert t.diverged and not t.done
    assert "diverged" in t.stopped_reason and "learning rate" in t.stopped_reason
    assert done < 50 and t.iteration <= done
    params = t.current_params()
    assert all(np.isfinite(v).all() for v in params.values())
    h = t.history
    assert len(h.train_cost) == t.iteration and all(np.isfinite(h.train_cost))
    assert h.eval_iteration[-1] == t.iteration and np.isfinite(h.test_cost[-1])
    assert t.run(5) == 0                               # a stopped run stays stopped
    # the restored parameters are exactly those a fresh run has after the same number of steps
    again = Trainer(synthetic_pair(), Hyper(learning_rate=1000, iterations=50))
    again.run(t.iteration)
    for k, v in again.current_params().items():
        assert np.array_equal(v, params[k]), k


@pytest.mark.parametrize("n1", [1, 300])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_extreme_hidden_sizes_run_without_warnings(synthetic_pair, n1, dtype):
    t = Trainer(synthetic_pair(), Hyper(hidden=n1, dtype=dtype, iterations=4, scaling="seed"), eval_every=2)
    assert t.run() == 4
    p = t.current_params()
    assert p["W1"].shape == (n1, 784) and p["W2"].shape == (1, n1)
    assert all(np.isfinite(v).all() for v in p.values())
    assert all(np.isfinite(t.history.train_cost))


# ---------------------------------------------------------------- the real data


@pytest.fixture(scope="module")
def real_pair(mnist_path):
    return select_digits(load_mnist(mnist_path), (0, 1))


def misclassified(t: Trainer) -> list[int]:
    return evaluate(t.current_params(), t.X_test, t.Y_test).misclassified.tolist()


@pytest.mark.mnist
@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_article_run_is_reproduced(real_pair, dtype):
    """float64 is the article's run to ~1e-15; float32 stays within ~3e-6 of it and makes the same mistakes."""
    t = Trainer(real_pair, Hyper(scaling="seed", dtype=dtype), eval_every=500)
    assert t.run() == 500
    assert round(t.history.train_cost[-1], 6) == 0.000849
    assert misclassified(t) == [1749, 2031]


@pytest.mark.mnist
@pytest.mark.slow
def test_default_float32_safe_run(real_pair):
    t = Trainer(real_pair, Hyper(), eval_every=500)
    assert t.run() == 500
    assert round(t.history.train_cost[-1], 6) == 0.000849
    assert misclassified(t) == [2031]
