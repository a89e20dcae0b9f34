"""`margin-engine replay JOURNAL` and `margin-engine verify JOURNAL`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from target_engine.config.loader import load_config_dict
from target_engine.domain import ConfigError
from target_engine.journal import JournalError, connect, reader
from target_engine.journal.schema import check_schema
from target_engine.service.recovery import journal_config, recover, service_config, verify


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("replay", help="replay a journal; print the final seq and state hash")
    p.add_argument("journal")
    p.add_argument("--config", help="engine config (default: the one stored in the journal)")
    p.add_argument("--no-snapshot", action="store_true", help="replay from seq 1, ignoring snapshots")
    p.set_defaults(func=run_replay)
    v = subparsers.add_parser("verify", help="replay comparing every stored event; exit 1 on divergence")
    v.add_argument("journal")
    v.add_argument("--config")
    v.set_defaults(func=run_verify)


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    conn = connect(args.journal, readonly=True)
    check_schema(conn)
    config = service_config(load_config_dict(args.config)) if args.config else journal_config(conn)
    return conn, config


def run_replay(args: argparse.Namespace) -> int:
    try:
        conn, config = _open(args)
        started = time.perf_counter()
        rec = recover(conn, config, use_snapshot=not args.no_snapshot)
        elapsed = time.perf_counter() - started
    except (JournalError, ConfigError, OSError, ValueError) as exc:
        print(f"margin-engine replay: error: {exc}", file=sys.stderr)
        return 1
    out = {"seq": rec.last_seq, "state_hash": rec.engine.state_hash(), "snapshot_seq": rec.snapshot_seq,
           "seconds": round(elapsed, 3)}
    print(json.dumps(out))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    try:
        conn, config = _open(args)
        integrity = reader.scan(conn)
        if integrity.error is not None:
            print(json.dumps({"ok": False, "error": str(integrity.error),
                              "last_good_seq": integrity.last_good_seq}))
            return 1
        result = verify(conn, config)
    except (JournalError, ConfigError, OSError, ValueError) as exc:
        print(f"margin-engine verify: error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"ok": not result.divergences, "seq": result.last_seq, "state_hash": result.state_hash,
                      "divergences": result.divergences}))
    return 1 if result.divergences else 0
