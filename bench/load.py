"""Classroom load: N headless Chromium sessions train the default network on one ssnn server at once.

    python bench/load.py --sessions 8                 # starts its own server on 127.0.0.1
    python bench/load.py --sessions 8 --url http://127.0.0.1:8501 [--pid PID]

One browser, one context (= one Streamlit session) per simulated student, driven concurrently with
Playwright's async API. Each session opens the Train page with the settings in the URL, waits until
it is drawn, chart included (as a person would before pressing anything), presses "▶ Train" and waits
for the final result (the "Test error rate" metric). Reported per phase: the median time for the page
to open and be drawn (`page s`), time from the click to the result per session, errors (exceptions
drawn on the page, timeouts), the server's resident memory (before / peak / after, sampled every
50 ms) and the CPU time the server used (user + system), the server counting with the training
process it starts (ssnn_app/trainproc.py).

Phases (in this order, each optional with --phases):
  one       one session trains: the CPU cost of a single training (after a warm-up page load)
  same      N sessions, the settings `one` just trained: classroom mode hands every session the
            finished run (training is deterministic, see ssnn_app/state.py start_training)
  cold      N sessions, identical settings nobody has trained yet, all pressing Train together: the
            first one trains, the others follow that run live (ssnn_app/state.py start_training)
  distinct  N sessions, a different seed each: nothing to share, N trainings
Prints a table and, last, one JSON line. Every wait has a timeout; a server it started is always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("SSNN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}

# Selectors that proved reliable with Streamlit 1.67 (see tests/browser/conftest.py).
APP = '[data-testid="stApp"]'
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'
METRIC = '[data-testid="stMetric"]'
CHART_DRAWN = '[data-testid="stPlotlyChart"] .main-svg'   # a Plotly chart, drawn
RESULT_LABEL = "Test error rate"
TRAIN_BUTTON = "▶ Train"
SHARED_NOTE = "result shared by an identical earlier run"
FOLLOW_NOTE = "watch this run"   # the status line of a run several sessions follow
STATUS_JS = """() => {
  for (const el of document.querySelectorAll('[data-testid="stMain"] [data-testid="stMarkdownContainer"]'))
    if (/Iteration \\d+ \\/ \\d+/.test(el.innerText)) return el.innerText;
  return ""; }"""   # the Train page's status line, read in one step (it is replaced on every redraw)


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_env() -> dict:
    env = dict(os.environ)
    if not env.get("SSNN_MNIST"):
        beside = REPO.parent / "shared" / "data" / "mnist.npz"
        if beside.exists():
            env["SSNN_MNIST"] = str(beside)
    return env


class Server:
    """`streamlit run app.py` on 127.0.0.1 in its own process group, log in a temp file."""

    def __init__(self, port: int | None = None, env: dict | None = None, extra: list | None = None):
        self.port = port or free_port()
        self.extra = list(extra or [])   # more `streamlit run` options
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env if env is not None else default_env()
        self.proc: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile("w+b", prefix="ssnn-streamlit-", suffix=".log", delete=False)
        self.log_path = Path(self._log.name)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> str:
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(self.port),
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *self.extra]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return self.url
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 80) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the server's process group (it and anything it started), SIGKILL if it lingers."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._log.close()

    def remove_log(self) -> None:
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def find_server_pid(url: str) -> int | None:
    """The PID listening on the URL's port (for --url without --pid); None if not visible."""
    import psutil

    port = int(url.rsplit(":", 1)[1].split("/")[0])
    try:
        for c in psutil.net_connections(kind="tcp"):
            if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid:
                return c.pid
    except (psutil.AccessDenied, PermissionError):
        return None
    return None


class Sampler(threading.Thread):
    """Samples the server's RSS every `every` seconds; `peak` since start or the last `mark()`.
    The server's own processes count together: Streamlit and the training process it starts."""

    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        import psutil

        self.proc = psutil.Process(pid)
        self.every = every
        self._halt = threading.Event()
        self.rss = self._rss()
        self.peak = self.peak_since_mark = self.rss

    def _tree(self) -> list:
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except Exception:  # noqa: BLE001 - the server is gone
            return []

    def _rss(self) -> int:
        total = 0
        for p in self._tree():
            try:
                total += p.memory_info().rss
            except Exception:  # noqa: BLE001 - a process that just ended
                pass
        return total

    def run(self) -> None:
        while not self._halt.wait(self.every):
            if not self.proc.is_running():
                return
            self.rss = self._rss()
            self.peak = max(self.peak, self.rss)
            self.peak_since_mark = max(self.peak_since_mark, self.rss)

    def mark(self) -> None:
        self.rss = self._rss()
        self.peak_since_mark = self.rss

    def cpu(self) -> float:
        """User + system CPU seconds of the server and its training process so far."""
        total = 0.0
        for p in self._tree():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except Exception:  # noqa: BLE001 - a process that just ended
                pass
        return total

    def stop(self) -> None:
        self._halt.set()
        self.join(2)


# ------------------------------------------------------------------ one student


@dataclass
class Session:
    name: str
    query: str
    load_s: float | None = None        # goto -> page idle and drawn (its chart too), as a person waits
    shown_s: float | None = None       # Train click -> "Test error rate" shown
    result_s: float | None = None      # Train click -> "Test error rate" shown and the script idle
    shared: bool = False               # the result came from classroom sharing
    followed: bool = False             # the session watched a run other sessions watched too
    final: str = ""                    # the status line at the end
    error: str | None = None
    js_errors: list = field(default_factory=list)


async def open_train_page(page, url: str, query: str, ms: float):
    """Open the Train page with `query` and wait until it is drawn, chart included, as a person would
    before pressing anything; -> the Train button."""
    await page.goto(f"{url}/Train?{query}", timeout=ms)
    await page.wait_for_selector(APP_IDLE, timeout=ms)
    await page.locator(CHART_DRAWN).first.wait_for(timeout=ms)
    button = page.get_by_role("button", name=TRAIN_BUTTON, exact=True)
    await button.wait_for(timeout=ms)
    return button


async def train_session(browser, url: str, query: str, name: str, timeout_s: float = 240.0,
                        screenshot: Path | None = None) -> Session:
    """Open the Train page with `query`, press Train, wait for the test error rate. Never raises."""
    s = Session(name, query)
    ms = timeout_s * 1000
    ctx = await browser.new_context(viewport=VIEWPORT)
    stage = "open"
    try:
        page = await ctx.new_page()
        page.on("pageerror", lambda exc: s.js_errors.append(str(exc)[:200]))
        t0 = time.perf_counter()
        button = await open_train_page(page, url, query, ms)
        s.load_s = time.perf_counter() - t0
        stage = "train"
        t0 = time.perf_counter()
        await button.click(timeout=ms)
        await page.locator(METRIC, has_text=RESULT_LABEL).first.wait_for(timeout=ms)
        s.shown_s = time.perf_counter() - t0
        await page.wait_for_selector(APP_IDLE, timeout=ms)
        s.result_s = time.perf_counter() - t0
        stage = "read"
        s.final = " ".join((await page.evaluate(STATUS_JS)).split())
        s.shared = SHARED_NOTE in s.final
        s.followed = FOLLOW_NOTE in s.final
        n_exc = await page.locator(EXCEPTION).count()
        if n_exc:
            s.error = "exception on page: " + " ".join((await page.locator(EXCEPTION).first.inner_text()).split())[:300]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(screenshot), full_page=True)
    except Exception as exc:  # noqa: BLE001 - a timeout or a crashed page: report it, keep the others going
        kind = "timeout" if "Timeout" in type(exc).__name__ else type(exc).__name__
        s.error = f"{kind} at {stage}: {str(exc).splitlines()[0][:200]}"
    finally:
        try:
            await asyncio.wait_for(ctx.close(), 30)
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
    return s


# ------------------------------------------------------------------ a phase: N students at once


@dataclass
class Phase:
    name: str
    sessions: list
    cpu_s: float
    wall_s: float
    rss_start: int
    rss_peak: int
    rss_end: int

    @property
    def ok(self) -> int:
        return sum(1 for s in self.sessions if s.error is None)

    @property
    def errors(self) -> list:
        return [f"{s.name}: {s.error}" for s in self.sessions if s.error] + \
               [f"{s.name}: JS {e}" for s in self.sessions for e in s.js_errors]

    def times(self) -> list:
        return [s.result_s for s in self.sessions if s.result_s is not None]

    def summary(self) -> dict:
        t = self.times()
        loads = [s.load_s for s in self.sessions if s.load_s is not None]
        return {"phase": self.name, "sessions": len(self.sessions), "ok": self.ok,
                "shared": sum(s.shared for s in self.sessions),
                "followed": sum(s.followed for s in self.sessions),
                "result_s_min": round(min(t), 2) if t else None,
                "result_s_median": round(statistics.median(t), 2) if t else None,
                "result_s_max": round(max(t), 2) if t else None,
                "load_s_median": round(statistics.median(loads), 2) if loads else None,
                "server_cpu_s": round(self.cpu_s, 2), "wall_s": round(self.wall_s, 2),
                "rss_start_mb": round(self.rss_start / 2**20, 1), "rss_peak_mb": round(self.rss_peak / 2**20, 1),
                "rss_end_mb": round(self.rss_end / 2**20, 1), "errors": self.errors}


def settings_query(hidden: int, iterations: int, seed: int, lr: float | None = None) -> str:
    q = f"n1={hidden}&iters={iterations}&seed={seed}"
    return q + (f"&lr={lr:g}" if lr is not None else "")


async def run_phase(browser, url: str, sampler: Sampler | None, name: str, queries: list,
                    timeout_s: float, shots: Path | None = None) -> Phase:
    if sampler is not None:
        sampler.mark()
        cpu0, rss0 = sampler.cpu(), sampler.rss
    t0 = time.perf_counter()
    jobs = [train_session(browser, url, q, f"{name}-{i + 1}", timeout_s,
                          (shots / f"load-{name}-{i + 1}.png") if shots and i == 0 else None)
            for i, q in enumerate(queries)]
    sessions = await asyncio.gather(*jobs)
    wall = time.perf_counter() - t0
    if sampler is None:
        return Phase(name, list(sessions), float("nan"), wall, 0, 0, 0)
    await asyncio.sleep(0.3)  # let the final reruns settle before reading the CPU clock
    return Phase(name, list(sessions), sampler.cpu() - cpu0, wall, rss0, sampler.peak_since_mark, sampler.rss)


async def warm_up(browser, url: str, timeout_s: float) -> None:
    """Load the data and the imports once (the first page view of a server), outside the measurements."""
    ctx = await browser.new_context(viewport=VIEWPORT)
    try:
        page = await ctx.new_page()
        await page.goto(f"{url}/Train", timeout=timeout_s * 1000)
        await page.wait_for_selector(APP_IDLE, timeout=timeout_s * 1000)
        await page.get_by_role("button", name=TRAIN_BUTTON, exact=True).wait_for(timeout=timeout_s * 1000)
    finally:
        await ctx.close()


async def run_load(url: str, pid: int | None, sessions: int, hidden: int = 10, iterations: int = 500,
                   seed: int = 561, phases=("one", "same", "cold", "distinct"), timeout_s: float = 240.0,
                   shots: Path | None = None) -> dict:
    """All the phases against one server; returns the report as a dict (see `report`)."""
    from playwright.async_api import async_playwright

    sampler = Sampler(pid) if pid else None
    if sampler is not None:
        sampler.start()
    rss_before = sampler.rss if sampler else None
    out: list[Phase] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                await warm_up(browser, url, timeout_s)
                # a seed base unlikely to have been trained on this server before (cold phases)
                base = 100_000 + int(time.time()) % 100_000 * 10
                plan = {"one": [settings_query(hidden, iterations, seed)],
                        "same": [settings_query(hidden, iterations, seed)] * sessions,
                        "cold": [settings_query(hidden, iterations, base)] * sessions,
                        "distinct": [settings_query(hidden, iterations, base + 1 + i) for i in range(sessions)]}
                for name in phases:
                    out.append(await run_phase(browser, url, sampler, name, plan[name], timeout_s, shots))
            finally:
                await browser.close()
    finally:
        if sampler is not None:
            sampler.stop()
    report = {"url": url, "sessions": sessions, "hidden": hidden, "iterations": iterations, "seed": seed,
              "server_pid": pid, "phases": [p.summary() for p in out],
              "per_session": {p.name: [asdict(s) for s in p.sessions] for p in out}}
    if sampler is not None:
        report.update(rss_before_mb=round(rss_before / 2**20, 1), rss_peak_mb=round(sampler.peak / 2**20, 1),
                      rss_after_mb=round(sampler.rss / 2**20, 1))
    one = next((p for p in out if p.name == "one"), None)
    if one is not None and sampler is not None and one.cpu_s > 0:
        report["one_training_cpu_s"] = round(one.cpu_s, 2)
        for p in report["phases"]:
            p["cpu_vs_one_training"] = round(p["server_cpu_s"] / one.cpu_s, 2)
    return report


