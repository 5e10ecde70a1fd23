"""Training in a process of its own, beside the Streamlit server.

Why a process and not a thread: the trainer hands the GIL back and forth dozens of times per
iteration (every NumPy call), and a server thread busy in Python (a session drawing a page) makes each
hand-back wait for the interpreter's switch interval. Measured: 9.3 ms per iteration alone, 315 ms with
one busy Python thread beside it. In its own process the trainer never waits for the server's Python.

One child process trains every run of the server, taking turns in slices of SLICE_SECONDS, so many
sessions training at once all make progress, on the cores the trainer's worker pool uses. The server
keeps a Trainer per run as the state of record while the run is stopped; while it trains, the child has
it, and the server sees the history grow (`progress`) and gets the whole state back when the child
stops (`stopped`: finished, diverged, or asked to stop so that someone can read or change it).

Messages are tuples sent over two pipes with multiprocessing.connection (both ends are this module).
Server to child: ("data", key, pair), ("forget", key) (digit pairs, sent once, kept by key),
("prepare", key, scaler, dtype) (make that pair's standardised training set ahead of a Train click),
("start", lid, key, hyper, trainer_kwargs, state, lr, target),
("resume", lid, lr, target), ("set", lid, lr, target), ("stop", lid), ("drop", lid).
Child to server: ("progress", lid, iteration, steps, evals, train_seconds),
("stopped", lid, why, state), why in done | diverged | stopped | failed. A lid is one launch of a run.
("made", key, scaling, dtype, nbytes, seconds): a training set standardised (Engine.made keeps a log).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import weakref
from collections import OrderedDict, deque
from multiprocessing.connection import Connection
from pathlib import Path

SLICE_SECONDS = 0.05      # training per run per turn in the child (then progress goes to the server)
STEP_FIELDS = ("iteration", "train_cost", "train_accuracy", "learning_rate")
EVAL_FIELDS = ("eval_iteration", "test_cost", "test_accuracy")
MAX_PARKED = 4            # stopped runs the child keeps ready to resume without a new start
MAX_PAIRS = 6             # digit pairs the child keeps (about 12 MB each)
MAX_SETS = 3              # standardised training sets the child keeps ready (30 MB for 0/1 in float32,
                          # 60 MB in float64), shared by all runs of the same pair, scaling and precision


def trainer_state(t, known=frozenset()) -> dict:
    """Everything needed to continue a Trainer elsewhere (parameters, history, snapshots...). Snapshots
    of the iterations in `known` (which the other side has) are sent as their iteration number only."""
    snaps = [s.iteration if s.iteration in known else s for s in t.snapshots]
    return {"params": t.current_params(), "iteration": t.iteration,
            "history": {k: list(v) for k, v in vars(t.history).items()}, "snapshots": snaps,
            "snapshot_every": t.snapshot_every, "stopped_reason": t.stopped_reason,
            "train_seconds": t.train_seconds, "learning_rate": t.learning_rate}


def apply_state(t, state: dict) -> None:
    from ssnn_core.trainer import History

    have = {s.iteration: s for s in t.snapshots}
    snaps = [have[s] if isinstance(s, int) else s for s in state["snapshots"]]
    t.restore(state["params"], state["iteration"], History(**state["history"]), snaps)
    t.snapshot_every = state["snapshot_every"]
    t.stopped_reason = state["stopped_reason"]
    t.train_seconds = state["train_seconds"]
    t.learning_rate = state["learning_rate"]


# ------------------------------------------------------------------ the child


class _Job:
    def __init__(self, trainer, target: int):
        self.t, self.target, self.active = trainer, target, True
        self.sent = len(trainer.history.iteration)          # steps the server already has
        self.sent_evals = len(trainer.history.eval_iteration)
        self.known = frozenset(s.iteration for s in trainer.snapshots)   # snapshots the server has

    def set(self, lr: float, target: int) -> None:
        self.t.set_learning_rate(lr)
        self.target = target
        self.t.hyper = self.t.hyper.replace(iterations=target)

    def progress(self, run_id: int) -> tuple:
        h = self.t.history
        n, k = len(h.iteration), len(h.eval_iteration)
        steps = {f: getattr(h, f)[self.sent:n] for f in STEP_FIELDS}
        evals = {f: getattr(h, f)[self.sent_evals:k] for f in EVAL_FIELDS}
        self.sent, self.sent_evals = n, k
        return ("progress", run_id, self.t.iteration, steps, evals, self.t.train_seconds)


def child_main(read_fd: int, write_fd: int) -> None:
    """The training process: obeys the server's messages, trains the active runs in turns."""
    from ssnn_core import Trainer
    from ssnn_core.data import PairData
    from ssnn_core.trainer import TrainingSet

    inbox, out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    jobs: dict[int, _Job] = {}
    pairs: dict = {}
    sets: OrderedDict = OrderedDict()   # (pair key, scaling, dtype) -> TrainingSet, least recently used first
    alive = weakref.WeakValueDictionary()   # ... and those let go of that runs still hold

    def training_set(key, scaler, dtype: str):
        skey = (key, scaler.mode, dtype)
        if skey in sets:
            sets.move_to_end(skey)
            return sets[skey]
        made = alive.get(skey)
        if made is None:
            began = time.perf_counter()
            made = alive[skey] = TrainingSet.for_pair(pairs[key], scaler, dtype)
            out.send(("made", key, scaler.mode, dtype, made.nbytes, time.perf_counter() - began))
        sets[skey] = made
        while len(sets) > MAX_SETS:   # runs training on an older one keep it until they end
            sets.popitem(last=False)
        return made

    def stopped(run_id: int, why: str) -> None:
        job = jobs[run_id]
        job.active = False
        out.send(("stopped", run_id, why, trainer_state(job.t, job.known)))
        job.known = frozenset(s.iteration for s in job.t.snapshots)
        if why in ("done", "diverged", "failed"):
            del jobs[run_id]

    def handle(msg) -> None:
        kind, lid = msg[0], msg[1]
        if kind == "data":
            pairs[lid] = PairData(**msg[2])
        elif kind == "forget":
            pairs.pop(lid, None)
            for skey in [skey for skey in sets if skey[0] == lid]:
                del sets[skey]
        elif kind == "prepare":
            training_set(lid, msg[2], msg[3])
        elif kind == "start":
            _, _, key, hyper, kwargs, state, lr, target = msg
            scaler = kwargs.pop("scaler")                # the training set carries its own
            kwargs["training_set"] = training_set(key, scaler, hyper.dtype)
            t = Trainer(pairs[key], hyper.replace(iterations=target), **kwargs)
            if state is not None:
                apply_state(t, state)
            t.set_learning_rate(lr)
            jobs[lid] = _Job(t, target)
        elif kind in ("resume", "set") and lid in jobs:
            jobs[lid].set(msg[2], msg[3])
            if kind == "resume":
                jobs[lid].active = True
        elif kind == "stop" and lid in jobs and jobs[lid].active:
            stopped(lid, "stopped")
        elif kind == "drop":
            jobs.pop(lid, None)

    def obey(msg) -> None:
        try:
            handle(msg)
        except Exception as exc:  # noqa: BLE001 - one bad launch must not stop the others
            if msg[0] == "prepare":                  # a start that needs it says what is wrong
                print(f"ssnn training process: preparing a training set failed: {exc!r}", file=sys.stderr)
                return
            jobs.pop(msg[1], None)
            if msg[0] in ("start", "resume", "set"):
                out.send(("stopped", msg[1], "failed", {"message": f"{type(exc).__name__}: {exc}"}))

    while True:
        active = [(rid, j) for rid, j in jobs.items() if j.active]
        if not active or inbox.poll(0):
            try:
                msg = inbox.recv()                   # blocks while there is nothing to train
            except (EOFError, OSError):
                return                               # the server has gone
            obey(msg)
            continue
        for run_id, job in active:
            if inbox.poll(0):
                break
            t = job.t
            try:
                t.run(max(0, job.target - t.iteration), seconds=SLICE_SECONDS,
                      callback=lambda _t, j=job: _t.iteration < j.target and not inbox.poll(0))
                if t.iteration >= job.target and not t.diverged:
                    t.evaluate_now()
                out.send(job.progress(run_id))
                if t.diverged:
                    stopped(run_id, "diverged")
                elif t.iteration >= job.target:
                    stopped(run_id, "done")
            except (BrokenPipeError, EOFError):
                return
            except Exception as exc:  # noqa: BLE001 - reported to the server, which shows it
                t.stopped_reason = None
                job.active = False
                out.send(("stopped", run_id, "failed", {"message": f"{type(exc).__name__}: {exc}"}))
                jobs.pop(run_id, None)


# ------------------------------------------------------------------ the server's side


class Engine:
    """The server's handle on the training process (started on first use, restarted if it died).

    Each hand-over of a run to the child is a launch with an id of its own (`run.launch_id`); what the
    child says about other launches (an answer that came too late, a run since changed) is ignored.
    Runs get `on_progress(iteration, steps, evals, train_seconds)` and `on_stopped(why, state)` calls
    from the listener thread. Nothing here writes to the pipe while holding the lock: messages go
    through a queue to a writer thread, so the listener never waits for a write to finish (a large
    write to a child busy sending to us would otherwise wait forever)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._gen = 0                              # counts the processes started
        self._queue: queue.Queue | None = None     # messages for the current process
        self._lids = iter(range(1, 10**12))
        self._jobs: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # launch id -> run
        self._parked: OrderedDict = OrderedDict()  # launch ids the child holds stopped, oldest first
        self._pairs: OrderedDict = OrderedDict()   # key -> pair: the digit pairs the child has
        self._prepared: OrderedDict = OrderedDict()  # training sets asked for by `prepare`, newest last
        self.made: deque = deque(maxlen=64)        # (pair key, scaling, dtype, bytes, seconds) the child made

    def warm(self) -> None:
        """Start the process now (it takes ~0.5 s to import NumPy), so the first Train is quick; and let
        it forget stopped runs the server no longer has (their sessions ended)."""
        with self._lock:
            self._ensure()
            self._purge_locked()

    def _purge_locked(self) -> None:
        for lid in [lid for lid in self._parked if self._jobs.get(lid) is None]:
            self._drop_locked(lid)

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        repo = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        # glibc otherwise raises its mmap threshold after the first large free, and the buffers of
        # finished runs and of training sets let go of stay in the process's heap instead of going back
        # to the system
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
        code = f"from ssnn_app.trainproc import child_main; child_main({to_child_r}, {from_child_w})"
        proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(to_child_r, from_child_w),
                                cwd=repo, env=env, stdin=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        if self._queue is not None:
            self._queue.put(None)                  # the old writer stops
        self._proc, self._gen, self._queue = proc, self._gen + 1, queue.Queue()
        self._parked, self._pairs, self._prepared = OrderedDict(), OrderedDict(), OrderedDict()
        threading.Thread(target=self._write, args=(Connection(to_child_w, readable=False), self._queue),
                         name="ssnn-train-writer", daemon=True).start()
        threading.Thread(target=self._listen, args=(Connection(from_child_r, writable=False), proc, self._gen),
                         name="ssnn-train-listener", daemon=True).start()

    @staticmethod
    def _write(out: Connection, q: queue.Queue) -> None:
        while (msg := q.get()) is not None:
            try:
                out.send(msg)
            except OSError:                        # the process died: its listener reports it
                break
        out.close()

    def _send(self, msg) -> None:
        if self._queue is not None:
            self._queue.put(msg)

    def _drop_locked(self, lid: int) -> None:
        if self._parked.pop(lid, False) is None:
            self._send(("drop", lid))

    def start(self, run, pair, kwargs: dict, lr: float, target: int, state: dict) -> None:
        """Train `run` in the child: resumed where the child stopped it if it still holds that state,
        else from `state` (the run's trainer as the server has it)."""
        with self._lock:
            self._ensure()
            self._purge_locked()                  # runs the server has let go of
            parked = run.parked_lid
            run.parked_lid = None
            if parked is not None and parked in self._parked and run.launch_gen == self._gen:
                del self._parked[parked]
                run.launch_id = parked
                self._jobs[parked] = run
                self._send(("resume", parked, lr, target))
                return
            if parked is not None:
                self._drop_locked(parked)
            key = self._pair_locked(pair)
            self._note_set_locked((key, kwargs["scaler"].mode, run.hyper.dtype), used=True)
            lid = next(self._lids)
            run.launch_id, run.launch_gen = lid, self._gen
            self._jobs[lid] = run
            self._send(("start", lid, key, run.hyper, kwargs, state, lr, target))

    def _pair_locked(self, pair) -> tuple:
        """The child's key for `pair`, sending it the pair first if it does not have it."""
        key = (id(pair), pair.source, tuple(pair.digits))
        if key in self._pairs:
            self._pairs.move_to_end(key)
        else:
            fields = {k: getattr(pair, k) for k in ("x_train", "y_train", "x_test", "y_test", "digits", "source")}
            self._send(("data", key, fields))
            self._pairs[key] = pair              # held, so that its id is not reused meanwhile
            while len(self._pairs) > MAX_PAIRS:
                old = self._pairs.popitem(last=False)[0]
                self._send(("forget", old))
                for skey in [skey for skey in self._prepared if skey[0] == old]:
                    del self._prepared[skey]
        return key

    def _note_set_locked(self, skey: tuple, used: bool) -> bool:
        """Keep `_prepared` in the order of the child's `sets` (the MAX_SETS used last): a set the child
        is about to make, or (`used`, a start) to use, becomes the newest. True if the child has it."""
        known = skey in self._prepared
        if known and not used:
            return True                          # a prepare the child will not hear of: order unchanged
        self._prepared[skey] = None
        self._prepared.move_to_end(skey)
        while len(self._prepared) > MAX_SETS:
            self._prepared.popitem(last=False)
        return known

    def prepare(self, pair, scaler, dtype: str) -> None:
        """Have the child standardise `pair`'s training set now (~0.1 s of its time, once), so that a
        Train click with these settings starts training at once. Asked again only after the child may
        have let it go (MAX_SETS newer ones prepared since)."""
        with self._lock:
            self._ensure()
            key = self._pair_locked(pair)
            if not self._note_set_locked((key, scaler.mode, dtype), used=False):
                self._send(("prepare", key, scaler, dtype))

    def set(self, run, lr: float, target: int) -> None:
        with self._lock:
            if run.launch_id is not None:
                self._send(("set", run.launch_id, lr, target))

    def stop(self, run) -> None:
        with self._lock:
            if run.launch_id is not None:
                self._send(("stop", run.launch_id))

    def drop(self, run) -> None:
        """The child may forget the state it keeps for `run` (the server changed or discarded it)."""
        with self._lock:
            if run.parked_lid is not None:
                self._drop_locked(run.parked_lid)
                run.parked_lid = None

    def _listen(self, inbox: Connection, proc, gen: int) -> None:
        reason = None
        while True:
            try:
                msg = inbox.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # noqa: BLE001 - an unreadable message: this process is not to be trusted
                reason = f"unreadable message from the training process ({type(exc).__name__})"
                proc.kill()
                break
            kind, lid = msg[0], msg[1]
            if kind == "made":
                self.made.append(msg[1:])
                continue
            with self._lock:
                run = self._jobs.get(lid)
                current = run is not None and run.launch_id == lid and gen == self._gen
                if not current:
                    if kind == "progress":
                        self._send(("stop", lid))   # nobody holds this run any more
                    elif kind == "stopped" and msg[2] == "stopped" and gen == self._gen:
                        self._send(("drop", lid))
                    continue
                if kind == "stopped":
                    run.launch_id = None
                    if msg[2] == "stopped":
                        run.parked_lid = lid
                        self._parked[lid] = None
                        while len(self._parked) > MAX_PARKED:
                            old, _ = self._parked.popitem(last=False)
                            self._send(("drop", old))
                            other = self._jobs.get(old)
                            if other is not None and other.parked_lid == old:
                                other.parked_lid = None
            try:
                if kind == "progress":
                    run.on_progress(*msg[2:])
                elif kind == "stopped":
                    run.on_stopped(msg[2], msg[3])
            except Exception as exc:  # noqa: BLE001 - keep listening for the other runs
                print(f"ssnn: training update for launch {lid} failed: {exc!r}", file=sys.stderr)
        inbox.close()
        proc.wait()
        reason = reason or f"the training process ended (exit status {proc.returncode})"
        with self._lock:                            # nothing this process held comes back
            if self._proc is proc:
                self._proc = None
            lost = [r for r in list(self._jobs.values()) if r.launch_id is not None and r.launch_gen == gen]
            for r in lost:
                r.launch_id = None
        for r in lost:
            r.on_stopped("failed", {"message": reason})


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine
