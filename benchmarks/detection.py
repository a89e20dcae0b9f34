"""Detection time of the MarginQueueOverflow alert through a real Prometheus.

A real exporter (prometheus_client, 127.0.0.1, port 0) publishes engine_margin_queue_depth and
engine_margin_queue_limit; a ManagedPrometheus scrapes it with the project's rule files. Each run
waits a seeded random fraction of the scrape interval (so the crossing falls anywhere in the
cycle), raises the depth past the limit, and measures until /api/v1/alerts shows the alert
firing; then lowers it and waits until the alert is gone. Prints one JSON object per figure.

Usage: python benchmarks/detection.py [--runs 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry, Gauge, start_http_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.observability import ManagedPrometheus, ScrapeTarget, default_rule_files, wait_for_targets_up
from harness.observability.waits import firing_alerts

ALERT = "MarginQueueOverflow"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(interval: str, runs: int, rng: random.Random) -> list[float]:
    reg = CollectorRegistry()
    depth = Gauge("engine_margin_queue_depth", "depth", ["color"], registry=reg)
    limit = Gauge("engine_margin_queue_limit", "limit", ["color"], registry=reg)
    depth.labels("blue").set(0)
    limit.labels("blue").set(1000)
    server, _ = start_http_server(0, addr="127.0.0.1", registry=reg)
    seconds = float(interval.removesuffix("ms")) / 1000 if interval.endswith("ms") else float(interval[:-1])
    samples: list[float] = []
    try:
        target = ScrapeTarget("engine-blue", f"http://127.0.0.1:{server.server_port}/metrics")
        with tempfile.TemporaryDirectory() as workdir, ManagedPrometheus(
            [target], default_rule_files(), scrape_interval=interval, eval_interval=interval, workdir=workdir
        ) as prom, httpx.Client(timeout=2.0) as http:
            wait_for_targets_up(prom.url, ["engine-blue"], timeout=30)
            for _ in range(runs):
                time.sleep(rng.uniform(0, seconds))
                start = time.monotonic()
                depth.labels("blue").set(1200)
                while ALERT not in firing_alerts(prom.url, http):
                    if time.monotonic() - start > 30:
                        raise SystemExit(f"{ALERT} did not fire within 30 s")
                    time.sleep(0.005)
                samples.append(time.monotonic() - start)
                depth.labels("blue").set(0)
                deadline = time.monotonic() + 30
                while ALERT in firing_alerts(prom.url, http) and time.monotonic() < deadline:
                    time.sleep(0.01)
    finally:
        server.shutdown()
        server.server_close()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for interval, runs in (("250ms", args.runs), ("1s", max(5, args.runs // 2))):
        samples = measure(interval, runs, rng)
        for name, value in (("median", statistics.median(samples)), ("p90", _quantile(samples, 0.9)),
                            ("max", max(samples))):
            print(json.dumps({"figure": f"mttd_{ALERT}_{interval}_{name}", "value": round(value, 3),
                              "unit": "s", "target": 3.0, "runs": len(samples),
                              "scrape_and_eval_interval": interval}), flush=True)


if __name__ == "__main__":
    main()
