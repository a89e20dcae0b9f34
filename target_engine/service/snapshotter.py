"""Snapshots off the event loop, Redis BGSAVE style: ``fork()`` at a consistent point, the child
serialises the state it inherited (copy-on-write), the parent keeps serving.

``ForkSnapshotter.start(engine, seq, epoch, ts_ms)`` forks and returns an asyncio future of the
``Captured`` snapshot (seq, epoch, ts, state hash, payload: the zlib-compressed canonical JSON) —
exactly what ``capture_inline`` computes on the loop, which is what the inline mode (and
``snapshot_now``) use.
The sequencer hands the captured row to its commit thread, which writes it between two batch
commits with ``Journal.write_snapshot`` (CRC and all), so the loop never dumps, hashes or encodes.

Why the child does not write the row itself: the parent has SQLite connections open on the journal
(writer, reader, checkpointer thread). A fresh connection opened in the forked child would share the
parent's per-file bookkeeping copied into the child (SQLite's process-wide inode/WAL-index state,
with lock counts of connections that do not exist in the child) and any SQLite mutex another thread
held at fork time stays locked forever in the child; SQLite documents fork as unsafe for open
databases. The child therefore touches no SQLite at all: it writes a one-line JSON header and the
payload into a pipe, and a reaper thread in the parent reads it, ``waitpid``s the child and settles
the future through ``loop.call_soon_threadsafe``. The 14 MB INSERT then costs the commit thread what
it cost before (it wrote the row before too); the loop pays only for ``fork()`` itself.

Child hygiene (first thing after fork, before any work): it asks the kernel for SIGKILL when the
parent dies (``PR_SET_PDEATHSIG``; it dies with the parent: without the parent nobody would write
its row, and a dead leader must leave nothing behind), resets SIGTERM/SIGINT to their defaults,
and closes every inherited socket (the listening socket, client connections, the feed connection)
and its copy of the leader lock file descriptor (``<journal>.leader.lock``: ``flock`` belongs to
the open file description, so an inherited descriptor would keep a SIGKILLed leader's lock held and
block the standby's promotion until the child exited; closing the child's copy leaves the parent's
lock held). SQLite descriptors are left open and untouched (closing them could hand their numbers to
new files the copied SQLite state would then write to). Garbage collection is disabled (a collection
would touch, and so copy, every page of the frozen heap). When the engine is pinned to some CPUs it
moves to the others; it lowers its own priority to nice 19 (see ``_CHILD_NICE``), except a
hash-only child that moved (a client waits for it, and the engine's CPUs are not shared). It leaves
with ``os._exit`` in every case: no finalizer, atexit hook or buffered stream of the parent runs in
the child.

Hash-only children (``start(..., hash_only=True)``, for ``GET /v1/state``: ``state_hasher``) do
the same with ``Engine.state_hash()`` alone: no full dump, no payload (``Captured.payload`` is
empty), failpoint ``state_hash.child``.

Failpoint ``snapshot.child`` is evaluated in the child before the dump (``delay(ms)`` makes the
child slow, ``error(CODE)`` makes it fail). Errors: a child that fails, dies or stays silent past
``timeout_s`` (it is then SIGKILLed) settles the future with ``SnapshotError``; ``fork()`` itself
failing raises ``OSError`` from ``start`` (the caller may fall back to the inline path).

Fencing: the child only ever captures state at a point where memory equals the journal, i.e. the
effect of commands 1..seq that are already committed. Committed commands are never rewritten by any
later epoch (a new leader only appends after them), so a snapshot at seq S stays a valid
"state after S" whoever leads when the row is finally written; recovery checks its CRC and its hash
against ``Engine.restore(...)`` anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import hashlib
import json
import os
import select
import signal
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from chaos import failpoints
from target_engine.domain import Engine
from target_engine.journal import canonical_json, encode_snapshot_payload
from target_engine.journal.leader_lock import lock_path
from target_engine.journal.records import compact_json_bytes

__all__ = ["HASH_FAILPOINT", "Captured", "ForkSnapshotter", "SnapshotError", "capture_inline",
           "state_hash_of_dump"]

FAILPOINT = "snapshot.child"
HASH_FAILPOINT = "state_hash.child"
_PR_SET_PDEATHSIG = 1
# The child yields the CPU to the serving loop: a snapshot is background work. It inherits the
# parent's CPU affinity, so at normal priority it took half of the engine's core for the ~1 s of
# its dump and the loop's latency went from ms to ~1 s under load; at nice 19 it gets what the
# loop leaves idle (and ~1.5 % when the loop is saturated, within ``timeout_s``).
# A hash-only child that left the serving CPUs keeps the parent's priority: a client is waiting
# for it, and at nice 19 next to a busy load generator it took over 30 s for a 0.5 s hash.
_CHILD_NICE = 19
_CHUNK = 1 << 20


class SnapshotError(Exception):
    """The snapshot child failed, died or timed out (message says which)."""


@dataclass(frozen=True)
class Captured:
    seq: int
    epoch: int
    ts_ms: int
    state_hash: str
    payload: bytes  # a bytearray when it came from a child (read in place); equal bytes either way
    cpu_s: float = field(default=0.0, compare=False)  # hash-only child: CPU seconds its hash took
    nice: int = field(default=0, compare=False)  # the child's niceness (0 inline)


def state_hash_of_dump(snap: dict[str, Any]) -> str:
    """``Engine.state_hash()`` computed from an existing full dump (no second dump).

    The hash is the sha256 of ``json.dumps(dump(with_history=False), separators=(",", ":"))``; the
    history-free dump is the full one with each account's ``fills`` key left out (same key order,
    same values), so the text, and the hash, are the same."""
    accounts = {a: {k: v for k, v in entry.items() if k != "fills"} for a, entry in snap["accounts"].items()}
    # compact_json_bytes: that json.dumps's bytes, ~230 -> ~80 ms at 100k commands (the child, and
    # the copy-on-write window it holds open, is that much shorter)
    return hashlib.sha256(compact_json_bytes({**snap, "accounts": accounts})).hexdigest()


def capture_inline(engine: Engine, seq: int, epoch: int, ts_ms: int) -> Captured:
    """The snapshot of ``engine`` now, on the calling thread (today's synchronous path)."""
    payload = encode_snapshot_payload(canonical_json(engine.snapshot()).encode())  # sorted, compact, ASCII
    return Captured(seq, epoch, ts_ms, engine.state_hash(), payload)


def _settle(fut: asyncio.Future[Captured], result: Captured | None, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        assert result is not None
        fut.set_result(result)


class ForkSnapshotter:
    """Forks one snapshot child per ``start``; the caller keeps at most one running."""

    def __init__(self, journal_path: str | Path, timeout_s: float = 600.0) -> None:
        self.lock_file = lock_path(journal_path)
        self.timeout_s = timeout_s
        self.child_pid: int | None = None
        self.last_fork_s = 0.0  # duration of the last fork() call (the loop's only cost)

    def start(self, engine: Engine, seq: int, epoch: int, ts_ms: int, *,
              hash_only: bool = False) -> asyncio.Future[Captured]:
        """Fork the child; call on the loop thread at a consistent point. Raises OSError if fork fails.
        ``hash_only``: the child computes the state hash alone (the payload comes back empty)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Captured] = loop.create_future()
        parent = os.getpid()
        r, w = os.pipe()
        started = time.perf_counter()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            raise
        if pid == 0:  # the child: never returns
            try:
                os.close(r)
                _child_main(w, parent, self.lock_file, engine, (seq, epoch, ts_ms), hash_only=hash_only)
            finally:
                os._exit(70)
        self.last_fork_s = time.perf_counter() - started
        os.close(w)
        self.child_pid = pid
        reaper = threading.Thread(target=self._reap, args=(pid, r, loop, fut), name=f"snapshot-reaper-{pid}",
                                  daemon=True)
        reaper.start()
        return fut

    def kill(self) -> None:
        """SIGKILL the running child, if any (shutdown); its reaper collects it."""
        pid = self.child_pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    # ------------------------------------------------------------------ reaper thread
    def _reap(self, pid: int, fd: int, loop: asyncio.AbstractEventLoop,
              fut: asyncio.Future[Captured]) -> None:
        result: Captured | None = None
        error: BaseException | None = None
        try:
            try:
                meta, payload = _Pipe(fd, pid, time.monotonic() + self.timeout_s).receive()
            finally:
                exit_code = _wait_exit(pid)
            result = _result(meta, payload, exit_code)
        except BaseException as exc:  # handed to the loop, classified there
            error = exc
        finally:
            os.close(fd)
            if self.child_pid == pid:
                self.child_pid = None
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, fut, result, error)


class _Pipe:
    """The parent's end of the child's pipe: a JSON header line, then exactly ``bytes`` of payload.

    The payload is read straight into one preallocated buffer (no joining of chunks: every copy of
    14 MB done here would hold the GIL, i.e. stall the event loop, for milliseconds)."""

    def __init__(self, fd: int, pid: int, deadline: float) -> None:
        self.fd, self.pid, self.deadline = fd, pid, deadline

    def _wait(self) -> None:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, self.deadline - time.monotonic()))
        if not ready:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            raise SnapshotError("snapshot child timed out (killed)")

    def receive(self) -> tuple[dict[str, Any] | None, bytearray]:
        head = bytearray()
        while b"\n" not in head and len(head) < 65536:
            self._wait()
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None, bytearray()
            head += chunk
        line, _, rest = bytes(head).partition(b"\n")
        try:
            meta = json.loads(line)
        except ValueError:
            return None, bytearray()
        if not isinstance(meta, dict) or not isinstance(meta.get("bytes"), int):
            return (meta if isinstance(meta, dict) else None), bytearray()
        payload = bytearray(meta["bytes"])
        view = memoryview(payload)
        pos = len(rest)
        view[:pos] = rest
        while pos < len(payload):
            self._wait()
            n = os.readv(self.fd, [view[pos:]])
            if n == 0:
                break
            pos += n
        del view
        if pos < len(payload):
            raise SnapshotError(f"snapshot child sent {pos} of {len(payload)} bytes")
        return meta, payload


def _wait_exit(pid: int) -> int:
    """The child's exit code; 0 when someone else reaped it already (the pipe's contents decide)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return 0
    return os.waitstatus_to_exitcode(status)


def _result(meta: dict[str, Any] | None, payload: bytearray, exit_code: int) -> Captured:
    if meta is None:
        raise SnapshotError(f"snapshot child died (exit status {exit_code}) without a result")
    if "error" in meta:
        raise SnapshotError(f"snapshot child failed: {meta['error']}")
    if exit_code != 0:
        raise SnapshotError(f"snapshot child exit status {exit_code}")
    # the bytearray is used as bytes (sqlite3 binds it as a BLOB, zlib.crc32 reads it): converting
    # would copy 14 MB while holding the GIL, i.e. stall the event loop
    return Captured(int(meta["seq"]), int(meta["epoch"]), int(meta["ts_ms"]), str(meta["state_hash"]),
                    cast(bytes, payload), float(meta.get("cpu_s", 0.0)),
                    int(meta.get("nice", 0)))


# ---------------------------------------------------------------------- the child
def _child_main(w: int, parent: int, lock_file: Path, engine: Engine, point: tuple[int, int, int], *,
                hash_only: bool = False) -> None:
    """Runs in the forked child only and never returns (``os._exit``). ``point``: (seq, epoch, ts_ms)."""
    seq, epoch, ts_ms = point
    _die_with_parent(parent)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
    with contextlib.suppress(ValueError):
        signal.set_wakeup_fd(-1)
    gc.disable()
    _close_inherited(keep=w, lock_file=lock_file)
    if not (_leave_the_serving_cpus() and hash_only):
        with contextlib.suppress(OSError):
            os.nice(_CHILD_NICE)
    try:
        head: dict[str, Any] = {"seq": seq, "epoch": epoch, "ts_ms": ts_ms,
                                "nice": os.getpriority(os.PRIO_PROCESS, 0)}
        if hash_only:
            failpoints.hit(HASH_FAILPOINT)
            cpu0 = time.process_time()
            payload, state_hash = b"", engine.state_hash()
            head["cpu_s"] = time.process_time() - cpu0
        else:
            failpoints.hit(FAILPOINT)
            snap = engine.snapshot()
            payload = encode_snapshot_payload(canonical_json(snap).encode())
            state_hash = state_hash_of_dump(snap)
        head.update(state_hash=state_hash, bytes=len(payload))
        _write_all(w, json.dumps(head).encode() + b"\n")
        _write_all(w, payload)
        code = 0
    except BaseException as exc:  # reported to the parent, never raised out of the child
        with contextlib.suppress(OSError):
            _write_all(w, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
        code = 1
    os._exit(code)


def _leave_the_serving_cpus() -> bool:
    """An engine pinned to some CPUs (a dedicated core) keeps them for serving: the child moves to
    the machine's other CPUs when there are any (it inherits the parent's affinity). Whether it
    moved."""
    with contextlib.suppress(OSError, AttributeError):
        serving = os.sched_getaffinity(0)
        online = set(range(os.cpu_count() or 1))
        others = online - serving
        if others:
            os.sched_setaffinity(0, others)
            return True
    return False


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _close_inherited(keep: int, lock_file: Path) -> None:
    """Close inherited sockets and the leader lock descriptor (see the module docstring)."""
    try:
        lock_id: tuple[int, int] | None = (lock_file.stat().st_dev, lock_file.stat().st_ino)
    except OSError:
        lock_id = None
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 4096))
    for fd in fds:
        if fd <= 2 or fd == keep:
            continue
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISSOCK(st.st_mode) or (st.st_dev, st.st_ino) == lock_id:
            with contextlib.suppress(OSError):
                os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:_CHUNK])
        view = view[n:]
