"""A Streamlit client that speaks the browser's websocket protocol, for load tests of the server alone.

A headless Chromium page costs more CPU than the Streamlit server it talks to; on a 2-core machine it
hides what N students cost the server. This client does what Streamlit's frontend (1.67,
static/js/index.*.js) does on the wire, and nothing else, so many sessions fit in one asyncio loop:

  1. GET the page (index.html), /_stcore/health and /_stcore/host-config, as the browser's connection
     manager does before it opens the socket; the health answer sets the `_streamlit_xsrf` cookie.
  2. Open ws://HOST/_stcore/stream with subprotocols ["streamlit", <xsrf cookie>] (the browser puts the
     XSRF token, and a previous session id if any, in Sec-WebSocket-Protocol), the cookie and an Origin.
  3. Send BackMsg.rerun_script with the query string, an empty page_script_hash and page_name = the URL
     path ("Train"), the cached message hashes and a ContextInfo. Later runs send the page_script_hash
     the server named in its `navigation` message (st.navigation apps; new_session's is the main script).
  4. Read ForwardMsgs: new_session (a full run clears every auto-rerun timer, as the frontend does),
     deltas (an element tree keyed by delta path; stale elements are dropped when a run finishes, per
     fragment for fragment runs), ref_hash (the message cache: cacheable messages are kept by hash and
     aged per script run like the frontend's ForwardMsgCache), auto_rerun (one timer per fragment id;
     the same interval again is ignored, a new interval replaces the old timer), stop_auto_rerun,
     session_status_changed, page_info_changed (the new query string is sent on later runs),
     script_finished, page_not_found.
  5. A button press is a rerun_script with widget_states holding {id, trigger_value: true}, the id read
     from the button's element (it contains the user key), fragment_id = the button's delta fragment id.

Simplification, stated: widget_states carries only triggers. The browser also sends the current value
of every widget it has drawn; for widgets nobody touched those equal what the server already holds, so
the script sees the same values. Fragment auto-reruns are sent on their timer whether or not a run is in
progress, as the frontend's setInterval does.

Loopback only: a URL whose host is not 127.0.0.1 / ::1 / localhost is refused (ValueError). Every wait
has a timeout; at most MAX_SESSIONS sessions exist at once in one process.
"""

from __future__ import annotations

import asyncio
import ipaddress
import resource
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

MAX_SESSIONS = 200
LOOPBACK_NAMES = {"localhost", "localhost."}
XSRF_COOKIE = "_streamlit_xsrf"
FINISHED = ForwardMsg.ScriptFinishedStatus
_live_sessions = 0


class ProtocolError(RuntimeError):
    """The server did something a browser would report as an error (or the session timed out)."""


def check_loopback(url: str) -> urllib.parse.SplitResult:
    """-> the parsed URL; ValueError unless it is http(s)://127.x / [::1] / localhost."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"refusing {url!r}: only http:// URLs on the loopback interface")
    host = (parts.hostname or "").lower()
    if host not in LOOPBACK_NAMES:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise ValueError(f"refusing {url!r}: this load client talks to 127.0.0.1/localhost only") from None
    if parts.port is None:
        raise ValueError(f"refusing {url!r}: give the port")
    return parts


def own_cpu() -> float:
    """User + system CPU seconds of this process (the load client itself)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def http_get(
    host: str, port: int, target: str, cookie: str = "", timeout: float = 30.0
) -> tuple[int, dict, bytes]:
    """A minimal HTTP/1.1 GET (Connection: close) -> (status, headers lower-cased (set-cookie: list), body)."""
    async def go():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            head = (f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: ssnn-wsclient\r\n"
                    f"Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n")
            if cookie:
                head += f"Cookie: {cookie}\r\n"
            writer.write((head + "\r\n").encode("latin-1"))
            await writer.drain()
            raw = await reader.read(-1)
        finally:
            writer.close()
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict = {"set-cookie": []}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                headers["set-cookie"].append(v)
            else:
                headers[k] = v
        if headers.get("transfer-encoding", "").lower() == "chunked":
            out, rest = b"", body
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                n = int(size_line.split(b";")[0], 16)
                if n == 0:
                    break
                out, rest = out + rest[:n], rest[n + 2:]
            body = out
        return status, headers, body
    return await asyncio.wait_for(go(), timeout)


