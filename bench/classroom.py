"""Classroom load on the SERVER: N students' sessions driven by bench/wsclient.py (Streamlit's websocket
protocol, no browser), with the server's CPU and memory measured apart from its training process.

    python bench/classroom.py --sessions 10                       # starts its own server on 127.0.0.1
    python bench/classroom.py --sessions 30 --phases cold,distinct --timeout 240
    python bench/classroom.py --url http://127.0.0.1:8501 [--pid PID] --sessions 10
    python bench/classroom.py --soak 40                            # phase `soak` with 40 sessions
    python bench/classroom.py --compare-chromium 3                 # ws client against real Chromium

Phases (--phases, in this order; default one,same,cold,distinct):
  one       1 session, a seed nobody trained: open Train, press Train, wait for `Test error rate`
  same      N sessions, the settings `one` trained (classroom sharing hands them the finished run)
  cold      N sessions open Train on ONE new seed; when all are drawn they press Train within 1 s
  distinct  N sessions, N new seeds; meanwhile one more session opens Home (its time to a drawn page)
  soak      M sessions one after another (--soak M): open Train, train their own seed at n1=20 for
            200 iterations, leave. RSS after the first 10 and, at the end, after the server's
            disconnectedSessionTTL (--session-ttl, passed to a server this script starts).
Per phase: sessions, ok, click-to-result min/median/max (the click until the metric is shown and the
script is idle), wall time, CPU seconds and peak RSS of the Streamlit process and of its child processes
(the training process) apart, fragment runs (auto-rerun ticks sent / fragment runs started / finished /
ended early), and the client's own CPU. Then the ratios, from the same run. Last line: JSON.

Every wait has a timeout (--timeout, per wait); sessions that time out count as not ok and the rest is
reported. A server this script starts is stopped at the end (its process group).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load
from bench.wsclient import MAX_SESSIONS, ProtocolError, Session, check_loopback, own_cpu

REPO = Path(__file__).resolve().parents[1]
RESULT = "Test error rate"
HOME_TITLE = "see a neural network learn"
TRAIN_KEY = "b_train"
SHARED_NOTE = "result shared by an identical earlier run"
PHASES = ("one", "same", "cold", "distinct", "soak")
CHROMIUM = os.environ.get("SSNN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def query(seed: int, n1: int = 10, iters: int = 500) -> str:
    return f"digits=0-1&n1={n1}&lr=0.5&iters={iters}&seed={seed}&dtype=float32&scaling=safe"


# ------------------------------------------------------------------ the server and its measurement


class Server(load.Server):
    """bench/load.py's server, with a session TTL (so that the soak need not wait 2 minutes) and the
    app's own counters written to a file (ssnn_app/diagnostics.py: what the server and its training
    process keep)."""

    def __init__(self, port: int | None = None, session_ttl: float | None = None, env: dict | None = None):
        env = dict(load.default_env() if env is None else env)
        ttl = [] if session_ttl is None else ["--server.disconnectedSessionTTL", str(int(session_ttl))]
        super().__init__(port, env, ttl)
        self.session_ttl = session_ttl
        self.stats_path = self.log_path.with_suffix(".stats.json")
        self.env["SSNN_STATS_FILE"] = str(self.stats_path)

    def start(self, timeout: float = 90.0) -> str:
        return super().start(timeout)


class Meter(threading.Thread):
    """Every `every` s: CPU and RSS of the server process and, apart, of its children (recursive).
    A child that ends keeps the CPU it was last seen with; peaks are since the last mark()."""

    def __init__(self, pid: int, every: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.psutil = psutil
        self.proc = psutil.Process(pid)
        self.every = every
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._child_cpu: dict[int, float] = {}   # pid -> last CPU seen (ended children stay)
        self._children: dict[int, object] = {}
        self.server_rss = self.child_rss = 0
        self.own_cpu = 0.0
        self.peak_server = self.peak_child = 0
        self.sample()
        self.mark()

    def sample(self) -> None:
        ps = self.psutil
        try:
            t = self.proc.cpu_times()
            server_cpu = t.user + t.system
            server_rss = self.proc.memory_info().rss
            kids = self.proc.children(recursive=True)
        except ps.Error:
            return
        child_rss = 0
        for k in kids:
            p = self._children.setdefault(k.pid, k)
            try:
                ct = p.cpu_times()
                self._child_cpu[k.pid] = ct.user + ct.system
                child_rss += p.memory_info().rss
            except ps.Error:
                pass
        with self._lock:
            self.server_cpu = server_cpu
            self.server_rss, self.child_rss = server_rss, child_rss
            self.peak_server = max(self.peak_server, server_rss)
            self.peak_child = max(self.peak_child, child_rss)

    def run(self) -> None:
        while not self._halt.wait(self.every):
            self.sample()
            self.own_cpu = time.thread_time()   # this thread's CPU: reported apart from the ws client's

    def machine_cpu(self) -> float:
        """CPU seconds every process on the machine used so far (to see other work sharing the cores)."""
        t = self.psutil.cpu_times()
        return sum(getattr(t, k, 0.0) for k in ("user", "nice", "system", "irq", "softirq", "steal"))

    def cpu(self) -> tuple[float, float]:
        self.sample()
        with self._lock:
            return self.server_cpu, sum(self._child_cpu.values())

    def mark(self) -> None:
        self.sample()
        with self._lock:
            self.peak_server, self.peak_child = self.server_rss, self.child_rss

    def stop(self) -> None:
        self._halt.set()
        self.join(2)


# ------------------------------------------------------------------ one student


@dataclass
class Student:
    name: str
    query: str
    open_s: float | None = None       # connect -> the first page run finished
    shown_s: float | None = None      # click -> `Test error rate` in the element tree
    result_s: float | None = None     # click -> shown and the script idle (the click-to-result figure)
    value: str | None = None          # the metric's value
    shared: bool = False
    error: str | None = None
    stats: dict = field(default_factory=dict)


def _stats(s: Session) -> dict:
    st = s.stats
    return {"msgs_in": st.msgs_in, "kb_in": round(st.bytes_in / 1024, 1), "ticks_sent": st.fragment_reruns_sent,
            "frag_started": st.runs_started["fragment"], "full_started": st.runs_started["full"],
            "frag_finished": st.runs_finished["FINISHED_FRAGMENT_RUN_SUCCESSFULLY"],
            "full_finished": st.runs_finished["FINISHED_SUCCESSFULLY"],
            "early": st.runs_finished["FINISHED_EARLY_FOR_RERUN"], "cache_hits": st.cache_hits}


async def _result(s: Session, who: Student, t0: float, timeout: float) -> None:
    await s.wait_for(lambda: s.metric(RESULT) is not None or bool(s.errors), timeout, f"`{RESULT}`")
    if s.metric(RESULT) is None:
        raise ProtocolError(s.errors[0])
    who.shown_s = time.perf_counter() - t0
    await s.wait_for(lambda: not s.script_running and s.metric(RESULT) is not None, timeout, "the script idle")
    who.result_s = time.perf_counter() - t0
    who.value = s.metric(RESULT)
    who.shared = s.has_text(SHARED_NOTE)


async def student(url: str, name: str, q: str, timeout: float, *, ready: asyncio.Event | None = None,
                  go: asyncio.Event | None = None, click_delay: float = 0.0, opened: list | None = None) -> Student:
    """Open Train with `q`, (wait for `go`), press Train, wait for the result. Never raises."""
    who = Student(name, q)
    stage = "open"
    s = Session(url, name, timeout)
    try:
        t0 = time.perf_counter()
        await s.open("/Train", q)
        who.open_s = time.perf_counter() - t0
        if opened is not None:
            opened.append(name)
        if ready is not None:
            ready.set()
        if go is not None:
            await asyncio.wait_for(go.wait(), timeout)
        if click_delay:
            await asyncio.sleep(click_delay)
        stage = "train"
        t0 = time.perf_counter()
        await s.click(TRAIN_KEY)
        await _result(s, who, t0, timeout)
        if s.errors:
            who.error = s.errors[0]
    except (TimeoutError, ProtocolError, OSError) as exc:
        who.error = f"{stage}: {exc}"[:300] or f"{stage}: {type(exc).__name__}"
    except Exception as exc:  # noqa: BLE001
        who.error = f"{stage}: {type(exc).__name__}: {exc}"[:300]
    finally:
        who.stats = _stats(s)
        await s.close()
    return who


async def home_visit(url: str, timeout: float) -> tuple[float | None, str | None]:
    """Open Home in a new session: (seconds until drawn, None) or (None, what went wrong). Never raises."""
    h = Session(url, "home", timeout)
    try:
        t0 = time.perf_counter()
        await h.open("/", "")
        if not h.has_text(HOME_TITLE):
            return None, f"Home drawn without {HOME_TITLE!r}"
        return time.perf_counter() - t0, None
    except (TimeoutError, ProtocolError, OSError) as exc:
        return None, str(exc)[:200]
    finally:
        await h.close()


# ------------------------------------------------------------------ phases


@dataclass
class Phase:
    name: str
    students: list
    wall_s: float
    server_cpu: float
    child_cpu: float
    server_peak_mb: float
    child_peak_mb: float
    client_cpu: float
    extra: dict = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return sum(1 for s in self.students if s.error is None and s.result_s is not None)

    def times(self) -> list:
        return [s.result_s for s in self.students if s.result_s is not None]

    def summary(self) -> dict:
        t = self.times()
        agg = {k: sum(s.stats.get(k, 0) for s in self.students)
               for k in ("ticks_sent", "frag_started", "frag_finished", "early", "full_started", "msgs_in")}
        return {"phase": self.name, "sessions": len(self.students), "ok": self.ok,
                "shared": sum(s.shared for s in self.students),
                "min_s": _r(min(t)) if t else None, "median_s": _r(statistics.median(t)) if t else None,
                "max_s": _r(max(t)) if t else None,
                "open_median_s": (_r(statistics.median(o))
                                  if (o := [s.open_s for s in self.students if s.open_s]) else None),
                "wall_s": _r(self.wall_s), "server_cpu_s": _r(self.server_cpu), "child_cpu_s": _r(self.child_cpu),
                "server_peak_mb": round(self.server_peak_mb, 1), "child_peak_mb": round(self.child_peak_mb, 1),
                "client_cpu_s": _r(self.client_cpu), "values": sorted({s.value for s in self.students if s.value}),
                "fragment_runs": agg, **self.extra,
                "errors": [f"{s.name}: {s.error}" for s in self.students if s.error]}


def _r(x):
    return None if x is None else round(x, 2)


def read_counters(path: Path | None) -> dict | str:
    """The app's counters (SSNN_STATS_FILE), or why there are none."""
    if path is None:
        return "not known for a server this script did not start"
    try:
        c = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return f"unreadable ({type(exc).__name__})"
    tp = c.get("training_process", {})
    return {"server_runs": c.get("server_runs"), "active_runs": c.get("active_runs"),
            "shared_finished": c.get("classroom", {}).get("finished"),
            "trainers": tp.get("runs"), "training_sets": tp.get("sets"), "pairs": tp.get("pairs"),
            "set_mb": round(tp.get("set_bytes", 0) / 2**20, 1), "sets_made": tp.get("sets_made")}


