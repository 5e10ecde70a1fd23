"""The training process: owns every run the server has handed it, trains them, publishes them.

Why a process and not a thread of the server: the trainer hands the GIL back and forth dozens of
times per iteration (every NumPy call), and a server thread busy in Python (a session drawing a page)
makes each hand-back wait. Measured: 9.3 ms per iteration alone, 315 ms with one busy Python thread
beside it. Here the trainer never waits for the server's Python.

Scheduling: at most MAX_TRAINING runs train at a time, in turns of SLICE_SECONDS; the others wait in
the order they asked (first come, first served), and a Step asked by a learner goes before waiting
Train runs (it is short, and someone is waiting for it). So with 30 different runs the median student
waits for about half of them, not for all 30.
Each run is published (`protocol.Published`) when its status changes and at most every PUBLISH_SECONDS
while it trains; messages are read between iterations, so Pause takes effect after the one in flight.
"""

from __future__ import annotations

import pickle
import sys
import time
import weakref
from collections import OrderedDict, deque

from ssnn_core import SsnnError, Trainer
from ssnn_core.blocks import TrainingSet

from . import protocol as p
from .lifecycle import Event, Status, after

SLICE_SECONDS = 0.05      # one run's turn, then the next active run's
PUBLISH_SECONDS = 0.25    # a training run is published at most this often
MAX_TRAINING = 2          # runs trained at a time (in turns); the rest wait in a queue
MAX_SETS = 3              # standardised training sets kept ready (30 MB for 0/1 in float32, 60 in float64),
                          # shared by every run of the same pair, scaling and precision whatever its width
STEP_FIELDS = ("iteration", "train_cost", "train_accuracy", "learning_rate")
EVAL_FIELDS = ("eval_iteration", "test_cost", "test_accuracy")


class _Inputs:
    """One pair's standardised training set and test images for one scaling and precision."""

    def __init__(self, pair, scaler, dtype: str):
        self.training_set = TrainingSet.for_pair(pair, scaler, dtype)
        self.X_test = scaler.transform(pair.x_test, dtype)                       # (n0, m_test)
        self.X_test.flags.writeable = False


class _Job:
    """One run, owned here: its trainer and status, and what the server has of it."""

    def __init__(self, trainer: Trainer, status: Status, key: tuple, scaler, inputs: _Inputs):
        self.t, self.status = trainer, status
        self.key, self.scaler = key, scaler  # its pair and scaler, as created
        self.inputs = inputs                 # held, so that a training set let go of stays shared while used
        self.goal: int | None = None        # Step N: pause at this iteration
        self.ack = 0
        self.starts = self.stops = 0
        self.message: str | None = None     # why training failed, in English ...
        self.error: SsnnError | None = None  # ... and as an SsnnError, for a page to show it translated
        self.position = 0
        self.sent_steps = self.sent_evals = 0
        self.sent_snaps: set[int] = set()
        self.published = 0.0

    @property
    def target(self) -> int:
        return self.t.hyper.iterations

    def set_target(self, target: int) -> None:
        self.t.hyper = self.t.hyper.replace(iterations=target)

    def event(self, event: Event) -> None:
        before = self.status
        self.status = after(self.status, event)
        if before is Status.RUNNING and self.status is not Status.RUNNING:
            self.stops += 1
        elif event is Event.SLOT:
            self.starts += 1

    def publication(self, run: int) -> p.Published:
        h, t = self.t.history, self.t
        steps_from = min(self.sent_steps, len(h.iteration))
        evals_from = min(self.sent_evals, len(h.eval_iteration))
        new_snaps = [s for s in t.snapshots if s.iteration not in self.sent_snaps]
        msg = p.Published(
            run, self.ack, self.status.value, t.iteration, self.target, t.learning_rate, t.train_seconds,
            t.current_params(), {f: getattr(h, f)[steps_from:] for f in STEP_FIELDS}, steps_from,
            {f: getattr(h, f)[evals_from:] for f in EVAL_FIELDS}, evals_from,
            [s.iteration for s in t.snapshots], new_snaps, t.snapshot_every,
            self.message or t.stopped_reason, self.position, self.starts, self.stops,
            error=self.error if self.message else t.stopped)
        self.sent_steps, self.sent_evals = len(h.iteration), len(h.eval_iteration)
        self.sent_snaps = {s.iteration for s in t.snapshots}
        self.published = time.monotonic()
        return msg


