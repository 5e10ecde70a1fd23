"""The training process's logic (ssnn_app/worker.py Owner), driven in-process with a synthetic pair:
its commands, its scheduling, and that what it publishes, put together as the server does
(RunState.after), is the trainer's own run, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from ssnn_app import protocol as p
from ssnn_app import runs, worker
from ssnn_app.lifecycle import Status
from ssnn_core import Hyper, Standardiser, Trainer

KEY = ("synthetic", (0, 1))


class Process:
    """An Owner with a list for its outbox, and the server's view of each run (RunState.after)."""

    def __init__(self, pair):
        self.pair = pair
        self.sent: list = []
        self.owner = worker.Owner(self.sent.append)
        self.owner.handle(p.Data(KEY, pair))
        self.states: dict[int, runs.RunState] = {}
        self.cmds = iter(range(1, 10**6))
        self.stats: list[p.Stats] = []

    def create(self, run: int, hyper: Hyper) -> runs.RunState:
        scaler = Standardiser.fit(self.pair.x_train, hyper.scaling)
        self.states[run] = runs.new_run(hyper, self.pair, scaler).state
        self.send(p.Create(run, KEY, hyper, scaler, runs.plan_for(hyper)))
        return self.states[run]

    def fork(self, run: int, source: int) -> None:
        """As the server does: the copy starts from the source's state as the server has it."""
        self.states[run] = self.states[source]
        self.send(p.Fork(run, source))

    def send(self, msg) -> None:
        self.owner.handle(msg)
        self.take()

    def take(self) -> None:
        for msg in self.sent:
            if isinstance(msg, p.Published):
                self.states[msg.run] = self.states[msg.run].after(msg)
            else:
                self.stats.append(msg)
        self.sent.clear()

    def train(self, run: int, target: int, lr: float = 0.5, steps: int | None = None) -> int:
        cmd = next(self.cmds)
        self.send(p.Train(run, cmd, lr, target, steps))
        return cmd

    def turn(self, interrupted=lambda: False) -> None:
        self.owner.turn(interrupted)
        self.take()

    def drain(self, most: int = 100_000) -> None:
        """Train until nothing is active (as the process's main loop does with no messages coming)."""
        for _ in range(most):
            if not self.owner.busy:
                return
            self.turn()
        raise AssertionError("still training")

    def __getitem__(self, run: int) -> runs.RunState:
        return self.states[run]


@pytest.fixture
def pair(synthetic_pair):
    return synthetic_pair(n_train=1000, n_test=300, seed=5)     # 200 training and 60 test images


@pytest.fixture
def proc(pair):
    return Process(pair)


def solo(pair, hyper: Hyper, iterations: int | None = None) -> Trainer:
    """The same run trained alone by a Trainer, as the article's loop would."""
    plan = runs.plan_for(hyper)
    t = Trainer(pair, hyper, eval_every=plan.eval_every, snapshot_every=plan.snapshot_every,
                max_snapshots=plan.max_snapshots)
    t.evaluate_now()                                 # the owner records the test figures at iteration 0
    t.run(iterations)
    return t


def assert_same_run(state: runs.RunState, t: Trainer, evals: bool = True) -> None:
    assert state.iteration == t.iteration
    for k, v in t.current_params().items():
        assert np.array_equal(state.params[k], v), k
    h, mine = t.history, state.history
    assert (mine.iteration, mine.train_cost, mine.train_accuracy, mine.learning_rate) == (
        h.iteration, h.train_cost, h.train_accuracy, h.learning_rate)
    if evals:
        assert (mine.eval_iteration, mine.test_cost, mine.test_accuracy) == (
            h.eval_iteration, h.test_cost, h.test_accuracy)


def test_create_publishes_a_new_run_at_its_initial_parameters(proc, pair):
    state = proc.create(1, Hyper(iterations=50))
    assert state.status is Status.NEW and state.iteration == 0 and state.target == 50
    assert state.history.eval_iteration == [0] and state.version == 1
    assert not proc.owner.busy


def test_train_runs_to_the_target_and_publishes_it_done(proc, pair):
    hyper = Hyper(iterations=150)
    proc.create(1, hyper)
    cmd = proc.train(1, 150)
    assert proc[1].status is Status.QUEUED and proc[1].ack == cmd
    proc.drain()
    s = proc[1]
    assert s.status is Status.DONE and s.iteration == 150 and (s.starts, s.stops) == (1, 1)
    assert s.message is None and s.queue_position == 0 and s.train_seconds > 0
    # put together from many small publications, it is the trainer's own run, to the bit
    assert_same_run(s, solo(pair, hyper))
    assert [x.iteration for x in s.replay] == [x.iteration for x in solo(pair, hyper).snapshots]