class Bench:
    def __init__(self, url: str, meter, sessions: int, timeout: float, seed_base: int, stats_path: Path | None = None):
        self.url, self.meter, self.n, self.timeout = url, meter, sessions, timeout
        self.stats_path = stats_path
        self.seed = seed_base          # seeds nobody trained on this server: base, base+1, ...
        self.one_seed: int | None = None

    def new_seed(self) -> int:
        self.seed += 1
        return self.seed

    async def measured(self, name: str, coro) -> Phase:
        self.meter.mark()
        s0, c0 = self.meter.cpu()
        k0, m0, meter0 = own_cpu(), self.meter.machine_cpu(), self.meter.own_cpu
        t0 = time.perf_counter()
        students, extra = await coro
        wall = time.perf_counter() - t0
        await asyncio.sleep(0.3)  # the last reruns settle before the CPU clocks are read
        s1, c1 = self.meter.cpu()
        k1, m1 = own_cpu(), self.meter.machine_cpu()
        extra["meter_cpu_s"] = _r(self.meter.own_cpu - meter0)   # psutil sampling, inside client CPU
        # CPU of everything else on the machine in the meantime (other jobs sharing the 2 cores)
        extra["other_cpu_s"] = _r(max(0.0, (m1 - m0) - (s1 - s0) - (c1 - c0) - (k1 - k0)))
        return Phase(name, students, wall, s1 - s0, c1 - c0, self.meter.peak_server / 2**20,
                     self.meter.peak_child / 2**20, k1 - k0, extra)

    async def gather(self, jobs) -> list:
        # each student bounds every wait by self.timeout; this bounds the whole phase as well
        return list(await asyncio.wait_for(asyncio.gather(*jobs), 3 * self.timeout + 60))

    async def warm_up(self) -> None:
        s = Session(self.url, "warm", self.timeout)
        try:
            await s.open("/Train", query(self.new_seed()))
        finally:
            await s.close()

    async def one(self):
        self.one_seed = self.new_seed()
        return [await student(self.url, "one-1", query(self.one_seed), self.timeout)], {}

    async def same(self):
        if self.one_seed is None:
            self.one_seed = self.new_seed()
            await student(self.url, "same-pre", query(self.one_seed), self.timeout)
        q = query(self.one_seed)
        return await self.gather([student(self.url, f"same-{i + 1}", q, self.timeout) for i in range(self.n)]), {}

    async def cold(self):
        q = query(self.new_seed())
        go = asyncio.Event()
        opened: list = []
        jobs = [asyncio.create_task(student(self.url, f"cold-{i + 1}", q, self.timeout, go=go,
                                            click_delay=i / self.n, opened=opened)) for i in range(self.n)]
        t0 = time.perf_counter()
        deadline = time.monotonic() + self.timeout
        while len(opened) < self.n and time.monotonic() < deadline and not all(j.done() for j in jobs):
            await asyncio.sleep(0.05)
        drawn_s = time.perf_counter() - t0
        go.set()   # everyone drawn: the clicks come within one second (i/N s apart)
        out = await self.gather(jobs)
        return out, {"drawn_before_clicks": f"{len(opened)} of {self.n} in {drawn_s:.1f} s"}

    async def distinct(self):
        qs = [query(self.new_seed()) for _ in range(self.n)]
        opened: list = []
        jobs = [asyncio.create_task(student(self.url, f"distinct-{i + 1}", q, self.timeout, opened=opened))
                for i, q in enumerate(qs)]
        deadline = time.monotonic() + self.timeout
        while len(opened) < self.n and time.monotonic() < deadline and not all(j.done() for j in jobs):
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # the trainings are under way: now a visitor opens Home
        home_s, home_err = await home_visit(self.url, self.timeout)
        out = await self.gather(jobs)
        return out, {"home_s": _r(home_s), "home_error": home_err}

    async def soak(self, m: int, ttl: float | None):
        out, extra = [], {}
        for i in range(m):
            out.append(await student(self.url, f"soak-{i + 1}", query(self.new_seed(), n1=20, iters=200), self.timeout))
            if i + 1 == min(10, m):
                await asyncio.sleep(2.5)   # the counters file is written every 2 s
                self.meter.sample()
                extra["rss_after_10_mb"] = {"server": round(self.meter.server_rss / 2**20, 1),
                                            "child": round(self.meter.child_rss / 2**20, 1)}
                extra["counters_after_10"] = read_counters(self.stats_path)
        self.meter.sample()
        extra["rss_end_mb"] = {"server": round(self.meter.server_rss / 2**20, 1),
                               "child": round(self.meter.child_rss / 2**20, 1)}
        extra["counters_end"] = read_counters(self.stats_path)
        if ttl is not None:
            # closed sessions are dropped after the TTL; the app collects garbage (and so lets go of their
            # runs) when a page opens, at most every 30 s: open Home twice, 31 s apart, as visitors would
            await asyncio.sleep(ttl + 5)
            for _ in range(2):
                await home_visit(self.url, self.timeout)
                await asyncio.sleep(31)
            self.meter.sample()
            extra[f"rss_after_ttl_{int(ttl)}s_mb"] = {"server": round(self.meter.server_rss / 2**20, 1),
                                                     "child": round(self.meter.child_rss / 2**20, 1)}
            extra["counters_after_ttl"] = read_counters(self.stats_path)
        else:
            extra["rss_after_ttl"] = "unknown TTL (--url): not waited"
        return out, extra


