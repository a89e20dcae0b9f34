"""Requests/s one Locust process (FastHttpUser, the game-day locustfile) achieves against a trivial
local server (harness.load.stub_engine, uvloop) vs ``--processes 2``, in the same run.

The machine has 2 shared cores: the server and the Locust processes compete for them (and with
anything else running), so the 2-process figure is bounded by the server as much as by Locust.
Prints one JSON object per figure per line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.load.config import LoadConfig
from harness.load.runner import LoadOptions, run_load

RUN_SECONDS = 8
USERS = 40


def _rps(out_dir: Path) -> float:
    entries = json.loads((out_dir / "locust.json").read_text())
    starts = [e["start_time"] for e in entries]
    ends = [e["last_request_timestamp"] for e in entries if e.get("last_request_timestamp")]
    total = sum(int(e["num_requests"]) for e in entries)
    return float(total / max(1e-9, max(ends) - min(starts)))


def _measure(url: str, processes: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = LoadConfig(run_id=f"bench{processes}", out_dir=tmp, accounts=100, timeout_seconds=5.0)
        result = run_load(LoadOptions(host=url, config=cfg, users=USERS, spawn_rate=USERS,
                                      run_time=RUN_SECONDS, processes=processes))
        if result.exit_code != 0 or result.totals.requests == 0:
            raise SystemExit(f"load run failed: {result}")
        return _rps(Path(tmp))


def main() -> None:
    argv = [sys.executable, "-m", "harness.load.stub_engine"]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[1]
        one = _measure(url, 1)
        two = _measure(url, 2)
    finally:
        server.terminate()
        server.wait(timeout=10)
    note = "2 shared cores: server + locust compete; noisy under contention"
    print(json.dumps({"figure": "locust_rps_1_process", "value": round(one), "unit": "req/s",
                      "target": 3000, "note": note}))
    print(json.dumps({"figure": "locust_rps_2_processes", "value": round(two), "unit": "req/s",
                      "target": 6000, "baseline": round(one), "ratio": round(two / one, 2), "note": note}))


if __name__ == "__main__":
    main()