@dataclass
class Stats:
    msgs_in: int = 0
    bytes_in: int = 0
    msgs_out: int = 0
    fragment_reruns_sent: int = 0          # auto-rerun timer ticks sent (rerun_script with is_auto_rerun)
    runs_started: Counter = field(default_factory=Counter)    # new_session: "full" / "fragment"
    runs_finished: Counter = field(default_factory=Counter)   # script_finished status names
    cache_hits: int = 0
    auto_rerun_msgs: int = 0
    stop_auto_rerun_msgs: int = 0


class Session:
    """One browser tab: one websocket, one Streamlit session. Use `async with Session(url) as s:`."""

    def __init__(self, url: str, name: str = "s", timeout: float = 120.0, fetch_page: bool = True):
        parts = check_loopback(url)
        self.host, self.port = parts.hostname, parts.port
        self.base = f"http://{parts.netloc}"
        self.name, self.timeout, self.fetch_page = name, timeout, fetch_page
        self.ws = None
        self.stats = Stats()
        self.errors: list[str] = []          # exceptions drawn, page_not_found, protocol trouble
        self.query_string = ""
        self.page_name = ""
        self.page_script_hash = ""           # learned from new_session
        self.session_id = ""
        self.elements: dict[tuple, list] = {}    # delta path -> [Element or Block, run id, fragment id]
        self.run_id = ""
        self.run_fragments: tuple = ()
        self.script_running = False
        self.full_runs_finished = 0
        self.last_finished: int | None = None
        self.max_cached_message_age = 2
        self._cache: dict[str, list] = {}    # hash -> [bytes, run count when last used, fragment id]
        self._cache_runs = 0
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}
        self._changed = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self._closed = False
        self._counted = False

    # ------------------------------------------------------------ connection

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def open(self, path: str = "/", query: str = "") -> None:
        """Open the app at `path`?`query` as a browser tab does, and wait until that first run is drawn."""
        global _live_sessions
        if not self._counted:
            if _live_sessions >= MAX_SESSIONS:
                raise ProtocolError(f"more than {MAX_SESSIONS} sessions in one client")
            _live_sessions += 1
            self._counted = True
        from websockets.asyncio.client import connect

        path = "/" + path.lstrip("/")
        self.query_string = query.lstrip("?")
        self.page_name = path.strip("/")
        target = path + (f"?{self.query_string}" if self.query_string else "")
        cookie = ""
        if self.fetch_page:
            status, _, _ = await http_get(self.host, self.port, target, timeout=self.timeout)
            if status != 200:
                raise ProtocolError(f"GET {target} -> {status}")
        status, headers, body = await http_get(self.host, self.port, "/_stcore/health", timeout=self.timeout)
        if status != 200 or body.strip() != b"ok":
            raise ProtocolError(f"/_stcore/health -> {status} {body[:80]!r}")
        for c in headers["set-cookie"]:
            k, _, v = c.split(";", 1)[0].partition("=")
            if k.strip() == XSRF_COOKIE:
                cookie = v.strip()
        if self.fetch_page:
            await http_get(self.host, self.port, "/_stcore/host-config",
                           cookie=f"{XSRF_COOKIE}={cookie}" if cookie else "", timeout=self.timeout)
        token = cookie.strip('"') or "PLACEHOLDER_AUTH_TOKEN"   # what the frontend sends without a cookie
        headers = {"Cookie": f"{XSRF_COOKIE}={cookie}"} if cookie else {}
        self.ws = await asyncio.wait_for(connect(
            f"ws://{self.host}:{self.port}/_stcore/stream", subprotocols=["streamlit", token],
            origin=self.base, additional_headers=headers, max_size=64 * 2**20, ping_interval=None,
            proxy=None, open_timeout=self.timeout), self.timeout)
        self._reader = asyncio.create_task(self._read(), name=f"{self.name}-reader")
        before = self.full_runs_finished
        await self.rerun()
        await self.wait_for(lambda: self.full_runs_finished > before and not self.script_running,
                            what="the first page run")

    async def close(self) -> None:
        global _live_sessions
        if self._closed:
            return
        self._closed = True
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 10)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        if self._reader is not None:
            self._reader.cancel()
            try:
                await asyncio.wait_for(self._reader, 5)
            except BaseException:  # noqa: BLE001 - the reader's own end, whatever it was
                pass
        if self._counted:
            _live_sessions -= 1
            self._counted = False

    # ------------------------------------------------------------ sending

    async def _send(self, msg: BackMsg) -> None:
        if self.ws is None or self._closed:
            return
        self.stats.msgs_out += 1
        await asyncio.wait_for(self.ws.send(msg.SerializeToString()), self.timeout)

    async def rerun(self, triggers: tuple = (), fragment_id: str = "", auto: bool = False) -> None:
        """BackMsg.rerun_script as the frontend's sendRerunBackMsg builds it."""
        m = BackMsg()
        cs = m.rerun_script
        cs.query_string = self.query_string
        if self.page_script_hash:
            cs.page_script_hash = self.page_script_hash
        else:
            cs.page_name = self.page_name
        for wid in triggers:
            w = cs.widget_states.widgets.add()
            w.id = wid
            w.trigger_value = True
        if fragment_id:
            cs.fragment_id = fragment_id
        if auto:
            cs.is_auto_rerun = True
        cs.cached_message_hashes.extend(self._cache.keys())
        ci = cs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "UTC", 0, "en-US"
        ci.url = f"{self.base}/{self.page_name}" + (f"?{self.query_string}" if self.query_string else "")
        ci.is_embedded, ci.color_scheme = False, "light"
        await self._send(m)

    async def click(self, key: str) -> None:
        """Press the st.button whose user key is `key` (its element id contains the key)."""
        found = self.find_widget("button", key)
        if found is None:
            raise ProtocolError(f"no button with key {key!r} on the page")
        elem, frag = found
        if elem.button.disabled:
            raise ProtocolError(f"button {key!r} is disabled")
        await self.rerun(triggers=(elem.button.id,), fragment_id=frag)

    # ------------------------------------------------------------ auto-rerun timers (App.handleAutoRerun)

    def _set_timer(self, fragment_id: str, interval: float) -> None:
        old = self._timers.get(fragment_id)
        if old is not None and old[0] == interval:
            return
        self._clear_timer(fragment_id)
        self._timers[fragment_id] = (interval, asyncio.create_task(self._tick(fragment_id, interval)))

    def _clear_timer(self, fragment_id: str) -> None:
        old = self._timers.pop(fragment_id, None)
        if old is not None:
            old[1].cancel()

    async def _tick(self, fragment_id: str, interval: float) -> None:
        try:
            while not self._closed:
                await asyncio.sleep(interval)
                self.stats.fragment_reruns_sent += 1
                await self.rerun(fragment_id=fragment_id, auto=True)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 - the socket went away
            if not self._closed:
                self.errors.append(f"auto-rerun send failed: {exc!r}"[:200])

    # ------------------------------------------------------------ receiving

    async def _read(self) -> None:
        try:
            async for data in self.ws:
                self.stats.msgs_in += 1
                self.stats.bytes_in += len(data)
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self._handle(msg, data)
                self._changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any socket failure is reported, not raised
            if not self._closed:
                self.errors.append(f"websocket: {exc!r}"[:200])
        finally:
            if not self._closed:
                self.errors.append("websocket closed by the server")
            self._changed.set()

    def _handle(self, msg: ForwardMsg, raw: bytes) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            hit = self._cache.get(msg.ref_hash)
            if hit is None:
                self.errors.append(f"cache miss for ref_hash {msg.ref_hash}")
                return
            hit[1] = self._cache_runs
            self.stats.cache_hits += 1
            real = ForwardMsg()
            real.ParseFromString(hit[0])
            real.metadata.CopyFrom(msg.metadata)
            msg, kind = real, real.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash and msg.hash not in self._cache:
            frag = msg.delta.fragment_id if kind == "delta" else ""
            self._cache[msg.hash] = [raw, self._cache_runs, frag]
        if kind == "new_session":
            ns = msg.new_session
            self.run_id = msg.metadata.run.script_run_id
            self.run_fragments = tuple(msg.metadata.run.fragment_ids)
            if ns.HasField("initialize") and ns.initialize.session_id:
                self.session_id = ns.initialize.session_id
            if self.run_fragments:
                self.stats.runs_started["fragment"] += 1
            else:
                self.stats.runs_started["full"] += 1
                self.max_cached_message_age = ns.config.max_cached_message_age or self.max_cached_message_age
                for fid in list(self._timers):      # App.cleanupAutoReruns on a full run
                    self._clear_timer(fid)
        elif kind == "delta":
            d = msg.delta
            path = tuple(msg.metadata.delta_path)
            run = msg.metadata.run.script_run_id or self.run_id
            dk = d.WhichOneof("type")
            if dk == "new_element":
                self.elements[path] = [d.new_element, run, d.fragment_id]
                if d.new_element.WhichOneof("type") == "exception":
                    e = d.new_element.exception
                    self.errors.append(f"exception on page: {e.type}: {e.message}"[:300])
            elif dk == "add_block":
                self.elements[path] = [d.add_block, run, d.fragment_id]
        elif kind == "navigation":
            # the page this run drew (st.navigation); the frontend's currentPageScriptHash, sent on later runs
            self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
        elif kind == "auto_rerun":
            self.stats.auto_rerun_msgs += 1
            if msg.auto_rerun.fragment_id:
                self._set_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self.stats.stop_auto_rerun_msgs += 1
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._clear_timer(fid)
        elif kind == "session_status_changed":
            self.script_running = msg.session_status_changed.script_is_running
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {msg.page_not_found.page_name!r}")
        elif kind == "script_finished":
            status = msg.script_finished
            self.last_finished = status
            self.stats.runs_finished[FINISHED.Name(status)] += 1
            self._cache_runs += 1
            if status == FINISHED.FINISHED_SUCCESSFULLY:
                self.full_runs_finished += 1
                self._age_cache(())
                self.elements = {p: e for p, e in self.elements.items() if e[1] == self.run_id}
            elif status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                self._age_cache(self.run_fragments)
                frags = set(self.run_fragments)
                self.elements = {p: e for p, e in self.elements.items()
                                 if e[1] == self.run_id or e[2] not in frags}

    def _age_cache(self, fragments: tuple) -> None:
        """ForwardMsgCache.incrementRunCount: drop entries unused for more than max age runs."""
        for h, (_, used, frag) in list(self._cache.items()):
            if fragments and (not frag or frag not in fragments):
                continue
            if self._cache_runs - used > self.max_cached_message_age:
                del self._cache[h]

    # ------------------------------------------------------------ reading the page

    def iter_elements(self, kind: str | None = None):
        for path in sorted(self.elements):
            el, _, frag = self.elements[path]
            if hasattr(el, "WhichOneof") and type(el).__name__ == "Element":
                if kind is None or el.WhichOneof("type") == kind:
                    yield el, frag

    def find_widget(self, kind: str, key: str):
        for el, frag in self.iter_elements(kind):
            if key in getattr(el, kind).id:
                return el, frag
        return None

    def metric(self, label: str) -> str | None:
        for el, _ in self.iter_elements("metric"):
            if el.metric.label == label:
                return el.metric.body
        return None

    def texts(self) -> list[str]:
        out = []
        for el, _ in self.iter_elements():
            k = el.WhichOneof("type")
            if k in ("markdown", "heading", "alert", "text"):
                out.append(getattr(el, k).body)
            elif k == "metric":
                out.append(f"{el.metric.label}: {el.metric.body}")
        return out

    def has_text(self, needle: str) -> bool:
        return any(needle in t for t in self.texts())

    async def wait_for(self, predicate, timeout: float | None = None, what: str = "a condition") -> None:
        """Wait until predicate() is true; ProtocolError on timeout or if the socket closes first."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not predicate():
            if self._reader is not None and self._reader.done():
                raise ProtocolError(f"connection ended while waiting for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError(f"timeout after {timeout or self.timeout:.0f} s waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass
