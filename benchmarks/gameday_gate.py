"""Figures of a whole game day: `gameday gate scenarios/binance-um-2025.yaml` wall time, MTTD of
MarginQueueOverflow at 250 ms scrape/evaluation, and lost acknowledged orders (one JSON line each).

Usage: python benchmarks/gameday_gate.py [SCENARIO] [--profile ci]. Runs the real stack (about two
minutes for the full profile); run folders go to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("scenario", nargs="?", default="scenarios/binance-um-2025.yaml")
    p.add_argument("--profile")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="gameday-bench-") as tmp:
        cmd = [sys.executable, "-m", "harness.cli", "gate", args.scenario, "--runs-dir", tmp, "--quiet",
               "--junit", str(Path(tmp) / "junit.xml")]
        if args.profile:
            cmd += ["--profile", args.profile]
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        reports = list(Path(tmp).glob("*/report.json"))
        report = json.loads(reports[0].read_text()) if reports else {}
    figures = report.get("figures", {})
    print(json.dumps({"figure": "gate_wall_seconds", "value": round(wall, 1), "unit": "s", "target": 120,
                      "exit_code": proc.returncode, "verdict": report.get("verdict")}))
    for alert, mttd in (figures.get("mttd_seconds") or {}).items():
        print(json.dumps({"figure": f"mttd_{alert}", "value": mttd, "unit": "s",
                          "target": 3.0 if alert == "MarginQueueOverflow" else None}))
    print(json.dumps({"figure": "lost_acknowledged_orders", "value": figures.get("lost_orders"),
                      "unit": "orders", "target": 0}))
    if figures.get("rollback_seconds") is not None:
        print(json.dumps({"figure": "rollback_seconds", "value": figures["rollback_seconds"], "unit": "s"}))
    return 0 if proc.returncode in (0, 1, 2) else 1


if __name__ == "__main__":
    sys.exit(main())
