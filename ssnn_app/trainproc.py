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
("start", run_id, key, hyper, trainer_kwargs, state, lr, target),
("resume", run_id, lr, target), ("set", run_id, lr, target), ("stop", run_id), ("drop", run_id).
Child to server: ("progress", run_id, iteration, steps, evals, train_seconds),
("stopped", run_id, why, state), why in done | diverged | stopped | failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import weakref
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path

SLICE_SECONDS = 0.05      # training per run per turn in the child (then progress goes to the server)
STEP_FIELDS = ("iteration", "train_cost", "train_accuracy", "learning_rate")
EVAL_FIELDS = ("eval_iteration", "test_cost", "test_accuracy")
MAX_PARKED = 8            # stopped runs the child keeps ready to resume without a new start
MAX_PAIRS = 6             # digit pairs the child keeps (about 12 MB each)


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

    inbox, out = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    jobs: dict[int, _Job] = {}
    pairs: dict = {}

    def stopped(run_id: int, why: str) -> None:
        job = jobs[run_id]
        job.active = False
        out.send(("stopped", run_id, why, trainer_state(job.t, job.known)))
        job.known = frozenset(s.iteration for s in job.t.snapshots)
        if why in ("done", "diverged", "failed"):
            del jobs[run_id]

    def handle(msg) -> None:
        kind, run_id = msg[0], msg[1]
        if kind == "data":
            pairs[msg[1]] = PairData(**msg[2])
        elif kind == "forget":
            pairs.pop(msg[1], None)
        elif kind == "start":
            _, _, key, hyper, kwargs, state, lr, target = msg
            t = Trainer(pairs[key], hyper.replace(iterations=target), **kwargs)
            if state is not None:
                apply_state(t, state)
            t.set_learning_rate(lr)
            jobs[run_id] = _Job(t, target)
        elif kind in ("resume", "set") and run_id in jobs:
            jobs[run_id].set(msg[2], msg[3])
            if kind == "resume":
                jobs[run_id].active = True
        elif kind == "stop" and run_id in jobs:
            stopped(run_id, "stopped")
        elif kind == "drop":
            jobs.pop(run_id, None)

    while True:
        active = [(rid, j) for rid, j in jobs.items() if j.active]
        if not active or inbox.poll(0):
            try:
                msg = inbox.recv()                   # blocks while there is nothing to train
            except (EOFError, OSError):
                return                               # the server has gone
            handle(msg)
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

    Runs register callbacks: `on_progress(iteration, steps, evals, train_seconds)` and
    `on_stopped(why, state)`, called from the engine's listener thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._out: Connection | None = None
        self._runs: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._parked: list[int] = []             # run ids the child holds stopped, oldest first
        self._pairs: OrderedDict = OrderedDict()  # key -> pair: the digit pairs the child has

    def warm(self) -> None:
        """Start the process now (it takes ~0.5 s to import NumPy), so the first Train is quick."""
        with self._lock:
            self._ensure()

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        repo = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = repo + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        code = f"from ssnn_app.trainproc import child_main; child_main({to_child_r}, {from_child_w})"
        self._proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(to_child_r, from_child_w),
                                      cwd=repo, env=env, stdin=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._out = Connection(to_child_w, readable=False)
        self._parked = []
        self._pairs = OrderedDict()
        inbox = Connection(from_child_r, writable=False)
        threading.Thread(target=self._listen, args=(inbox, self._proc), name="ssnn-train-listener",
                         daemon=True).start()

    def _send(self, msg) -> bool:
        try:
            self._out.send(msg)
            return True
        except (OSError, AttributeError):
            return False

    def start(self, run, pair, kwargs: dict, lr: float, target: int, state: dict | None) -> bool:
        """Train `run` in the child from `state` (None: the trainer's initial parameters), or from
        where the child stopped it, if it still has it."""
        with self._lock:
            self._ensure()
            self._runs[run.id] = run
            if run.id in self._parked and state is not None:
                self._parked.remove(run.id)
                return self._send(("resume", run.id, lr, target))
            key = (id(pair), pair.source, tuple(pair.digits))
            if key in self._pairs:
                self._pairs.move_to_end(key)
            else:
                fields = {k: getattr(pair, k) for k in ("x_train", "y_train", "x_test", "y_test", "digits", "source")}
                if not self._send(("data", key, fields)):
                    return False
                self._pairs[key] = pair              # held, so that its id is not reused meanwhile
                while len(self._pairs) > MAX_PAIRS:
                    self._send(("forget", self._pairs.popitem(last=False)[0]))
            return self._send(("start", run.id, key, run.hyper, kwargs, state, lr, target))

    def set(self, run_id: int, lr: float, target: int) -> None:
        with self._lock:
            self._send(("set", run_id, lr, target))

    def stop(self, run_id: int) -> None:
        with self._lock:
            self._send(("stop", run_id))

    def drop(self, run_id: int) -> None:
        """The child may forget a stopped run (the server changed or discarded it)."""
        with self._lock:
            if run_id in self._parked:
                self._parked.remove(run_id)
                self._send(("drop", run_id))

    def _listen(self, inbox: Connection, proc) -> None:
        while True:
            try:
                msg = inbox.recv()
            except (EOFError, OSError):
                break
            run = self._runs.get(msg[1])
            if msg[0] == "stopped":
                with self._lock:
                    if msg[2] == "stopped" and proc is self._proc:
                        self._parked.append(msg[1])
                        while len(self._parked) > MAX_PARKED:
                            self._send(("drop", self._parked.pop(0)))
            if run is None:
                if msg[0] == "progress":
                    self.stop(msg[1])                # nobody holds this run any more
                elif msg[0] == "stopped":
                    self.drop(msg[1])
                continue
            try:
                if msg[0] == "progress":
                    run.on_progress(*msg[2:])
                elif msg[0] == "stopped":
                    run.on_stopped(msg[2], msg[3])
            except Exception as exc:  # noqa: BLE001 - keep listening for the other runs
                print(f"ssnn: training update for run {msg[1]} failed: {exc!r}", file=sys.stderr)
        inbox.close()
        proc.wait()
        for run in list(self._runs.values()):        # the process died: nothing it held comes back
            if getattr(run, "remote", False):
                run.on_stopped("failed", {"message": f"the training process ended (exit status {proc.returncode})"})


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine
