"""Probes around an engine under load (benchmark code): CPU placement, CPU accounting per window,
and a /metrics scraper like a game day's Prometheus.

Linux only (/proc, sched_setaffinity); a thread that ends while being pinned is skipped; a scrape
that fails or exceeds 250 ms counts as a timeout, never stops the probe.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

from bench_common import cpu_seconds

ENGINE_CPU, LOAD_CPU = 0, 1


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2


def cpu_busy_steal_seconds() -> dict[int, tuple[float, float]]:
    """(busy, steal) seconds per CPU since boot (/proc/stat): busy is all but idle and iowait, steal
    included; steal is the time the hypervisor ran something else while this CPU had work."""
    busy = {}
    tick = os.sysconf("SC_CLK_TCK")
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            values = [int(v) for v in fields]
            busy[int(name[3:])] = ((sum(values[:8]) - values[3] - values[4]) / tick, values[7] / tick)
    return busy


class CpuWatch:
    """Engine CPU seconds and every CPU's busy share over the measured window (``begin``/``end``):
    with the engine pinned, the busy share of its CPU minus its own share is other processes'
    load (the figure is then the engine's under contention, and the row says how much). Steal
    (a virtual machine's CPU taken by the host while it had work) is reported per CPU: the engine
    gets that much less of its core, and its process CPU time does not show it."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fields: dict[str, object] = {}

    def begin(self) -> None:
        self._t, self._engine, self._busy = time.monotonic(), cpu_seconds(self.pid), cpu_busy_steal_seconds()

    def end(self, pinned: bool) -> None:
        wall = time.monotonic() - self._t
        engine = cpu_seconds(self.pid) - self._engine
        busy = cpu_busy_steal_seconds()
        before = {cpu: self._busy.get(cpu, (0.0, 0.0)) for cpu in busy}
        share = {cpu: round((busy[cpu][0] - before[cpu][0]) / wall, 2) for cpu in busy}
        stolen = {cpu: round((busy[cpu][1] - before[cpu][1]) / wall, 2) for cpu in busy}
        self.fields = {"engine_cpu_s": engine, "cpu_busy_share": share, "cpu_steal_share": stolen}
        if pinned:
            self.fields["other_load_on_engine_cpu"] = round(max(0.0, share[ENGINE_CPU] - engine / wall), 2)


def pin_process(pid: int, cpu: int) -> None:
    """Pin every thread of ``pid`` (threads started later inherit it from their creator)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), {cpu})
        except ProcessLookupError:
            pass  # the thread ended meanwhile


_SNAPSHOT_IN_PROGRESS = re.compile(r"^engine_snapshot_in_progress\{[^}]*\} 1(?:\.0)?$", re.MULTILINE)


class ScrapeProbe:
    """Scrape /metrics every 250 ms with a 250 ms timeout (as the game day's Prometheus does) in a
    thread while load runs; reports scrape latency and timeouts, and keeps each scrape's start
    (CLOCK_MONOTONIC) to line stalls up with scrapes, and the starts of those that saw a snapshot
    in progress (``engine_snapshot_in_progress`` 1)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self.starts: list[float] = []
        self.snapshot_seen: list[float] = []
        self.timeouts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=0.25) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                self.starts.append(started)
                try:
                    r = client.get(self.url + "/metrics")
                    r.raise_for_status()
                    self.latencies.append(time.monotonic() - started)
                    if _SNAPSHOT_IN_PROGRESS.search(r.text):
                        self.snapshot_seen.append(started)
                except httpx.HTTPError:
                    self.timeouts += 1
                self._stop.wait(max(0.0, 0.25 - (time.monotonic() - started)))

    def __enter__(self) -> ScrapeProbe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies) or [float("nan")]
        return {"scrapes": len(self.latencies), "scrape_timeouts": self.timeouts,
                "scrape_p50_ms": round(lat[len(lat) // 2] * 1000, 2),
                "scrape_max_ms": round(lat[-1] * 1000, 2)}
