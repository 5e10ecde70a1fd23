"""Session state: the settings (mirrored in the URL), the current run, finished runs, uploaded models.

Pages call `setup_page()` first, then read `settings()` and `current()`; they never touch the trainer
directly except through the Train page's actions here.
"""

from __future__ import annotations

import gc
import io
import math
import threading
import time
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from ssnn_core import ConfigError, Hyper, Model, ModelFileError, Trainer, evaluate, load_model
from ssnn_core.model_io import MAX_MODEL_BYTES, to_bytes
from ssnn_core.scaling import Standardiser
from ssnn_core.trainer import History

from . import data as app_data
from . import trainproc

UI_ITERATIONS = (1, 5000)
UI_HIDDEN = (10, 300)
UI_LR = (0.001, 10.0)
SNAPSHOT_BUDGET = 16 * 2**20     # bytes of W1 copies kept per run for the replay
MAX_FINISHED = 6                 # runs kept for "compare runs"
SHARED_RESULTS = 32              # finished runs shared across sessions (classroom mode)
REDRAW_SECONDS = 0.3             # the live chart redraws about 3 times a second
GC_SECONDS = 30.0                # full garbage collections at most this often (see _collect_garbage)
STOP_TIMEOUT = 60.0              # seconds to wait for the training process to hand a run back


# ------------------------------------------------------------------ settings and URL

URL_FIELDS = {"digits": "digits", "hidden": "n1", "learning_rate": "lr", "iterations": "iters",
              "seed": "seed", "dtype": "dtype", "scaling": "scaling"}


def hyper_from_query(params) -> tuple[Hyper, list[str]]:
    """Settings from URL parameters; each bad one is ignored with a message."""
    hyper, problems = Hyper(), []
    for name, key in URL_FIELDS.items():
        raw = params.get(key)
        if raw is None:
            continue
        raw = str(raw)[:40]
        value = raw
        if name == "digits":
            value = tuple(raw.replace("-", ",").split(","))
        try:
            candidate = hyper.replace(**{name: value})
            _check_ui_range(candidate)
            hyper = candidate
        except (ConfigError, TypeError, ValueError) as exc:
            problems.append(f"URL parameter {key}={raw!r} ignored: {exc}")
    return hyper, problems


def _check_ui_range(h: Hyper) -> None:
    if not UI_HIDDEN[0] <= h.hidden <= UI_HIDDEN[1]:
        raise ConfigError(f"hidden neurons must be in {UI_HIDDEN[0]}..{UI_HIDDEN[1]}, got {h.hidden}")
    if not UI_ITERATIONS[0] <= h.iterations <= UI_ITERATIONS[1]:
        raise ConfigError(f"iterations must be in {UI_ITERATIONS[0]}..{UI_ITERATIONS[1]}, got {h.iterations}")
    if not UI_LR[0] <= h.learning_rate <= UI_LR[1]:
        raise ConfigError(f"learning rate must be in {UI_LR[0]:g}..{UI_LR[1]:g}, got {h.learning_rate:g}")


def hyper_to_query(h: Hyper) -> dict:
    return {"digits": f"{h.digits[0]}-{h.digits[1]}", "n1": str(h.hidden), "lr": f"{h.learning_rate:g}",
            "iters": str(h.iterations), "seed": str(h.seed), "dtype": h.dtype, "scaling": h.scaling}


def setup_page(title: str, icon: str) -> None:
    """Page config, first-visit URL restore, and the sidebar status line. Call first on every page."""
    st.set_page_config(page_title=f"{title} · ssnn", page_icon=icon, layout="wide")
    ss = st.session_state
    if "hyper" not in ss:
        hyper, problems = hyper_from_query(st.query_params)
        ss["hyper"] = hyper
        ss["url_problems"] = problems
    for problem in ss.pop("url_problems", []):
        st.warning(problem)
    trainproc.engine().warm()  # the training process, started before the first Train
    if ss.get("_page") != title:  # a page opened (not a click on it: a collection would delay its answer)
        ss["_page"] = title
        _collect_garbage()
    note_finished()
    sync_url()
    if title != "Train":  # the Train page has its own live status line
        _sidebar_status()


