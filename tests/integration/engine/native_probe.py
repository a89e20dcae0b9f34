"""A seeded session of the domain core, printed as one JSON line: which build ran it, the digest of
every event, the final state hash, and how many liquidations, ADLs and funding payments it saw.

Run as ``python -m tests.integration.engine.native_probe SEED N`` under each build of the domain
(``GAMEDAY_PURE_DOMAIN=1`` for pure Python); both must print the same figures but the build.
Leverage up to 50x, index jumps of up to 8 % and a clock crossing funding hours make the margin,
liquidation and funding paths run, not only matching.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys

from target_engine.domain import SetLeverage, event_to_dict
from target_engine.domain.events import ADLExecuted, FundingPaid, LiquidationStarted
from target_engine.native import DOMAIN_BUILD
from tests.unit.target_engine.domain.domain_helpers import Run

HOUR_MS = 3_600_000


def session(seed: int, n: int) -> dict[str, object]:
    rng = random.Random(seed)
    run = Run(ts=1_700_000_000_000)
    digest = hashlib.sha256()
    counts = {"liquidations": 0, "adl": 0, "funding_payments": 0}
    price = 60_000.0
    accounts = [f"a{i}" for i in range(12)]

    def record(events: list[object]) -> None:
        for event in events:
            digest.update(json.dumps(event_to_dict(event), sort_keys=True).encode())  # type: ignore[arg-type]
            counts["liquidations"] += isinstance(event, LiquidationStarted)
            counts["adl"] += isinstance(event, ADLExecuted)
            counts["funding_payments"] += isinstance(event, FundingPaid)

    record(run.index("BTCUSDT", f"{price:.1f}"))
    for account in accounts:
        record(run.deposit(account, str(rng.choice([500, 2_000, 20_000]))))
        record(run.do(SetLeverage(account=account, symbol="BTCUSDT", leverage=rng.choice([5, 20, 50]))))
    record(run.deposit("mm", "10000000"))
    for i in range(n):
        run.ts += rng.randrange(1, 40_000)
        roll = rng.random()
        if roll < 0.08:
            price *= 1 + rng.uniform(-0.08, 0.08) if rng.random() < 0.15 else 1 + rng.uniform(-0.004, 0.004)
            record(run.index("BTCUSDT", f"{price:.1f}"))
        elif roll < 0.45:  # the market maker quotes both sides around the index
            for side, k in (("BUY", 0.999), ("SELL", 1.001)):
                record(run.limit("mm", side, "0.5", f"{price * k:.1f}", f"mm{i}{side}"))
        else:
            account = rng.choice(accounts)
            side = rng.choice(["BUY", "SELL"])
            qty = f"{rng.choice([0.01, 0.05, 0.2, 1.0]):.3f}"
            if rng.random() < 0.5:
                record(run.market(account, side, qty, f"c{i}"))
            else:
                record(run.limit(account, side, qty, f"{price * rng.uniform(0.995, 1.005):.1f}", f"c{i}"))
        if i % 500 == 499:
            run.ts += HOUR_MS
    return {"build": DOMAIN_BUILD, "commands": run.seq, "events_sha256": digest.hexdigest(),
            "state_hash": run.engine.state_hash(), **counts}


if __name__ == "__main__":
    print(json.dumps(session(int(sys.argv[1]), int(sys.argv[2]))))
