"""Service settings (frozen) and the enums for roles and overflow policies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    LEADER = "leader"
    STANDBY = "standby"


class RoleRequest(StrEnum):
    LEADER = "leader"
    STANDBY = "standby"
    AUTO = "auto"


class OverflowPolicy(StrEnum):
    HALT = "halt"  # the 2025 incident: trading halts, journaled as a mode change
    SHED = "shed"  # the hotfix: coalesce, reject risk-increasing orders, resume below low water


class HttpServerKind(StrEnum):
    BUILTIN = "builtin"  # target_engine.service.httpserver: faster (benchmarks/engine_http_server.py)
    UVICORN = "uvicorn"  # uvicorn (uvloop + httptools) around the same ASGI app


class SnapshotMode(StrEnum):
    FORK = "fork"  # a forked child dumps, hashes and encodes the state; the loop keeps serving
    INLINE = "inline"  # dumped, hashed and encoded on the event loop (stalls it for seconds at 100k)


# 2 ms: at 6,000 orders/s in the pipeline benchmark, -15 % CPU per order and a lower p99 for ~2 ms
# more p50 (benchmarks/pipeline_sequencer.py --commit-interval-ms)
DEFAULT_COMMIT_INTERVAL_MS = 2.0

DEFAULT_SNAPSHOT_MODE = SnapshotMode.FORK if hasattr(os, "fork") else SnapshotMode.INLINE


@dataclass(frozen=True)
class ServiceOptions:
    color: str = "blue"
    role: RoleRequest = RoleRequest.AUTO
    overflow_policy: OverflowPolicy = OverflowPolicy.HALT
    admin_token: str | None = None
    feed_url: str | None = None
    lease_ms: int = 3000  # time lease: only a hung leader is waited out (a dead one frees its lock)
    lock_grace_ms: int = 100  # the leader lock must be seen free this long before a standby takes over
    auto_promote: bool = True
    inbound_limit: int = 5000
    max_batch: int = 256  # bounds one apply burst on the event loop (~25 ms of orders)
    # least time between the starts of two pipelined group commits: below saturation commits are
    # small and each costs ~80 us of CPU (writer thread, GIL hand-offs); waiting lets them grow
    commit_interval_ms: float = DEFAULT_COMMIT_INTERVAL_MS
    margin_queue_limit: int = 1000
    margin_low_water: int = 500
    snapshot_every: int = 100_000
    clock_tick_ms: int = 1000
    tail_interval_ms: int = 20
    standby_lag_budget: int = 1000
    http_server: HttpServerKind = HttpServerKind.BUILTIN
    snapshot_mode: SnapshotMode = DEFAULT_SNAPSHOT_MODE
