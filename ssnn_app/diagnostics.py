"""Counters for operators and benches: what the server and its training process keep.

With the environment variable SSNN_STATS_FILE set, the server writes one JSON object to that file
every STATS_SECONDS (atomically: temp file + rename): the runs the server holds, the classroom's
shared runs, the live watchers, and what the training process keeps (runs, runs training and queued,
digit pairs, training sets and their bytes). A load test reads it to show that these stay bounded.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from . import commands, live

STATS_SECONDS = 2.0
_started = threading.Event()


def counters() -> dict:
    engine = commands.engine()
    held = engine.runs()
    out = {"time": time.time(), "server_runs": len(held), "active_runs": sum(r.status.active for r in held),
           "watching": live.watching(), "classroom": commands.classroom().counts()}
    stats = engine.stats()
    if stats is not None:
        out["training_process"] = {"pid": engine.pid, "runs": stats.runs, "training": stats.training,
                                   "queued": stats.queued, "pairs": stats.pairs, "sets": stats.sets,
                                   "set_bytes": stats.set_bytes, "sets_made": len(stats.made)}
    return out


def _write_forever(path: Path) -> None:
    while True:
        try:
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(counters()))
            os.replace(tmp, path)
        except Exception as exc:  # noqa: BLE001 - diagnostics must never take the server down
            print(f"ssnn: writing {path} failed: {exc!r}")
        time.sleep(STATS_SECONDS)


def start() -> None:
    """Start writing the counters if SSNN_STATS_FILE asks for it (once per server)."""
    where = os.environ.get("SSNN_STATS_FILE")
    if where and not _started.is_set():
        _started.set()
        threading.Thread(target=_write_forever, args=(Path(where),), name="ssnn-stats", daemon=True).start()