class Owner:
    """The runs of this process and the commands that change them. `send` publishes to the server."""

    def __init__(self, send):
        self.send = send
        self.jobs: dict[int, _Job] = {}
        self.queue: list[int] = []          # runs waiting for a turn, in order
        self.pairs: dict = {}
        self.sets: OrderedDict = OrderedDict()            # (pair key, scaling, dtype) -> _Inputs, newest last
        self.alive = weakref.WeakValueDictionary()        # ... and those let go of that runs still use
        self.made: deque = deque(maxlen=64)              # training sets made, (pair key, scaling, dtype)

    # ------------------------------------------------------------ inputs

    def inputs(self, key, scaler, dtype: str) -> _Inputs:
        skey = (key, scaler.mode, dtype)
        made = self.sets.get(skey) or self.alive.get(skey)
        if made is None:
            made = self.alive[skey] = _Inputs(self.pairs[key], scaler, dtype)
            self.made.append(skey)
        self.sets[skey] = made
        self.sets.move_to_end(skey)
        while len(self.sets) > MAX_SETS:   # runs training on an older one keep it until they end
            self.sets.popitem(last=False)
        return made

    # ------------------------------------------------------------ commands

    def handle(self, msg) -> None:
        try:
            self._handle(msg)
        except Exception as exc:  # noqa: BLE001 - one bad command must not stop the other runs
            run = getattr(msg, "run", None)
            job = self.jobs.get(run)
            if job is None:
                print(f"ssnn training process: {type(msg).__name__} failed: {exc!r}", file=sys.stderr)
                return
            self._fail(run, job, exc)

    def _handle(self, msg) -> None:
        if isinstance(msg, p.Data):
            self.pairs[msg.key] = msg.pair
        elif isinstance(msg, p.Forget):
            self.pairs.pop(msg.key, None)
            for skey in [skey for skey in self.sets if skey[0] == msg.key]:
                del self.sets[skey]
        elif isinstance(msg, p.Prepare):
            self.inputs(msg.key, msg.scaler, msg.dtype)
        elif isinstance(msg, p.Create):
            self._create(msg)
        elif isinstance(msg, p.Fork):
            self._fork(msg)
        elif isinstance(msg, p.Query):
            self.send(self.stats(msg.cmd))
        elif isinstance(msg, p.Drop):
            self.jobs.pop(msg.run, None)
            self._dequeue(msg.run)
        elif msg.run in self.jobs:
            job = self.jobs[msg.run]
            job.ack = msg.cmd
            {p.Train: self._train, p.Pause: self._pause, p.Configure: self._configure}[type(msg)](job, msg)
            self.publish(msg.run)

    def _trainer(self, key, scaler, hyper, plan: p.Plan) -> tuple[Trainer, _Inputs]:
        inputs = self.inputs(key, scaler, hyper.dtype)
        return Trainer(self.pairs[key], hyper, eval_every=plan.eval_every, snapshot_every=plan.snapshot_every,
                       max_snapshots=plan.max_snapshots, training_set=inputs.training_set,
                       X_test=inputs.X_test), inputs

    def _create(self, msg: p.Create) -> None:
        t, inputs = self._trainer(msg.key, msg.scaler, msg.hyper, msg.plan)
        job = _Job(t, Status(msg.status), msg.key, msg.scaler, inputs)
        if msg.state is not None:
            t.load_state_dict(msg.state)
            job.sent_steps, job.sent_evals = len(t.history.iteration), len(t.history.eval_iteration)
            job.sent_snaps = {s.iteration for s in t.snapshots}
        else:
            t.evaluate_now()                     # the test figures at iteration 0
        self.jobs[msg.run] = job
        self.publish(msg.run)

    def _fork(self, msg: p.Fork) -> None:
        src = self.jobs[msg.source]
        plan = p.Plan(src.t.eval_every, src.t.snapshot_every, src.t.max_snapshots)
        t, inputs = self._trainer(src.key, src.scaler, src.t.hyper, plan)
        t.load_state_dict(src.t.state_dict())
        status = {Status.RUNNING: Status.PAUSED, Status.QUEUED: Status.PAUSED}.get(src.status, src.status)
        if status is Status.PAUSED and t.iteration == 0:
            status = Status.NEW
        self.jobs[msg.run] = _Job(t, status, src.key, src.scaler, inputs)
        # the whole history, once: the server's copy of the source may be older or newer than this fork
        self.publish(msg.run)

    def _train(self, job: _Job, msg: p.Train) -> None:
        if not job.status.can_continue:
            return
        job.t.set_learning_rate(msg.lr)
        job.goal = job.t.iteration + msg.steps if msg.steps else None
        job.set_target(max(msg.target, job.goal or 0))
        if job.t.iteration >= (job.goal or job.target):
            return
        job.event(Event.TRAIN)
        if job.status is Status.QUEUED and msg.run not in self.queue:
            if msg.steps:  # a learner waits for this step: before the runs waiting to train
                waiting = [r for r in self.queue if self.jobs[r].goal is not None]
                self.queue.insert(len(waiting), msg.run)
            else:
                self.queue.append(msg.run)

    def _pause(self, job: _Job, msg: p.Pause) -> None:
        job.event(Event.PAUSE)
        job.goal = None
        self._dequeue(msg.run)

    def _configure(self, job: _Job, msg: p.Configure) -> None:
        job.t.set_learning_rate(msg.lr)
        job.set_target(msg.target)
        if job.status is Status.DONE and msg.keep_running and msg.target > job.t.iteration:
            job.event(Event.RAISED)            # it finished just before the new target arrived
            self.queue.append(msg.run)
        elif job.status.active and job.goal is None and job.t.iteration >= msg.target:
            self._finish(msg.run, job)

    # ------------------------------------------------------------ training

    @property
    def busy(self) -> bool:
        return any(j.status.active for j in self.jobs.values())

    def turn(self, interrupted) -> None:
        """Give each training run one slice (filling free slots from the queue first)."""
        self._fill_slots()
        for run, job in [(r, j) for r, j in self.jobs.items() if j.status is Status.RUNNING]:
            if interrupted():
                return
            self._slice(run, job, interrupted)

    def _fill_slots(self) -> None:
        training = sum(1 for j in self.jobs.values() if j.status is Status.RUNNING)
        while self.queue and training < MAX_TRAINING:
            run = self.queue.pop(0)
            job = self.jobs.get(run)
            if job is not None and job.status is Status.QUEUED:
                job.event(Event.SLOT)
                job.position = 0
                training += 1
                self.publish(run)
        for i, run in enumerate(self.queue, 1):
            job = self.jobs[run]
            if job.position != i:
                job.position = i
                self.publish(run)

    def _slice(self, run: int, job: _Job, interrupted) -> None:
        t = job.t
        stop_at = job.goal if job.goal is not None else job.target
        try:
            t.run(max(0, stop_at - t.iteration), seconds=SLICE_SECONDS,
                  callback=lambda _t: _t.iteration < stop_at and not interrupted())
            if t.diverged:
                job.event(Event.DIVERGED)
            elif job.goal is not None and t.iteration >= job.goal:
                t.evaluate_now()
                job.goal = None
                job.event(Event.REACHED if t.iteration >= job.target else Event.PAUSE)
            elif t.iteration >= job.target:
                self._finish(run, job)
                return
        except Exception as exc:  # noqa: BLE001 - reported to the server, which shows it
            self._fail(run, job, exc)
            return
        if job.status is not Status.RUNNING or time.monotonic() - job.published >= PUBLISH_SECONDS:
            self.publish(run)

    def _finish(self, run: int, job: _Job) -> None:
        job.t.evaluate_now()
        job.event(Event.REACHED)
        self._dequeue(run)
        self.publish(run)

    def _fail(self, run: int, job: _Job, exc: Exception) -> None:
        job.t.stopped_reason = None
        # ssnn's own error goes as it is (its template is translated too), any other as its English text
        # (a copy: not its traceback, nor what it was raised from)
        ours = isinstance(exc, SsnnError) and _picklable(exc)
        reason = type(exc)(exc.template, **exc.params) if ours else str(exc)
        job.error = SsnnError("training stopped unexpectedly: {kind}: {reason}", kind=type(exc).__name__,
                              reason=reason)
        job.message = str(job.error)
        job.status = after(job.status, Event.LOST) if job.status.active else Status.FAILED
        self._dequeue(run)
        self.publish(run)

    def _dequeue(self, run: int) -> None:
        if run in self.queue:
            self.queue.remove(run)

    def publish(self, run: int) -> None:
        self.send(self.jobs[run].publication(run))

    def stats(self, cmd: int) -> p.Stats:
        sets = {id(s): s for s in list(self.sets.values()) + list(self.alive.values())}
        return p.Stats(cmd, len(self.jobs), sum(j.status is Status.RUNNING for j in self.jobs.values()),
                       len(self.queue), len(self.pairs), len(sets),
                       sum(s.training_set.nbytes + s.X_test.nbytes for s in sets.values()), list(self.made))


def _picklable(obj) -> bool:
    """Whether `obj` can go to the server in a message (an error's values could be anything)."""
    try:
        pickle.dumps(obj)
    except Exception:  # noqa: BLE001 - pickling can fail in many ways
        return False
    return True


def main(read_fd: int, write_fd: int) -> None:
    """The training process: obeys the server's messages, trains the active runs in turns."""
    from multiprocessing.connection import Connection

    inbox, out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    owner = Owner(out.send)
    try:
        while True:
            if not owner.busy or inbox.poll(0):
                owner.handle(inbox.recv())       # blocks while there is nothing to train
                continue
            owner.turn(lambda: inbox.poll(0))
    except (EOFError, OSError):
        return                                   # the server has gone
