"""Session state: the settings (mirrored in the URL), the current run, finished runs, uploaded models.

Pages call `setup_page()` first, then read `settings()` and `current()`; they never touch the trainer
directly except through the Train page's actions here.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from ssnn_core import ConfigError, Hyper, Model, ModelFileError, Trainer, evaluate, load_model
from ssnn_core.model_io import MAX_MODEL_BYTES, to_bytes
from ssnn_core.trainer import History

from . import data as app_data

UI_ITERATIONS = (1, 5000)
UI_HIDDEN = (10, 300)
UI_LR = (0.001, 10.0)
SNAPSHOT_BUDGET = 16 * 2**20     # bytes of W1 copies kept per run for the replay
MAX_FINISHED = 6                 # runs kept for "compare runs"
SHARED_RESULTS = 32              # finished runs shared across sessions (classroom mode)
CHUNK_SECONDS = 0.2              # training time per redraw of the live chart
REDRAW_SECONDS = 0.3             # the live chart redraws about 3 times a second


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
    run = ss.get("run")
    if title != "Train" and run is not None and run.status == "running":
        run.status = "paused"  # live training only advances on the Train page; Train resumes it
    sync_url()
    if title != "Train":  # the Train page has its own live status line
        _sidebar_status()


def settings() -> Hyper:
    return st.session_state["hyper"]


def set_settings(hyper: Hyper) -> None:
    st.session_state["hyper"] = hyper
    run = st.session_state.get("run")
    if run is not None and run.trainer is not None:
        if hyper.learning_rate != run.trainer.learning_rate and run.compatible(hyper):
            run.trainer.set_learning_rate(hyper.learning_rate)
        if run.compatible(hyper):
            run.set_target(hyper.iterations)
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


@dataclass
class Finished:
    """A completed run, as shared between sessions: everything but the training data."""

    params: dict
    history: History
    snapshots: list
    scaler: object
    train_seconds: float


@st.cache_resource
def _shared() -> tuple[OrderedDict, threading.Lock]:
    """Results of finished runs, by settings: training is deterministic, so a class that trains
    the same network gets it once (classroom mode)."""
    return OrderedDict(), threading.Lock()


def shared_get(hyper: Hyper, source: str) -> Finished | None:
    store, lock = _shared()
    with lock:
        key = (repr(hyper), source)
        if key in store:
            store.move_to_end(key)
            return store[key]
    return None


def shared_put(hyper: Hyper, source: str, finished: Finished) -> None:
    store, lock = _shared()
    with lock:
        store[(repr(hyper), source)] = finished
        while len(store) > SHARED_RESULTS:
            store.popitem(last=False)


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
    # One script run at a time drives the trainer: with fast reruns an interrupted run may still be
    # finishing its chunk when the next one (e.g. after Pause) starts.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    fastest_iteration: float | None = None  # seconds, the best seen; sizes live-training chunks

    def compatible(self, hyper: Hyper) -> bool:
        """True when `hyper` differs from this run at most in learning rate and iterations."""
        a, b = self.hyper, hyper
        return (a.digits, a.hidden, a.seed, a.dtype, a.scaling) == (b.digits, b.hidden, b.seed, b.dtype, b.scaling)

    @property
    def iteration(self) -> int:
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

    def get_snapshots(self) -> list:
        return self.trainer.snapshots if self.trainer is not None else self.snapshots


def snapshot_plan(hyper: Hyper) -> tuple[int, int]:
    """(snapshot_every, max_snapshots) so that the replay costs at most SNAPSHOT_BUDGET bytes."""
    per = hyper.hidden * 784 * np.dtype(hyper.dtype).itemsize
    most = int(max(8, min(60, SNAPSHOT_BUDGET // per)))
    return max(1, math.ceil(hyper.iterations / most)), most


def eval_every(hyper: Hyper) -> int:
    return max(1, hyper.iterations // 100)


def new_run(hyper: Hyper) -> Run | None:
    """A fresh run from the current settings (parameters at their initial values)."""
    pair = app_data.pair(hyper.digits)
    if pair is None:
        return None
    every, most = snapshot_plan(hyper)
    trainer = Trainer(pair, hyper, eval_every=eval_every(hyper), snapshot_every=every, max_snapshots=most)
    trainer.evaluate_now()
    run = Run(hyper, pair.source, trainer)
    st.session_state["run"] = run
    return run


def get_run() -> Run | None:
    return st.session_state.get("run")


def start_training() -> None:
    """Train button: continue a compatible run, else start anew; reuse a shared result when one exists."""
    hyper = settings()
    run = get_run()
    if run is None or run.status in ("uploaded", "diverged") or not run.compatible(hyper):
        run = None
    elif run.trainer is None:
        _attach_trainer(run)
    if run is None or (run.iteration == 0 and run.status == "ready"):
        source = _data_source()
        shared = shared_get(hyper, source) if source else None
        if shared is not None:
            _adopt(hyper, source, shared)
            return
        run = new_run(hyper)
        if run is None:
            return
    run.set_target(hyper.iterations)
    if run.trainer.learning_rate != hyper.learning_rate:
        run.trainer.set_learning_rate(hyper.learning_rate)
        run.lr_changed = True
    run.status = "running" if run.iteration < run.target else "done"
    run.started = time.perf_counter()


def _data_source() -> str | None:
    p = app_data.pair(settings().digits)
    return p.source if p is not None else None


def _adopt(hyper: Hyper, source: str, f: Finished) -> None:
    model = Model({k: v.copy() for k, v in f.params.items()}, f.scaler, hyper, hyper.iterations)
    st.session_state["run"] = Run(hyper, source, None, "done", model, f.history, list(f.snapshots), from_shared=True)


def _attach_trainer(run: Run) -> None:
    """Give a shared result a trainer of its own, so that Step and more iterations continue from it."""
    pair = app_data.pair(run.hyper.digits)
    if pair is None or run.model is None:
        return
    every, most = snapshot_plan(run.hyper)
    trainer = Trainer(pair, run.hyper, eval_every=eval_every(run.hyper), snapshot_every=every, max_snapshots=most)
    trainer.restore(run.model.params, run.model.iteration, run.history, run.snapshots)
    run.trainer = trainer


def pause() -> None:
    """Stop live training after the iteration in flight, and wait for it so what is shown is final."""
    run = get_run()
    if run and run.status == "running":
        run.status = "paused"
        if run.lock.acquire(timeout=5):
            run.lock.release()


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
    if run.trainer.learning_rate != hyper.learning_rate:
        run.trainer.set_learning_rate(hyper.learning_rate)
    with run.lock:
        if run.iteration + n > run.target:
            run.set_target(run.iteration + n)
            st.session_state["hyper"] = settings().replace(iterations=run.target)
        run.status = "paused"
        run.trainer.run(n)
        _after_chunk(run)


def reset() -> None:
    st.session_state.pop("run", None)
    new_run(settings())


def advance(run: Run, seconds: float = CHUNK_SECONDS) -> None:
    """One chunk of live training (the Train page calls it between redraws). It never turns a paused
    run back on: only start_training does; and it skips if another script run holds the trainer.

    A chunk is `seconds` of wall time, but never less work than `seconds` would buy on an idle
    machine: when many sessions train at once, each redraws less often instead of spending the
    cores on redraws (a redraw costs about as much as a few iterations)."""
    if not run.lock.acquire(blocking=False):
        return
    try:
        if run.status != "running":
            return
        t, keep_going = run.trainer, (lambda _t: run.status == "running")  # Pause stops it mid-chunk
        start, before = time.perf_counter(), t.iteration
        if run.fastest_iteration:
            t.run(min(run.target - t.iteration, max(1, int(0.6 * seconds / run.fastest_iteration))),
                  callback=keep_going)
        left = seconds - (time.perf_counter() - start)
        if left > 0 and run.status == "running" and t.iteration < run.target and not t.diverged:
            t.run(run.target - t.iteration, seconds=left, callback=keep_going)
        if t.iteration > before:
            per = (time.perf_counter() - start) / (t.iteration - before)
            run.fastest_iteration = min(run.fastest_iteration or per, per)
        _after_chunk(run)
    finally:
        run.lock.release()


def _after_chunk(run: Run) -> None:
    t = run.trainer
    if t.diverged:
        run.status = "diverged"
    elif t.iteration >= run.target:
        t.evaluate_now()
        run.status = "done"
        _finish(run)


def _finish(run: Run) -> None:
    """Remember a finished run for comparison, and share it if it is a plain run of its settings."""
    t = run.trainer
    h = t.history
    finished = st.session_state.setdefault("finished", [])
    label = (f"n1={run.hyper.hidden} lr={t.learning_rate:g} it={t.iteration} seed={run.hyper.seed} "
             f"{run.hyper.digits[0]}v{run.hyper.digits[1]} {run.hyper.dtype} {run.hyper.scaling}")
    finished.append({"label": label, "iteration": list(h.iteration), "train_cost": list(h.train_cost),
                     "eval_iteration": list(h.eval_iteration), "test_accuracy": list(h.test_accuracy)})
    del finished[:-MAX_FINISHED]
    plain = all(lr == run.hyper.learning_rate for lr in h.learning_rate) and t.iteration == run.hyper.iterations
    if plain and not run.from_shared:
        shared_put(run.hyper, run.source, Finished(t.current_params(), _copy_history(h), list(t.snapshots),
                                                   t.scaler, t.train_seconds))


def _copy_history(h: History) -> History:
    return History(**{k: list(v) for k, v in vars(h).items()})


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
    key = (run.id, run.iteration, run.status == "uploaded")
    cached = st.session_state.get("_view")
    if cached is not None and cached[0] == key:
        return cached[1]
    if run.trainer is not None:
        params, scaler = run.trainer.current_params(), run.trainer.scaler
    else:
        params, scaler = run.model.params, run.model.scaler
    pair = app_data.pair(run.hyper.digits)
    X_test = evaluation = None
    if pair is not None:
        X_test = scaler.transform(pair.x_test, params["W1"].dtype)
        evaluation = evaluate(params, X_test, pair.y_test)
    view = View(params, scaler, run.hyper, run.iteration, run.get_history(), run.get_snapshots(), pair,
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
    st.session_state["run"] = Run(hyper, "uploaded model", None, "uploaded", model, None, [])
    try:
        _check_ui_range(hyper)
    except ConfigError:
        return None  # a valid model the sliders cannot show (e.g. 5 hidden neurons): keep the sliders as they are
    st.session_state["hyper"] = hyper
    sync_url()
    return None