def ratios(phases: dict, n: int) -> dict:
    out = {}
    one = phases.get("one")
    one_t = one.summary()["median_s"] if one else None
    cold, dist = phases.get("cold"), phases.get("distinct")
    if one and one_t and cold and cold.summary()["median_s"] is not None:
        out["cold_median_over_one"] = round(cold.summary()["median_s"] / one_t, 2)
        one_cpu = one.server_cpu + one.child_cpu
        if one_cpu > 0:
            out["cold_cpu_over_one"] = round((cold.server_cpu + cold.child_cpu) / one_cpu, 2)
    if one and one_t and dist:
        out["distinct_wall_over_n_one"] = round(dist.wall_s / (len(dist.students) * one_t), 2)
    if dist and dist.summary()["median_s"] is not None:
        out["distinct_median_over_wall"] = round(dist.summary()["median_s"] / dist.wall_s, 2)
    return out


def format_table(rows: list, ratio: dict) -> str:
    head = (f"{'phase':<9}{'sess':>5}{'ok':>4}{'shr':>4} {'click-to-result s min/med/max':>30}{'wall s':>8}"
            f"{'srv CPU':>8}{'child CPU':>10}{'srv MB':>8}{'child MB':>9}{'client CPU':>11}"
            "  frag ticks/started/done/early")
    lines = [head, "-" * len(head)]
    for p in rows:
        t = "/".join(f"{p[k]:.1f}" for k in ("min_s", "median_s", "max_s")) if p["min_s"] is not None else "-"
        f = p["fragment_runs"]
        lines.append(f"{p['phase']:<9}{p['sessions']:>5}{p['ok']:>4}{p['shared']:>4} {t:>30}{p['wall_s']:>8.1f}"
                     f"{p['server_cpu_s']:>8.1f}{p['child_cpu_s']:>10.1f}{p['server_peak_mb']:>8.0f}{p['child_peak_mb']:>9.0f}"
                     f"{p['client_cpu_s']:>11.2f}  "
                     f"{f['ticks_sent']}/{f['frag_started']}/{f['frag_finished']}/{f['early']}")
    for p in rows:
        for k in ("other_cpu_s", "meter_cpu_s", "drawn_before_clicks", "home_s", "home_error", "rss_after_10_mb",
                  "counters_after_10", "rss_end_mb", "counters_end", "counters_after_ttl"):
            if p.get(k) is not None:
                lines.append(f"  [{p['phase']}] {k}: {p[k]}")
        for k, v in p.items():
            if k.startswith("rss_after_ttl"):
                lines.append(f"  [{p['phase']}] {k}: {v}")
        if p["values"]:
            lines.append(f"  [{p['phase']}] {RESULT} values: {', '.join(p['values'][:6])}"
                         + (" ..." if len(p["values"]) > 6 else ""))
        for e in p["errors"][:8]:
            lines.append(f"  [{p['phase']}] error {e}")
        if len(p["errors"]) > 8:
            lines.append(f"  [{p['phase']}] ... {len(p['errors']) - 8} more errors")
    if ratio:
        lines.append("ratios: " + " · ".join(f"{k} {v}" for k, v in ratio.items()))
    return "\n".join(lines)


async def run_phases(url: str, pid: int, names: tuple, n: int, soak_m: int, timeout: float, ttl: float | None,
                     log=print, stats_path: Path | None = None) -> dict:
    meter = Meter(pid)
    meter.start()
    bench = Bench(url, meter, n, timeout, 200_000 + int(time.time()) % 100_000 * 20, stats_path)
    done: dict[str, Phase] = {}
    try:
        await bench.warm_up()
        for name in names:
            log(f"phase {name} ...", file=sys.stderr)
            coro = bench.soak(soak_m, ttl) if name == "soak" else getattr(bench, name)()
            done[name] = await bench.measured(name, coro)
            log(format_table([done[name].summary()], {}), file=sys.stderr)
    finally:
        meter.stop()
    rows = [p.summary() for p in done.values()]
    return {"url": url, "server_pid": pid, "sessions": n, "timeout_s": timeout, "phases": rows,
            "ratios": ratios(done, n), "per_session": {k: [asdict(s) for s in p.students] for k, p in done.items()}}


# ------------------------------------------------------------------ ws client against Chromium


async def chromium_student(browser, url: str, q: str, timeout: float) -> Student:
    who = Student("chromium", q)
    ms = timeout * 1000
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
    stage = "open"
    try:
        page = await ctx.new_page()
        t0 = time.perf_counter()
        await page.goto(f"{url}/Train?{q}", timeout=ms)
        await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=ms)
        button = page.get_by_role("button", name="▶ Train", exact=True)
        await button.wait_for(timeout=ms)
        who.open_s = time.perf_counter() - t0
        stage = "train"
        t0 = time.perf_counter()
        await button.click(timeout=ms)
        metric = page.locator('[data-testid="stMetric"]', has_text=RESULT).first
        await metric.wait_for(timeout=ms)
        who.shown_s = time.perf_counter() - t0
        await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=ms)
        who.result_s = time.perf_counter() - t0
        text = " ".join((await metric.inner_text()).split())
        who.value = text.replace(RESULT, "").strip()
        if await page.locator('[data-testid="stException"]').count():
            who.error = "exception on page"
    except Exception as exc:  # noqa: BLE001
        who.error = f"{stage}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
    finally:
        try:
            await asyncio.wait_for(ctx.close(), 30)
        except Exception:  # noqa: BLE001
            pass
    return who