_last_gc = [0.0]


def _collect_garbage() -> None:
    """A full garbage collection (0.07 s in a bare process, more with sessions) at most every
    GC_SECONDS, when a page is opened, never on a click's rerun (Pause must answer at once).
    Streamlit's own one after every script run is off (.streamlit/config.toml): it ran ~3 times a
    second per live chart. Closed sessions' state is kept in reference cycles, so without any full
    collection it would stay."""
    now = time.monotonic()
    if now - _last_gc[0] >= GC_SECONDS:
        _last_gc[0] = now
        gc.collect()
        if _malloc_trim is not None:
            _malloc_trim(0)  # hand freed heap memory back to the system (glibc keeps it otherwise)


def _find_malloc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        return None


_malloc_trim = _find_malloc_trim()


def settings() -> Hyper:
    return st.session_state["hyper"]


def set_settings(hyper: Hyper) -> None:
    st.session_state["hyper"] = hyper
    run = st.session_state.get("run")
    if run is not None and run.trainer is not None and run.compatible(hyper):
        if hyper.learning_rate != run.trainer.learning_rate or hyper.iterations != run.target:
            run = _own(run)  # a run others watch too goes on for them as it was
            with run.lock:
                if hyper.learning_rate != run.trainer.learning_rate:
                    run.trainer.set_learning_rate(hyper.learning_rate)
                run.set_target(hyper.iterations)
                if run.remote:
                    trainproc.engine().set(run, run.trainer.learning_rate, run.target)
            _launch(run)  # a copy of a running run trains on (no-op otherwise)
    sync_url()


def sync_url() -> None:
    wanted = hyper_to_query(settings())
    if {k: st.query_params.get(k) for k in wanted} != wanted:
        st.query_params.update(wanted)


def share_link() -> str:
    base = (st.context.url or "").split("?")[0]
    query = "&".join(f"{k}={v}" for k, v in hyper_to_query(settings()).items())
    return f"{base}?{query}"


def _sidebar_status() -> None:
    run = st.session_state.get("run")
    with st.sidebar:
        if run is None:
            st.caption("No model yet: train one on the Train page, or upload one.")
        else:
            st.caption(f"Model: {run.describe()}")


# ------------------------------------------------------------------ runs
#
# Training runs in a process beside the server (ssnn_app/trainproc.py), not in the browser's redraw
# ticks: the Train page's live panel only redraws what has been trained so far. So a run trains at
# full speed however slowly a browser redraws, keeps training while its learner looks at other pages,
# and several sessions can watch one run: when a class presses Train with the same settings at the
# same moment, the first one trains and the others follow it (training is deterministic, so they get
# the very result they would have computed). A session that changes a run others are watching
# (Pause, Step, a new learning rate or target) first gets a copy of its own (`_own`).


@dataclass
class Finished:
    """A completed run, as shared between sessions: everything but the training data."""

    params: dict
    history: History
    snapshots: list
    scaler: object
    train_seconds: float


@dataclass
class _Store:
    finished: OrderedDict          # (repr(hyper), source) -> Finished, least recently used first
    training: dict                 # (repr(hyper), source) -> Run: plain runs in progress others may join
    lock: threading.Lock


@st.cache_resource
def _shared() -> _Store:
    """What the sessions of this server share: finished runs and plain runs in progress, by settings
    (classroom mode: a class that trains the same network pays for one training)."""
    return _Store(OrderedDict(), {}, threading.Lock())


def _key(hyper: Hyper, source: str) -> tuple:
    return (repr(hyper), source)


def shared_put(store: _Store, hyper: Hyper, source: str, finished: Finished) -> None:
    with store.lock:
        store.finished[_key(hyper, source)] = finished
        while len(store.finished) > SHARED_RESULTS:
            store.finished.popitem(last=False)