def test_step_trains_exactly_n_then_pauses(proc, pair):
    hyper = Hyper(iterations=20)
    proc.create(1, hyper)
    proc.train(1, 20, steps=7)
    proc.drain()
    s = proc[1]
    assert s.status is Status.PAUSED and s.iteration == 7 and (s.starts, s.stops) == (1, 1)
    assert s.history.eval_iteration[-1] == 7                  # the test figures of where it paused
    proc.train(1, 20, steps=7)
    proc.drain()
    assert proc[1].status is Status.PAUSED and proc[1].iteration == 14 and proc[1].starts == 2
    # a Step that ends on the target finishes the run
    proc.train(1, 20, steps=6)
    proc.drain()
    assert proc[1].status is Status.DONE and proc[1].iteration == 20 and (proc[1].starts, proc[1].stops) == (3, 3)
    # a Step past the target takes the target with it
    proc.train(1, 20, steps=5)
    proc.drain()
    assert proc[1].status is Status.DONE and proc[1].iteration == 25 and proc[1].target == 25
    # stopping and starting changed nothing in the numbers
    assert_same_run(proc[1], solo(pair, hyper.replace(iterations=25)), evals=False)


def test_pause_mid_run_stops_after_the_iteration_in_flight(proc):
    proc.create(1, Hyper(iterations=100_000))
    proc.train(1, 100_000)
    proc.turn()
    assert proc[1].status is Status.RUNNING and 0 < proc.owner.jobs[1].t.iteration < 100_000
    proc.send(p.Pause(1, next(proc.cmds)))
    s = proc[1]
    assert s.status is Status.PAUSED and 0 < s.iteration < 100_000 and (s.starts, s.stops) == (1, 1)
    assert not proc.owner.busy
    proc.turn()
    assert proc[1].iteration == s.iteration                     # nothing trains it any more
    proc.send(p.Pause(1, next(proc.cmds)))                      # a second Pause is harmless
    assert proc[1].status is Status.PAUSED


def test_configure_raising_the_target_of_a_finished_run_resumes_it(proc, pair):
    hyper = Hyper(iterations=30)
    proc.create(1, hyper)
    proc.train(1, 30)
    proc.drain()
    assert proc[1].status is Status.DONE
    # not seen training: the new target waits for Train
    proc.send(p.Configure(1, next(proc.cmds), 0.5, 40, False))
    assert proc[1].status is Status.DONE and proc[1].target == 40 and not proc.owner.busy
    # seen training (it finished just before the change arrived): it goes on to the new target
    proc.send(p.Configure(1, next(proc.cmds), 0.5, 50, True))
    assert proc[1].status is Status.QUEUED
    proc.drain()
    assert proc[1].status is Status.DONE and proc[1].iteration == 50
    assert_same_run(proc[1], solo(pair, hyper.replace(iterations=50)), evals=False)


def test_configure_a_training_run_takes_the_new_rate_from_the_next_iteration(proc):
    proc.create(1, Hyper(iterations=100_000))
    proc.train(1, 100_000)
    proc.turn()
    at = proc.owner.jobs[1].t.iteration
    proc.send(p.Configure(1, next(proc.cmds), 0.1, 100_000, True))
    proc.turn()
    proc.send(p.Pause(1, next(proc.cmds)))
    lr = proc[1].history.learning_rate
    assert lr[:at] == [0.5] * at and set(lr[at:]) == {0.1} and len(lr) > at
    # lowering the target to where a training run already is finishes it
    proc.send(p.Train(1, next(proc.cmds), 0.1, 100_000))
    proc.turn()
    proc.send(p.Configure(1, next(proc.cmds), 0.1, 1, True))
    assert proc[1].status is Status.DONE and proc[1].target == 1


def test_at_most_max_training_runs_train_and_the_rest_wait_in_order(proc):
    n = worker.MAX_TRAINING + 3
    for run in range(1, n + 1):
        proc.create(run, Hyper(iterations=100_000, seed=run))
        proc.train(run, 100_000)
    proc.turn(interrupted=lambda: True)                 # slots given out, nothing trained yet
    status = [proc[r].status for r in range(1, n + 1)]
    assert status == [Status.RUNNING] * worker.MAX_TRAINING + [Status.QUEUED] * 3
    assert [proc[r].queue_position for r in range(1, n + 1)] == [0] * worker.MAX_TRAINING + [1, 2, 3]
    for _ in range(5):
        proc.turn()
        assert sum(proc.owner.jobs[r].status is Status.RUNNING for r in range(1, n + 1)) == worker.MAX_TRAINING
    # the first one pauses: the first waiting one gets its slot, the others move up
    proc.send(p.Pause(1, next(proc.cmds)))
    proc.turn(interrupted=lambda: True)
    assert proc[worker.MAX_TRAINING + 1].status is Status.RUNNING
    assert [proc[r].queue_position for r in range(worker.MAX_TRAINING + 2, n + 1)] == [1, 2]
    stats = proc.owner.stats(0)
    assert (stats.runs, stats.training, stats.queued) == (n, worker.MAX_TRAINING, 2)