def format_report(r: dict) -> str:
    lines = [f"ssnn classroom load: {r['sessions']} sessions, 784->{r['hidden']}->1, {r['iterations']} iterations, "
             f"server {r['url']} (pid {r['server_pid']})"]
    if "rss_before_mb" in r:
        lines.append(f"server RSS: before {r['rss_before_mb']} MB · peak {r['rss_peak_mb']} MB · "
                     f"after {r['rss_after_mb']} MB")
    head = (f"{'phase':<9} {'sess':>4} {'ok':>3} {'shared':>6} {'follow':>6} {'page s':>6} "
            f"{'result s min/med/max':>22} {'server CPU s':>12} {'x one':>6} {'RSS peak MB':>11} {'wall s':>7}")
    lines += [head, "-" * len(head)]
    for p in r["phases"]:
        t = ("/".join(f"{p[k]:.1f}" for k in ("result_s_min", "result_s_median", "result_s_max"))
             if p["result_s_min"] is not None else "-")
        load = f"{p['load_s_median']:.1f}" if p.get("load_s_median") is not None else "-"
        lines.append(f"{p['phase']:<9} {p['sessions']:>4} {p['ok']:>3} {p['shared']:>6} {p['followed']:>6} "
                     f"{load:>6} {t:>22} {p['server_cpu_s']:>12.2f} {p.get('cpu_vs_one_training', float('nan')):>6.2f} "
                     f"{p['rss_peak_mb']:>11.1f} {p['wall_s']:>7.1f}")
    for p in r["phases"]:
        for e in p["errors"]:
            lines.append(f"  error [{p['phase']}] {e}")
    lines.append("per session (time to result s):")
    for name, sessions in r["per_session"].items():
        cells = [f"{s['result_s']:.1f}" if s["result_s"] is not None else "ERR" for s in sessions]
        lines.append(f"  {name:<9} " + " ".join(cells))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=8, help="concurrent browser sessions (default 8)")
    ap.add_argument("--url", help="an ssnn server already running (default: start one on a free port)")
    ap.add_argument("--pid", type=int, help="with --url: the server's PID, for RSS and CPU (default: found by port)")
    ap.add_argument("--hidden", type=int, default=10, help="hidden neurons n1 (default 10)")
    ap.add_argument("--iterations", type=int, default=500, help="iterations (default 500)")
    ap.add_argument("--seed", type=int, default=561, help="seed of the shared settings (default 561)")
    ap.add_argument("--phases", default="one,same,cold,distinct",
                    help="comma-separated subset of one,same,cold,distinct (default all)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds any one wait may take (default 300)")
    ap.add_argument("--screenshots", type=Path, default=REPO / "artifacts" / "screenshots",
                    help="where the first session of each phase leaves a screenshot")
    ap.add_argument("--json-out", type=Path, help="also write the JSON report to this file")
    a = ap.parse_args(argv)
    phases = tuple(p.strip() for p in a.phases.split(",") if p.strip())
    bad = [p for p in phases if p not in ("one", "same", "cold", "distinct")]
    if bad or not 1 <= a.sessions <= 64:
        ap.error(f"unknown phase {bad[0]!r}" if bad else "--sessions must be in 1..64")
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM} (apt-get install chromium, or set SSNN_CHROMIUM)", file=sys.stderr)
        return 1
    server = None
    try:
        if a.url:
            url, pid = a.url.rstrip("/"), a.pid or find_server_pid(a.url)
        else:
            server = Server()
            url, pid = server.start(), None
            pid = server.pid
            print(f"started streamlit at {url} (pid {pid}, log {server.log_path})", file=sys.stderr)
        report = asyncio.run(run_load(url, pid, a.sessions, a.hidden, a.iterations, a.seed, phases,
                                      a.timeout, a.screenshots))
    except KeyboardInterrupt:
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
    print(format_report(report))
    line = json.dumps(report, separators=(",", ":"))
    if a.json_out:
        a.json_out.write_text(line + "\n")
    print(line)
    failed = sum(p["sessions"] - p["ok"] for p in report["phases"])
    if server is not None and not failed:
        server.remove_log()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