def _unregister(run: Run) -> None:
    """`run` can no longer be joined (it was paused, changed, or it ended)."""
    store = run.store
    if store is None:
        return
    with store.lock:
        key = _key(run.hyper, run.source)
        if store.training.get(key) is run:
            del store.training[key]


class _Token:
    """One per browser session; a run holds its watchers' tokens weakly, so a closed session stops counting."""


def _token() -> _Token:
    ss = st.session_state
    token = ss.get("_token")
    if token is None:
        token = ss["_token"] = _Token()
    return token


def _set_run(run: Run | None) -> None:
    """Make `run` this session's run (None: no run)."""
    ss = st.session_state
    old, token = ss.get("run"), _token()
    if old is not None and old is not run:
        old.watchers.discard(token)
    if run is None:
        ss.pop("run", None)
    else:
        run.watchers.add(token)
        ss["run"] = run


_run_ids = iter(range(1, 10**9))


@dataclass
class Run:
    """The model this session is working on: being trained, trained, shared or uploaded."""

    hyper: Hyper
    source: str                       # where the data came from, or "uploaded model"
    trainer: Trainer | None = None
    status: str = "ready"             # ready | running | paused | done | diverged | uploaded
    model: Model | None = None        # set for uploaded or shared results
    history: History | None = None
    snapshots: list = field(default_factory=list)
    from_shared: bool = False
    lr_changed: bool = False
    id: int = field(default_factory=lambda: next(_run_ids))
    started: float = field(default_factory=time.perf_counter)
    pair: object | None = field(default=None, repr=False, compare=False)   # the PairData it trains on
    # While the training process has the run (`remote`), `trainer` is the state it started from and
    # `live` the history as it grows; `hold()` takes the run back (after the iteration in flight),
    # for whoever reads or changes the trainer, and hands it on again afterwards if still running.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    remote: bool = False
    live: History | None = field(default=None, repr=False, compare=False)
    live_iteration: int = 0
    live_seconds: float = 0.0
    launch_id: int | None = None      # the training process's current launch of this run
    launch_gen: int = 0               # ... in which training process
    parked_lid: int | None = None     # a launch the training process keeps stopped, ready to resume
    idle: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    watchers: weakref.WeakSet = field(default_factory=weakref.WeakSet, repr=False, compare=False)
    store: _Store | None = field(default=None, repr=False, compare=False)
    failure: str | None = None        # why training stopped, if it failed

    @contextmanager
    def hold(self):
        """Exclusive, consistent access to the trainer: if the training process has the run, it stops
        after the iteration in flight and sends the state back; it carries on afterwards if the run
        is still running."""
        with self.lock:
            resume = self.remote
            if self.remote:
                trainproc.engine().stop(self)
                if not self.idle.wait(STOP_TIMEOUT):
                    self.on_stopped("failed", {"message": f"the training process did not answer in "
                                                          f"{STOP_TIMEOUT:.0f} s"})
            try:
                yield
            finally:
                if resume and self.status == "running":
                    _launch(self)

    def on_progress(self, iteration: int, steps: dict, evals: dict, seconds: float) -> None:
        """From the training process (listener thread): more steps done."""
        live = self.live
        if live is None:
            return
        for name, values in steps.items():
            getattr(live, name).extend(values)
        for name, values in evals.items():
            getattr(live, name).extend(values)
        self.live_iteration, self.live_seconds = iteration, seconds
        if not self.watchers and self.status == "running":  # every session that watched it has gone
            self.status = "paused"
            _unregister(self)
            trainproc.engine().stop(self)

    def on_stopped(self, why: str, state: dict) -> None:
        """From the training process (listener thread): it stopped the run and sent its state."""
        relaunch = False
        try:
            if why == "failed":
                self.failure = f"training stopped unexpectedly: {state['message']}"
                self.status = "paused"
                _unregister(self)
            else:
                lr = self.trainer.learning_rate            # the rate asked for last wins
                trainproc.apply_state(self.trainer, state)
                self.trainer.learning_rate = lr
                if why == "diverged":
                    self.status = "diverged"
                    _unregister(self)
                elif why == "done" and self.trainer.iteration < self.target:
                    relaunch = self.status == "running"   # the target was raised as it finished
                elif why == "done":
                    self.status = "done"
                    _finish(self)
        except Exception as exc:  # noqa: BLE001 - the run must not stay 'running' with nobody training it
            self.failure = f"training stopped unexpectedly: {type(exc).__name__}: {exc}"
            self.status = "paused"
            relaunch = False
        finally:
            self.launch_id = None
            self.remote, self.live = False, None
            self.idle.set()
        if relaunch:
            _launch(self)

    def compatible(self, hyper: Hyper) -> bool:
        """True when `hyper` differs from this run at most in learning rate and iterations."""
        a, b = self.hyper, hyper
        return (a.digits, a.hidden, a.seed, a.dtype, a.scaling) == (b.digits, b.hidden, b.seed, b.dtype, b.scaling)

    @property
    def iteration(self) -> int:
        if self.remote:
            return self.live_iteration
        if self.trainer is not None:
            return self.trainer.iteration
        return self.model.iteration if self.model else 0

    @property
    def target(self) -> int:
        return self.hyper.iterations

    def set_target(self, iterations: int) -> None:
        self.hyper = self.hyper.replace(iterations=iterations)
        if self.trainer is not None:
            self.trainer.hyper = self.trainer.hyper.replace(iterations=iterations)
            if self.status == "done" and self.trainer.iteration < iterations:
                self.status = "paused"
            elif self.status in ("paused", "ready") and self.trainer.iteration >= iterations:
                self.status = "done"

    def describe(self) -> str:
        h = self.hyper
        where = {"uploaded": "uploaded", "diverged": "stopped: diverged"}.get(self.status, self.status)
        return (f"784→{h.hidden}→1, digits {h.digits[0]}/{h.digits[1]}, lr {self.current_lr():g}, "
                f"{self.iteration}/{h.iterations} iterations ({where})")

    def current_lr(self) -> float:
        return self.trainer.learning_rate if self.trainer is not None else self.hyper.learning_rate

    def get_history(self) -> History | None:
        return self.trainer.history if self.trainer is not None else self.history

    def history_now(self) -> History | None:
        """A consistent copy of the history so far, taken without stopping the training."""
        h = self.live if self.remote else None
        h = h if h is not None else self.get_history()
        return None if h is None else h.copy()

    def ms_per_iteration(self) -> float | None:
        t = self.trainer
        if t is None:
            return None
        its, secs = (self.live_iteration, self.live_seconds) if self.remote else (t.iteration, t.train_seconds)
        return 1000 * secs / its if its else None

    def get_snapshots(self) -> list:
        return self.trainer.snapshots if self.trainer is not None else self.snapshots

    @property
    def others_watching(self) -> int:
        return max(0, len(self.watchers) - 1)


def snapshot_plan(hyper: Hyper) -> tuple[int, int]:
    """(snapshot_every, max_snapshots) so that the replay costs at most SNAPSHOT_BUDGET bytes."""
    per = hyper.hidden * 784 * np.dtype(hyper.dtype).itemsize
    most = int(max(8, min(60, SNAPSHOT_BUDGET // per)))
    return max(1, math.ceil(hyper.iterations / most)), most


def eval_every(hyper: Hyper) -> int:
    return max(1, hyper.iterations // 100)


_scalers: OrderedDict = OrderedDict()   # (id(pair), scaling) -> (Standardiser, pair): fitted once per pair
_scalers_lock = threading.Lock()


def _scaler(pair, scaling: str) -> Standardiser:
    key = (id(pair), scaling)
    with _scalers_lock:
        if key in _scalers:
            _scalers.move_to_end(key)
            return _scalers[key][0]
    scaler = Standardiser.fit(pair.x_train, scaling)
    with _scalers_lock:
        _scalers[key] = (scaler, pair)  # the pair is held so that its id is not reused meanwhile
        while len(_scalers) > 8:
            _scalers.popitem(last=False)
    return scaler


def prepare_training(hyper: Hyper) -> None:
    """Have the training process standardise the training set of these settings now (once per pair,
    scaling and precision), so that pressing Train starts training at once."""
    pair = app_data.pair(hyper.digits)
    if pair is not None:
        trainproc.engine().prepare(pair, _scaler(pair, hyper.scaling), hyper.dtype)


def _new_trainer(hyper: Hyper) -> Trainer | None:
    """A run's state at its initial parameters (the training set is standardised only if it trains here)."""
    pair = app_data.pair(hyper.digits)
    if pair is None:
        return None
    every, most = snapshot_plan(hyper)
    return Trainer(pair, hyper, eval_every=eval_every(hyper), snapshot_every=every, max_snapshots=most,
                   scaler=_scaler(pair, hyper.scaling))


def new_run(hyper: Hyper) -> Run | None:
    """A fresh run from the current settings (parameters at their initial values)."""
    trainer = _new_trainer(hyper)
    if trainer is None:
        return None
    trainer.evaluate_now()
    pair = app_data.pair(hyper.digits)
    run = Run(hyper, pair.source, trainer, pair=pair)
    _set_run(run)
    return run


def get_run() -> Run | None:
    return st.session_state.get("run")


def start_training() -> None:
    """Train button: continue a compatible run, else start anew; reuse a shared result when one exists,
    or follow an identical run another session is training (claimed before its trainer is even built,
    so a class pressing Train together trains once)."""
    hyper = settings()
    run = get_run()
    if run is None or run.status in ("uploaded", "diverged") or not run.compatible(hyper):
        run = None
    elif run.trainer is None:
        _attach_trainer(run)
    fresh = run is None or (run.iteration == 0 and run.status == "ready")
    store = _shared()
    if fresh:
        pair = app_data.pair(hyper.digits)
        if pair is None:
            return
        key = _key(hyper, pair.source)
        with store.lock:
            shared = store.finished.get(key)
            leader = store.training.get(key)
            if leader is not None and leader.status != "running":
                leader = None
            if shared is None and leader is None:
                # always a new run: a 'ready' one may have been planned for another number of iterations
                run = Run(hyper, pair.source, None, "running", pair=pair, store=store)
                store.training[key] = run
        if shared is not None:
            _adopt(hyper, pair.source, shared)
            return
        if leader is not None:
            _set_run(leader)
            return
        _set_run(run)
        if run.trainer is None:
            try:
                run.trainer = _new_trainer(hyper)
                run.trainer.evaluate_now()
            except BaseException:  # also Streamlit's rerun/stop: no half-made run may stay joinable
                run.status = "ready"
                _unregister(run)
                raise
    else:
        run = _own(run)
        if run.trainer is None:
            return
    run.set_target(hyper.iterations)
    if run.trainer.learning_rate != hyper.learning_rate:
        run.trainer.set_learning_rate(hyper.learning_rate)
        run.lr_changed = True
    run.status = "running" if run.iteration < run.target else "done"
    run.started = time.perf_counter()
    run.store = store
    _launch(run)


def wait_until_stopped(run: Run, timeout: float = 3600) -> None:
    """Block until the run is no longer training (done, paused, diverged or failed)."""
    deadline = time.monotonic() + timeout
    while run.status == "running" and time.monotonic() < deadline:
        time.sleep(0.02)


def _adopt(hyper: Hyper, source: str, f: Finished) -> None:
    model = Model({k: v.copy() for k, v in f.params.items()}, f.scaler, hyper, hyper.iterations)
    _set_run(Run(hyper, source, None, "done", model, f.history, list(f.snapshots), from_shared=True))


def _attach_trainer(run: Run) -> None:
    """Give a shared result a trainer of its own, so that Step and more iterations continue from it."""
    if run.model is None:
        return
    trainer = _new_trainer(run.hyper)
    if trainer is not None:
        trainer.restore(run.model.params, run.model.iteration, run.history, run.snapshots)
        run.trainer, run.pair = trainer, app_data.pair(run.hyper.digits)


def _own(run: Run) -> Run:
    """This session's run, about to be changed: a copy when other sessions watch it too (they carry on
    as they were); either way no longer one a new session may join as a plain run of its settings."""
    if run.others_watching == 0 or run.trainer is None:
        _unregister(run)
        return run
    trainer = _new_trainer(run.hyper)
    with run.hold():
        trainproc.apply_state(trainer, trainproc.trainer_state(run.trainer))
        mine = Run(run.hyper, run.source, trainer, run.status, from_shared=run.from_shared,
                   lr_changed=run.lr_changed, pair=run.pair)
    _set_run(mine)
    return mine


def _launch(run: Run) -> None:
    """Hand a running run to the training process (unless it has it already)."""
    with run.lock:
        if run.status != "running" or run.remote or run.trainer is None or run.pair is None:
            return
        t = run.trainer
        run.live, run.live_iteration, run.live_seconds = t.history.copy(), t.iteration, t.train_seconds
        run.idle.clear()
        run.remote = True
        run.failure = None
        kwargs = {"eval_every": t.eval_every, "snapshot_every": t.snapshot_every, "max_snapshots": t.max_snapshots,
                  "scaler": t.scaler}
        trainproc.engine().start(run, run.pair, kwargs, t.learning_rate, run.target, trainproc.trainer_state(t))


def pause() -> None:
    """Stop live training after the iteration in flight, and wait for it so what is shown is final."""
    run = get_run()
    if run and run.status == "running":
        run = _own(run)
        with run.hold():
            run.status = "paused"


def step(n: int) -> None:
    """Run exactly n more iterations now (also past the target), then stay paused."""
    hyper = settings()
    run = get_run()
    if run is not None and run.trainer is None and run.status != "uploaded" and run.compatible(hyper):
        _attach_trainer(run)
    if run is None or run.trainer is None or not run.compatible(hyper) or run.status == "diverged":
        run = new_run(hyper)
        if run is None:
            return
    run = _own(run)
    with run.hold():
        run.status = "paused"
        trainproc.engine().drop(run)  # the training process's copy is about to be out of date
        if run.trainer.learning_rate != hyper.learning_rate:
            run.trainer.set_learning_rate(hyper.learning_rate)
        if run.iteration + n > run.target:
            run.set_target(run.iteration + n)
            st.session_state["hyper"] = settings().replace(iterations=run.target)
        run.trainer.run(n)
        _after_chunk(run)


def _abandon(run: Run | None) -> None:
    """This session is leaving `run`: stop its training unless other sessions watch it."""
    if run is not None and run.others_watching == 0:
        if run.status == "running":
            _unregister(run)
            with run.hold():
                run.status = "paused"
        trainproc.engine().drop(run)


def reset() -> None:
    _abandon(get_run())
    _set_run(None)
    new_run(settings())


def _after_chunk(run: Run) -> None:
    t = run.trainer
    if t.diverged:
        run.status = "diverged"
        _unregister(run)
    elif t.iteration >= run.target:
        t.evaluate_now()
        run.status = "done"
        _finish(run)


def _finish(run: Run) -> None:
    """Share a finished run if it is a plain run of its settings (called from the training process's
    listener thread too: no session state here)."""
    _unregister(run)
    t, h = run.trainer, run.trainer.history
    plain = all(lr == run.hyper.learning_rate for lr in h.learning_rate) and t.iteration == run.hyper.iterations
    if plain and not run.from_shared and run.store is not None:
        shared_put(run.store, run.hyper, run.source, Finished(t.current_params(), h.copy(), list(t.snapshots),
                                                               t.scaler, t.train_seconds))


def note_finished() -> None:
    """Add this session's run to "compare runs" once it has finished (each run and length once)."""
    run = get_run()
    if run is None or run.status != "done":
        return
    h = run.history_now()
    if h is None or not h.iteration:
        return
    ss = st.session_state
    noted = ss.setdefault("_noted", set())
    if (run.id, run.iteration) in noted:
        return
    noted.add((run.id, run.iteration))
    hy = run.hyper
    label = (f"n1={hy.hidden} lr={run.current_lr():g} it={run.iteration} seed={hy.seed} "
             f"{hy.digits[0]}v{hy.digits[1]} {hy.dtype} {hy.scaling}")
    finished = ss.setdefault("finished", [])
    finished.append({"label": label, "iteration": h.iteration, "train_cost": h.train_cost,
                     "eval_iteration": h.eval_iteration, "test_accuracy": h.test_accuracy})
    del finished[:-MAX_FINISHED]


# ------------------------------------------------------------------ what the inspection pages see


@dataclass
class View:
    """The current model with the data to look at it: what the Weights, Mistakes and Try it pages use."""

    params: dict          # W1 (n1, 784), b1 (n1, 1), W2 (1, n1), b2 (1, 1)
    scaler: object        # ssnn_core.Standardiser
    hyper: Hyper
    iteration: int
    history: History | None
    snapshots: list       # [Snapshot]
    pair: object | None   # ssnn_core.PairData for hyper.digits (None if no data)
    X_test: np.ndarray | None   # (784, m_test) standardised
    evaluation: object | None   # ssnn_core.Evaluation on the test set
    source: str


def current() -> View | None:
    """The model to inspect (trained or uploaded), cached per run and iteration."""
    run = get_run()
    if run is None:
        return None
    if run.trainer is None and run.model is None:
        return None  # a run another session is just starting
    key = (run.id, run.iteration, run.status == "uploaded")
    cached = st.session_state.get("_view")
    if cached is not None and cached[0] == key:
        return cached[1]
    history, snapshots = run.get_history(), run.get_snapshots()
    if run.trainer is not None:
        with run.hold():  # a consistent state even while the training process has the run
            key = (run.id, run.iteration, False)
            params, scaler = run.trainer.current_params(), run.trainer.scaler
            history, snapshots = run.trainer.history.copy(), list(run.trainer.snapshots)
    else:
        params, scaler = run.model.params, run.model.scaler
    pair = app_data.pair(run.hyper.digits)
    X_test = evaluation = None
    if pair is not None:
        X_test = scaler.transform(pair.x_test, params["W1"].dtype)
        evaluation = evaluate(params, X_test, pair.y_test)
    view = View(params, scaler, run.hyper, key[1], history, snapshots, pair,
                X_test, evaluation, "uploaded model" if run.status == "uploaded" else run.source)
    st.session_state["_view"] = (key, view)
    return view


def model_bytes(view: View) -> bytes:
    return to_bytes(Model(view.params, view.scaler, view.hyper, view.iteration))


def history_csv(history: History) -> str:
    out = io.StringIO()
    cols = ["iteration", "train_cost", "train_accuracy", "learning_rate", "test_cost", "test_accuracy"]
    out.write(",".join(cols) + "\n")
    for row in history.rows():
        out.write(",".join("" if row[c] is None else f"{row[c]:.10g}" for c in cols) + "\n")
    return out.getvalue()


def load_uploaded_model(uploaded) -> str | None:
    """Install an uploaded model as the current one; on any problem keep everything and return why."""
    if uploaded.size > MAX_MODEL_BYTES:
        return f"{uploaded.name} is {uploaded.size / 2**20:.1f} MB; an ssnn model is at most 8 MB"
    try:
        model = load_model(uploaded.getvalue())
    except ModelFileError as exc:
        return f"{uploaded.name}: {exc}"
    hyper = model.hyper
    _abandon(get_run())
    _set_run(Run(hyper, "uploaded model", None, "uploaded", model, None, []))
    try:
        _check_ui_range(hyper)
    except ConfigError:
        return None  # a valid model the sliders cannot show (e.g. 5 hidden neurons): keep the sliders as they are
    st.session_state["hyper"] = hyper
    sync_url()
    return None

