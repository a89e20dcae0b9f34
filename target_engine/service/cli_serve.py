"""`margin-engine serve`: run one engine process (leader, standby or auto)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

from chaos import failpoints
from target_engine.config.loader import load_config_dict
from target_engine.domain import ConfigError
from target_engine.journal import JournalCorruptError, JournalError, reader
from target_engine.journal.schema import Durability
from target_engine.journal.store import Journal
from target_engine.service.feed_client import parse_feed_url
from target_engine.service.options import (
    DEFAULT_COMMIT_INTERVAL_MS,
    DEFAULT_SNAPSHOT_MODE,
    HttpServerKind,
    OverflowPolicy,
    RoleRequest,
    ServiceOptions,
    SnapshotMode,
)
from target_engine.service.recovery import service_config

EXIT_USAGE = 2
EXIT_CORRUPT = 3


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("serve", help="run the engine service (HTTP API, journal, failover)")
    p.add_argument("--config", help="instruments/engine YAML (default: the built-in config)")
    p.add_argument("--journal", required=True, help="SQLite journal file (shared by blue and green)")
    p.add_argument("--color", choices=["blue", "green"], default="blue")
    p.add_argument("--role", choices=[r.value for r in RoleRequest], default="auto")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--overflow-policy", choices=[o.value for o in OverflowPolicy], default="halt")
    p.add_argument("--admin-token")
    p.add_argument("--feed", help="tcp://host:port of the price feed")
    p.add_argument("--lease-ms", type=int, default=3000,
                   help="time lease: a standby promotes after the leader's lease has expired this long "
                        "ago only when the leader is hung but alive (a dead leader frees its file lock "
                        "<journal>.leader.lock and the standby promotes at once)")
    p.add_argument("--lock-grace-ms", type=int, default=100,
                   help="the leader lock must be seen free this long before a standby takes over")
    p.add_argument("--no-auto-promote", action="store_true")
    p.add_argument("--inbound-limit", type=int, default=5000)
    p.add_argument("--margin-queue-limit", type=int, default=1000)
    p.add_argument("--margin-low-water", type=int)
    p.add_argument("--snapshot-every", type=int, default=100_000)
    p.add_argument("--snapshot-mode", choices=[m.value for m in SnapshotMode],
                   default=DEFAULT_SNAPSHOT_MODE.value,
                   help="fork (default where os.fork exists): a forked child serialises the state for "
                        "snapshots and hashes it for GET /v1/state, the engine keeps answering; inline: "
                        "both on the event loop (a snapshot stalls it ~2-3 s at 100k commands of state)")
    p.add_argument("--clock-tick-ms", type=int, default=1000)
    p.add_argument("--durability", choices=[d.value for d in Durability], default=Durability.POWER.value,
                   help="power (default): an acknowledged order survives any crash, including an OS crash "
                        "or power loss (SQLite synchronous=FULL, one fsync per group commit); process: "
                        "only a crash of the engine process (synchronous=NORMAL, faster)")
    p.add_argument("--commit-interval-ms", type=float, default=DEFAULT_COMMIT_INTERVAL_MS,
                   help="least time between the starts of two group commits while one follows another "
                        "(a batch waits up to this long for more commands; fewer, larger commits cost less "
                        "CPU per order); default %(default)s, 0 commits as soon as the previous one is done")
    p.add_argument("--checkpoint-interval-ms", type=int, default=500,
                   help="WAL checkpoints in a background thread at this interval, off the commit path "
                        "(0: SQLite's automatic checkpoint inside commits)")
    p.add_argument("--http-server", choices=[k.value for k in HttpServerKind],
                   default=HttpServerKind.BUILTIN.value,
                   help="builtin (default): the engine's own HTTP/1.1 server (asyncio + httptools), faster "
                        "by measurement (benchmarks/engine_http_server.py); uvicorn: uvicorn around the "
                        "same ASGI app")
    p.add_argument("--truncate-corrupt-tail", action="store_true",
                   help="quarantine records from the first corrupt one instead of refusing to start")
    p.set_defaults(func=run)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"margin-engine serve: error: {message}", file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        failpoints.configure_from_env()
        raw = load_config_dict(args.config)
        config = service_config(raw)
        if args.feed:
            parse_feed_url(args.feed)
        for name in ("lease_ms", "lock_grace_ms", "inbound_limit", "margin_queue_limit", "snapshot_every",
                     "clock_tick_ms"):
            if getattr(args, name) <= 0:
                raise ValueError(f"--{name.replace('_', '-')} must be positive")
        if not 0 <= args.commit_interval_ms <= 1000:
            raise ValueError("--commit-interval-ms must be 0..1000")
        if args.checkpoint_interval_ms < 0:
            raise ValueError("--checkpoint-interval-ms must be >= 0")
        if not 0 <= args.port <= 65535:
            raise ValueError("--port must be 0..65535")
        if args.host not in ("127.0.0.1", "localhost", "::1") and not args.admin_token:
            raise ValueError("--admin-token is required when binding a non-loopback host")
    except (ConfigError, ValueError, failpoints.FailpointSpecError) as exc:
        return _fail(str(exc))
    try:
        interval = args.checkpoint_interval_ms / 1000.0 if args.checkpoint_interval_ms > 0 else None
        journal = Journal(args.journal, engine_config_json=json.dumps(raw, sort_keys=True),
                          durability=Durability(args.durability), checkpoint_interval_s=interval)
        report = reader.scan(journal.conn)
        if not report.ok and report.error is not None:
            if not args.truncate_corrupt_tail:
                return _fail(f"{report.error}; last good seq {report.last_good_seq} "
                             "(restart with --truncate-corrupt-tail to quarantine the tail)", EXIT_CORRUPT)
            moved = journal.quarantine_from(report.last_good_seq + 1, str(report.error))
            print(f"margin-engine serve: quarantined {moved} records after seq {report.last_good_seq}",
                  file=sys.stderr)
    except (JournalError, OSError) as exc:
        return _fail(f"journal {args.journal}: {exc}", EXIT_CORRUPT)
    low = args.margin_low_water if args.margin_low_water is not None else args.margin_queue_limit // 2
    opts = ServiceOptions(
        color=args.color, role=RoleRequest(args.role), overflow_policy=OverflowPolicy(args.overflow_policy),
        admin_token=args.admin_token, feed_url=args.feed, lease_ms=args.lease_ms,
        lock_grace_ms=args.lock_grace_ms,
        auto_promote=not args.no_auto_promote, inbound_limit=args.inbound_limit,
        margin_queue_limit=args.margin_queue_limit, margin_low_water=low, snapshot_every=args.snapshot_every,
        clock_tick_ms=args.clock_tick_ms, http_server=HttpServerKind(args.http_server),
        snapshot_mode=SnapshotMode(args.snapshot_mode), commit_interval_ms=args.commit_interval_ms,
    )
    from target_engine.service.server import serve

    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        asyncio.run(serve(opts, config, journal, args.host, args.port))
    except JournalCorruptError as exc:
        return _fail(str(exc), EXIT_CORRUPT)
    except OSError as exc:  # e.g. the address is in use or cannot be bound
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    return 0
