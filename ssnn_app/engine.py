"""The server's handle on the training process: starts it (again, if it died), sends it commands,
and hands what it publishes to the runs.

Nothing here writes to the pipe while holding a lock: messages go through a queue to a writer
thread, so the listener never waits for a write to finish (a large write to a process busy sending
to us would otherwise wait forever).
"""

from __future__ import annotations

import itertools
import os
import queue
import subprocess
import sys
import threading
import weakref
from collections import OrderedDict, deque
from multiprocessing.connection import Connection
from pathlib import Path

from ssnn_core import SsnnError

from . import protocol as p

MAX_PAIRS = 6             # digit pairs the training process keeps (about 12 MB each)
MAX_SETS = 3              # as worker.MAX_SETS: the training sets it keeps ready
STATS_TIMEOUT = 10.0


class Engine:
    """One training process for the whole server. `on_publish(run)` is called (listener thread) after
    a run took in news from its owner."""

    def __init__(self, on_publish=None):
        self.on_publish = on_publish or (lambda run: None)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._queue: queue.Queue | None = None
        self._cmds = itertools.count(1)
        self._runs: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # run id -> Run
        self._has: set[int] = set()                 # runs the current process owns
        self._gone: deque = deque()                 # runs let go of, still to be taken out of _has
        self._pairs: OrderedDict = OrderedDict()    # key -> pair, the digit pairs it has
        self._prepared: OrderedDict = OrderedDict()  # training sets asked for, newest last
        self._stats: dict[int, p.Stats | None] = {}  # asked for (None until the answer comes)
        self._stats_ready = threading.Condition()

    # ------------------------------------------------------------ the process

    def warm(self) -> None:
        """Start the process now (it takes ~0.5 s to import NumPy), so that the first Train is quick."""
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
        # glibc otherwise raises its mmap threshold after the first large free, and the buffers of
        # finished runs and of training sets let go of stay in the process's heap
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
        code = f"from ssnn_app.worker import main; main({to_child_r}, {from_child_w})"
        proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(to_child_r, from_child_w),
                                cwd=repo, env=env, stdin=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        if self._queue is not None:
            self._queue.put(None)                   # the old writer stops
        self._proc, self._queue = proc, queue.Queue()
        self._has, self._pairs, self._prepared = set(), OrderedDict(), OrderedDict()   # what this process has
        threading.Thread(target=self._write, args=(Connection(to_child_w, readable=False), self._queue),
                         name="ssnn-train-writer", daemon=True).start()
        threading.Thread(target=self._listen, args=(Connection(from_child_r, writable=False), proc, self._has),
                         name="ssnn-train-listener", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def kill(self) -> None:
        """End the training process (its runs fail with a message; the next command starts a new one)."""
        with self._lock:
            if self._proc is not None:
                self._proc.kill()

    @staticmethod
    def _write(out: Connection, q: queue.Queue) -> None:
        while (msg := q.get()) is not None:
            try:
                out.send(msg)
            except OSError:                         # the process died: its listener reports it
                break
        out.close()

    def _send(self, msg) -> None:
        self._queue.put(msg)

    # ------------------------------------------------------------ data

    def _pair_locked(self, pair) -> tuple:
        """The process's key for `pair`, sending it the pair first if it does not have it."""
        key = (id(pair), pair.source, tuple(pair.digits))
        if key in self._pairs:
            self._pairs.move_to_end(key)
            return key
        self._send(p.Data(key, pair))
        self._pairs[key] = pair                     # held, so that its id is not reused meanwhile
        while len(self._pairs) > MAX_PAIRS:
            old = self._pairs.popitem(last=False)[0]
            self._send(p.Forget(old))
            for skey in [skey for skey in self._prepared if skey[0] == old]:
                del self._prepared[skey]
        return key

    def prepare(self, pair, scaler, dtype: str) -> None:
        """Have the process standardise `pair`'s training set now (~0.1 s, once), so that a Train click
        with these settings starts training at once; asked again only once it may have let it go."""
        with self._lock:
            self._ensure()
            key = self._pair_locked(pair)
            skey = (key, scaler.mode, dtype)
            if skey in self._prepared:
                return
            self._prepared[skey] = None
            while len(self._prepared) > MAX_SETS:
                self._prepared.popitem(last=False)
            self._send(p.Prepare(key, scaler, dtype))

    # ------------------------------------------------------------ runs

    def _own_locked(self, run) -> None:
        """Make sure the current process has `run` (created where its last published state is)."""
        self._ensure()
        while self._gone:
            self._has.discard(self._gone.popleft())
        if run.id in self._has:
            return
        s = run.state
        key = self._pair_locked(run.pair)
        self._send(p.Create(run.id, key, run.hyper, run.scaler, run.plan,
                            None if s.iteration == 0 and not s.history.iteration else s.state_dict(),
                            "new" if s.iteration == 0 else ("done" if s.iteration >= s.target else "paused")))
        self._track_locked(run)

    def _track_locked(self, run) -> None:
        self._has.add(run.id)
        if run.id not in self._runs:
            self._runs[run.id] = run
            weakref.finalize(run, self._forget, run.id)

    def command(self, run, make) -> int:
        """Send the command `make(cmd number)` for `run` (given to the process first if need be)."""
        with self._lock:
            self._own_locked(run)
            cmd = next(self._cmds)
            self._send(make(cmd))
            return cmd

    def fork(self, source, run) -> None:
        """`run` starts as a copy of `source` as the process has it now (exactly between two iterations)."""
        with self._lock:
            if source.id in self._has and self._proc is not None and self._proc.poll() is None:
                self._pair_locked(source.pair)      # (sent again if the process has let go of it)
                self._send(p.Fork(run.id, source.id))
                self._track_locked(run)
            else:
                self._own_locked(run)

    def _forget(self, run_id: int) -> None:
        """A run the server no longer holds. A finalizer: it runs in any thread at any moment, even
        inside this class's own locked sections (a garbage collection can start at any allocation), so
        it takes no lock; the process is told at once (a Drop for a run it does not have is ignored),
        and `_has` forgets the id at the next command."""
        self._gone.append(run_id)
        q = self._queue
        if q is not None:
            q.put(p.Drop(run_id))

    def runs(self) -> list:
        """The runs the server has handed to the training process and still holds."""
        with self._lock:
            return list(self._runs.values())

    def stats(self) -> p.Stats | None:
        """What the process keeps now (None if it does not answer)."""
        with self._lock:
            self._ensure()
            cmd = next(self._cmds)
            with self._stats_ready:
                self._stats[cmd] = None
            self._send(p.Query(cmd))
        with self._stats_ready:
            self._stats_ready.wait_for(lambda: self._stats[cmd] is not None, STATS_TIMEOUT)
            return self._stats.pop(cmd)

    # ------------------------------------------------------------ from the process

    def _listen(self, inbox: Connection, proc, has: set) -> None:
        """Hands `proc`'s publications to their runs; when it ends, fails the runs it had (`has`), even if
        a new process was started meanwhile."""
        reason = None
        while True:
            try:
                msg = inbox.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # noqa: BLE001 - an unreadable message: this process is not to be trusted
                reason = SsnnError("unreadable message from the training process ({kind})", kind=type(exc).__name__)
                proc.kill()
                break
            if isinstance(msg, p.Stats):
                with self._stats_ready:
                    if msg.cmd in self._stats:      # (an answer after its asker gave up is dropped)
                        self._stats[msg.cmd] = msg
                        self._stats_ready.notify_all()
                continue
            run = self._runs.get(msg.run)
            if run is None or self._proc is not proc:
                continue                            # a run the server has let go of, or an old process
            try:
                run.apply(msg)
                self.on_publish(run)
            except Exception as exc:  # noqa: BLE001 - keep listening for the other runs
                print(f"ssnn: update for run {msg.run} failed: {exc!r}", file=sys.stderr)
            run = msg = None  # not held while waiting for the next message: the last run may be let go of
        inbox.close()
        proc.wait()
        reason = reason or SsnnError("the training process ended (exit status {code})", code=proc.returncode)
        with self._lock:                            # nothing this process held comes back
            lost = [self._runs.get(rid) for rid in list(has)]
            has.clear()
            if self._proc is proc:
                self._proc = None
        for run in lost:
            if run is not None:
                run.lost(reason)