def _browser_cpu(exclude: set) -> float:
    """CPU of this process's descendants outside the server tree (Playwright's driver and Chromium)."""
    import psutil

    total = 0.0
    for p in psutil.Process().children(recursive=True):
        if p.pid in exclude:
            continue
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def compare_group(kind: str, url: str, pid: int, seeds: list, timeout: float) -> dict:
    meter = Meter(pid)
    meter.start()
    try:
        qs = [query(s) for s in seeds]
        if kind == "ws":
            w = Session(url, "warm", timeout)
            try:
                await w.open("/Train", query(seeds[0] + 10_000))
            finally:
                await w.close()
            meter.mark()
            s0, c0 = meter.cpu()
            k0, t0 = own_cpu(), time.perf_counter()
            out = await asyncio.gather(*[student(url, f"ws-{i + 1}", q, timeout) for i, q in enumerate(qs)])
            wall = time.perf_counter() - t0
            await asyncio.sleep(0.3)
            s1, c1 = meter.cpu()
            client = own_cpu() - k0
        else:
            from playwright.async_api import async_playwright

            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    warm = await chromium_student(browser, url, query(seeds[0] + 10_000), timeout)
                    del warm
                    server_tree = {pid, *(p.pid for p in meter.proc.children(recursive=True))}
                    meter.mark()
                    s0, c0 = meter.cpu()
                    k0, b0, t0 = own_cpu(), _browser_cpu(server_tree), time.perf_counter()
                    out = await asyncio.gather(*[chromium_student(browser, url, q, timeout) for q in qs])
                    wall = time.perf_counter() - t0
                    await asyncio.sleep(0.3)
                    s1, c1 = meter.cpu()
                    client = own_cpu() - k0 + _browser_cpu(server_tree) - b0
                finally:
                    await browser.close()
    finally:
        meter.stop()
    n = len(seeds)
    t = [s.result_s for s in out if s.result_s is not None]
    return {"client": kind, "sessions": n, "ok": sum(1 for s in out if s.error is None and s.result_s),
            "values": [s.value for s in out], "errors": [s.error for s in out if s.error],
            "click_to_result_s": [_r(s.result_s) for s in out], "median_s": _r(statistics.median(t)) if t else None,
            "wall_s": _r(wall), "server_cpu_per_session": _r((s1 - s0) / n), "child_cpu_per_session": _r((c1 - c0) / n),
            "server_plus_child_per_session": _r((s1 - s0 + c1 - c0) / n), "client_cpu_s": _r(client),
            "server_peak_mb": round(meter.peak_server / 2**20, 1)}


def compare(n: int, timeout: float, url: str | None, pid: int | None, ttl: float | None, port: int | None) -> dict:
    seeds = [300_000 + int(time.time()) % 100_000 * 10 + i for i in range(n)]
    groups = []
    for kind in ("ws", "chromium"):
        if url:   # one server for both: different seeds, the same work per session
            s = [x + (0 if kind == "ws" else 5) for x in seeds]
            groups.append(asyncio.run(compare_group(kind, url, pid, s, timeout)))
            continue
        server = Server(port, ttl)   # a fresh server per client kind: the same seeds, the same trainings
        try:
            server.start()
            print(f"{kind}: server {server.url} pid {server.pid}", file=sys.stderr)
            groups.append(asyncio.run(compare_group(kind, server.url, server.pid, seeds, timeout)))
        finally:
            server.stop()
    ws, ch = groups
    agree = {}
    for k in ("server_cpu_per_session", "child_cpu_per_session", "server_plus_child_per_session", "median_s"):
        if ws.get(k) and ch.get(k):
            agree[f"{k}_ws_over_chromium"] = round(ws[k] / ch[k], 2)
    agree["same_values"] = ws["values"] == ch["values"]
    return {"compare_chromium": groups, "agreement": agree}


def format_compare(r: dict) -> str:
    lines = [f"{'client':<9}{'ok':>4}{'median s':>9}{'wall s':>8}{'srv CPU/sess':>13}{'child/sess':>11}"
             f"{'sum/sess':>9}{'client CPU':>11}  {RESULT}"]
    for g in r["compare_chromium"]:
        lines.append(f"{g['client']:<9}{g['ok']:>4}{g['median_s'] or 0:>9.2f}{g['wall_s']:>8.1f}"
                     f"{g['server_cpu_per_session']:>13.2f}{g['child_cpu_per_session']:>11.2f}"
                     f"{g['server_plus_child_per_session']:>9.2f}{g['client_cpu_s']:>11.1f}  "
                     f"{', '.join(map(str, g['values']))}")
        for e in g["errors"]:
            lines.append(f"  error [{g['client']}] {e}")
    lines.append("agreement (ws / chromium): " + " · ".join(f"{k} {v}" for k, v in r["agreement"].items()))
    return "\n".join(lines)


# ------------------------------------------------------------------ command line


class Args(argparse.ArgumentParser):
    def error(self, message):   # one line, exit 2
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv=None) -> int:
    ap = Args(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=10, help="N concurrent sessions (default 10)")
    ap.add_argument("--phases", default=None, help=f"comma-separated subset of {','.join(PHASES)} "
                                                   "(default one,same,cold,distinct; plus soak with --soak)")
    ap.add_argument("--soak", type=int, default=0, metavar="M", help="sessions of the soak phase, one after another")
    ap.add_argument("--url", help="a running ssnn server on 127.0.0.1 (default: start one)")
    ap.add_argument("--pid", type=int, help="with --url: the server's PID (default: found by its port)")
    ap.add_argument("--port", type=int, help="port for the server this script starts (default: a free one)")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds any one wait may take (default 240)")
    ap.add_argument("--session-ttl", type=float, default=10.0,
                    help="server.disconnectedSessionTTL of a server this script starts (default 10 s)")
    ap.add_argument("--compare-chromium", type=int, default=0, metavar="K",
                    help="instead of the phases: K ws sessions and K Chromium pages, a fresh seed each")
    ap.add_argument("--json-out", type=Path, help="also write the JSON report here")
    a = ap.parse_args(argv)
    if a.phases is None:
        names = ("one", "same", "cold", "distinct") + (("soak",) if a.soak else ())
    else:
        names = tuple(p.strip() for p in a.phases.split(",") if p.strip())
    bad = [p for p in names if p not in PHASES]
    if bad:
        ap.error(f"unknown phase {bad[0]!r} (phases: {', '.join(PHASES)})")
    if not names:
        ap.error("--phases is empty")
    if not 1 <= a.sessions <= min(MAX_SESSIONS - 2, 100):
        ap.error("--sessions must be in 1..100")
    if "soak" in names and not 1 <= a.soak <= 1000:
        ap.error("phase soak needs --soak M with M in 1..1000")
    if not 1 <= a.timeout <= 3600:
        ap.error("--timeout must be in 1..3600 seconds")
    if a.port is not None and not 1024 <= a.port <= 65535:
        ap.error("--port must be in 1024..65535")
    if a.compare_chromium and not 1 <= a.compare_chromium <= 10:
        ap.error("--compare-chromium K needs K in 1..10")
    if a.url:
        try:
            check_loopback(a.url)
        except ValueError as exc:
            ap.error(str(exc))
    if a.pid is not None and not a.url:
        ap.error("--pid goes with --url")
    pid = a.pid or (load.find_server_pid(a.url) if a.url else None)
    if a.url and pid is None:
        print("error: cannot find the server's PID from its port; give --pid", file=sys.stderr)
        return 2
    url = a.url.rstrip("/") if a.url else None

    if a.compare_chromium:
        if not Path(CHROMIUM).exists():
            print(f"error: no Chromium at {CHROMIUM} (apt-get install chromium, or set SSNN_CHROMIUM)", file=sys.stderr)
            return 1
        report = compare(a.compare_chromium, a.timeout, url, pid, a.session_ttl, a.port)
        print(format_compare(report))
        print(json.dumps(report, separators=(",", ":")))
        return 0 if all(g["ok"] == g["sessions"] for g in report["compare_chromium"]) else 1

    server = None
    try:
        if url is None:
            server = Server(a.port, a.session_ttl)
            url = server.start()
            pid = server.pid
            print(f"started streamlit at {url} (pid {pid}, disconnectedSessionTTL {a.session_ttl:g} s, "
                  f"log {server.log_path})", file=sys.stderr)
        ttl = a.session_ttl if server is not None else None
        report = asyncio.run(run_phases(url, pid, names, a.sessions, a.soak, a.timeout, ttl,
                                        stats_path=server.stats_path if server is not None else None))
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    print(f"ssnn classroom (ws client): {a.sessions} sessions, server {url} pid {pid}")
    print(format_table(report["phases"], report["ratios"]))
    line = json.dumps(report, separators=(",", ":"))
    if a.json_out:
        a.json_out.write_text(line + "\n")
    print(line)
    return 0 if all(p["ok"] == p["sessions"] for p in report["phases"]) else 1


if __name__ == "__main__":
    sys.exit(main())