def test_a_step_goes_before_runs_waiting_to_train(proc):
    k = worker.MAX_TRAINING
    for run in range(1, k + 4):
        proc.create(run, Hyper(iterations=100_000, seed=run))
    for run in range(1, k + 1):                          # the slots are taken
        proc.train(run, 100_000)
    proc.turn(interrupted=lambda: True)
    proc.train(k + 1, 100_000)                              # waits to train
    proc.train(k + 2, 100_000)
    proc.train(k + 3, 100_000, steps=3)                     # a learner waits for these 3 steps
    proc.turn(interrupted=lambda: True)
    assert [proc[r].queue_position for r in (k + 3, k + 1, k + 2)] == [1, 2, 3]
    proc.send(p.Pause(1, next(proc.cmds)))
    proc.turn(interrupted=lambda: True)
    assert proc[k + 3].status is Status.RUNNING and proc[k + 1].status is Status.QUEUED


def test_fork_continues_bit_identically_to_the_original(proc, pair):
    hyper = Hyper(iterations=100_000)
    proc.create(1, hyper)
    proc.train(1, 100_000)
    proc.turn()
    proc.fork(2, 1)                                       # a copy of a training run starts paused
    at = proc[2].iteration
    assert proc[2].status is Status.PAUSED and proc[1].status is Status.RUNNING and at > 0
    assert proc[2].history.train_cost == proc.owner.jobs[1].t.history.train_cost[:at]
    proc.send(p.Pause(1, next(proc.cmds)))
    end = proc[1].iteration + 30
    for run in (1, 2):
        proc.train(run, end, steps=end - proc[run].iteration)
    proc.drain()
    a, b = proc[1], proc[2]
    assert a.iteration == b.iteration == end
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]), k
    assert a.history.train_cost == b.history.train_cost
    assert_same_run(b, solo(pair, hyper, end), evals=False)
    # a copy of a run that never trained is new, not paused
    proc.create(3, Hyper(iterations=10, seed=3))
    proc.fork(4, 3)
    assert proc[4].status is Status.NEW


def test_a_fork_carries_its_whole_history_whatever_the_server_had_of_the_source(proc):
    proc.create(1, Hyper(iterations=100_000))
    proc.train(1, 100_000)
    proc.turn()
    stale = proc[1]                           # the server's copy of the source when it asks for a fork ...
    while proc[1].iteration <= stale.iteration:
        proc.turn()                           # ... and what the training process has published since
    proc.turn()
    proc.states[2] = stale
    proc.send(p.Fork(2, 1))
    fork, source = proc[2], proc.owner.jobs[1].t.history
    assert fork.iteration == len(fork.history.iteration) > stale.iteration
    assert fork.history.iteration == list(range(1, fork.iteration + 1))
    assert fork.history.train_cost == source.train_cost[:fork.iteration]


def test_a_diverging_run_is_published_diverged_with_its_last_good_history(proc, pair):
    hyper = Hyper(learning_rate=10, iterations=100)      # on this data the cost explodes at iteration 4
    proc.create(1, hyper)
    proc.train(1, 100, lr=10, steps=3)                   # the server has 3 iterations of it ...
    proc.drain()
    assert proc[1].iteration == 3 and len(proc[1].history.train_cost) == 3
    proc.train(1, 100, lr=10)                            # ... and the third is taken back as it diverges
    proc.drain()
    s = proc[1]
    assert s.status is Status.DIVERGED and "training diverged" in s.message and "too high" in s.message
    t = solo(pair, hyper)
    assert t.diverged and s.iteration == t.iteration == 2
    assert_same_run(s, t, evals=False)
    for v in s.params.values():
        assert np.isfinite(v).all()
    # a diverged run cannot be trained on
    proc.train(1, 100, lr=0.5)
    assert proc[1].status is Status.DIVERGED and not proc.owner.busy


def test_query_drop_and_prepare(proc, pair):
    proc.create(1, Hyper(iterations=10))
    proc.create(2, Hyper(iterations=10, seed=2))
    proc.send(p.Query(7))
    stats = proc.stats[-1]
    assert (stats.cmd, stats.runs, stats.pairs, stats.training, stats.queued) == (7, 2, 1, 0, 0)
    assert stats.sets == 1 and stats.set_bytes > 0           # both runs share one standardised training set
    proc.send(p.Drop(2))
    proc.send(p.Query(8))
    assert proc.stats[-1].runs == 1
    proc.send(p.Prepare(KEY, Standardiser.fit(pair.x_train, "seed"), "float64"))
    proc.send(p.Query(9))
    assert proc.stats[-1].sets == 2 and [m[1:] for m in proc.stats[-1].made] == [
        ("safe", "float32"), ("seed", "float64")]
    # commands for runs it does not have are ignored
    proc.send(p.Train(99, next(proc.cmds), 0.5, 10))
    assert not proc.owner.busy


def test_a_failing_command_fails_its_run_with_a_message_and_not_the_others(proc):
    proc.create(1, Hyper(iterations=100_000))
    proc.create(2, Hyper(iterations=100_000, seed=2))
    proc.train(1, 100_000)
    proc.train(2, 100_000)
    proc.turn()
    proc.send(p.Train(2, next(proc.cmds), -1.0, 100_000))     # a learning rate the trainer refuses
    assert proc[2].status is Status.FAILED and "training stopped unexpectedly" in proc[2].message
    assert proc[1].status is Status.RUNNING
    proc.send(p.Pause(1, next(proc.cmds)))
