"""Durable commands/s through the journal's group commit (SQLite WAL), for both durability levels.

Writes batches of realistic command + event payloads in one transaction each, with the fencing
check, into a temp file; baseline = one transaction per command in the same run.
``process`` (the engine's default, synchronous=NORMAL): an acknowledged batch survives a crash of
the engine process; ``power`` (synchronous=FULL): also an OS crash or power loss (fsync per commit).
Prints JSON lines: {"figure","value","unit","target"[,"baseline","ratio"]}. Noisy on a shared machine.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from target_engine.journal import CommandRow, Durability, EventRow, Journal, canonical_json

CMD = {"type": "PlaceOrder", "account": "acct-0001", "symbol": "BTCUSDT", "side": "BUY",
       "order_type": "LIMIT", "qty": 1000, "price": 600001000, "time_in_force": "GTC",
       "post_only": False, "reduce_only": False}
EV = {"type": "OrderAccepted", "account": "acct-0001", "client_order_id": "c1", "order_id": 1,
      "symbol": "BTCUSDT", "side": "BUY", "order_type": "LIMIT", "price": 600001000, "qty": 1000,
      "time_in_force": "GTC",
      "post_only": False, "reduce_only": False}


def run(batch: int, total: int, durability: Durability) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        j = Journal(Path(tmp) / "bench.sqlite", engine_config_json="{}", durability=durability)
        epoch = j.acquire("blue", 60_000, int(time.time() * 1000))
        seq = 0
        started = time.perf_counter()
        while seq < total:
            cmds, evs = [], []
            for _ in range(batch):
                seq += 1
                payload = canonical_json({**CMD, "seq": seq, "client_order_id": f"c{seq}"})
                cmds.append(CommandRow(seq, epoch, 1, "PlaceOrder", payload))
                evs.append(EventRow(seq, 0, "OrderAccepted", canonical_json({**EV, "order_id": seq})))
            j.append_batch(epoch, cmds, evs)
        elapsed = time.perf_counter() - started
        j.close()
        return seq / elapsed


def main() -> None:
    for durability in (Durability.PROCESS, Durability.POWER):
        base = run(1, 2_000, durability)
        grouped = run(256, 200_000, durability)
        suffix = "" if durability is Durability.PROCESS else "_power"
        name = f"journal_durable_commands_per_s_batch256{suffix}"
        print(json.dumps({"figure": name, "value": round(grouped),
                          "unit": "commands/s", "target": 20_000, "baseline": round(base),
                          "ratio": round(grouped / base, 1), "durability": durability.value}), flush=True)
        print(json.dumps({"figure": f"journal_durable_commands_per_s_unbatched{suffix}", "value": round(base),
                          "unit": "commands/s", "target": None, "durability": durability.value}), flush=True)


if __name__ == "__main__":
    main()
