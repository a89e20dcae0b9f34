"""HTTP figures of one engine process (``margin-engine serve``, journal on local disk).

Load comes from benchmarks/loadgen_http.py (raw asyncio HTTP/1.1 on uvloop) in separate
processes. With 2+ CPUs the engine (every thread) is pinned to CPU 0 and the generators, this
process and its /metrics probe to CPU 1 ("load generated on the other core"); otherwise nothing
is pinned and the rows say so.
1. closed loop at each C in ``connections`` -> the best rate is ``engine_http_orders_per_s_max``.
2. ``rounds`` open loops, each at 80 % of a closed loop run just before it at the best connection
   count (the first round reuses the sweep's best), latency from the scheduled send time ->
   ``engine_http_p99_ms_at_80pct``: the median round's p99, with p50/p90/p99.9/max, errors and
   achieved rate of that round, every round's closed rate, p99 and engine CPU, and a closed loop
   after the rounds (how far the host's speed drifted meanwhile). Then, as context only, one open
   loop at 4,000/s (80 % of the issue's 5,000/s floor) -> ``engine_http_p99_ms_at_80pct_of_floor``.
Each round also names the closed loop that came next and its open loop's rate over that one
(``load_on_next_closed``): a shared VM's speed moves tens of percent within a minute
(host_speed.py), so "80 % of the maximum" measured before the open loop can be 90-100 % of the
capacity the open loop met.
Throughout, a thread scrapes /metrics every 250 ms with a 250 ms timeout (as a game day's
Prometheus does) -> ``engine_metrics_scrape_ms_under_load``; the open loop's slowest requests are
checked against the scrape times, for episodes and for a phase of 250 ms / 500 ms / 1 s
(loadgen_stats.stall_analysis).
Every row carries what a reader needs to trust it: the generator's CPU share (well below 1: the
figure is the engine's), the engine's CPU share and microseconds per order, every CPU's busy
share and the other processes' load on the engine's CPU (the machine is shared), and the periodic
snapshots (every 100,000 commands: a forked child at nice 19 dumps, hashes and compresses the state;
with pinning it runs on the CPUs other than the engine's) that fell in the window, with the
cost of one admin snapshot of the state the load left.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bench_common import emit, engine_argv, start
from bench_probes import ENGINE_CPU, LOAD_CPU, CpuWatch, ScrapeProbe, can_pin, pin_process
from loadgen_stats import merge, outside_windows_p99_ms, snapshot_windows, stall_analysis

LOADGEN = Path(__file__).with_name("loadgen_http.py")
ACCOUNTS = 200
RATE_FLOOR = 5000  # the floor for the maximum rate (orders/s)
SNAPSHOT_EVERY = 100_000  # the engine's default --snapshot-every


@dataclass(frozen=True)
class HttpPlan:
    seconds: float
    warmup_s: float
    connections: tuple[int, ...]
    depth: int = 1
    procs: int = 1
    min_sleep_ms: float = 1.0
    pin: bool = True
    rounds: int = 1  # open loops, each at 80 % of a closed loop run just before it


def http_server_choices() -> tuple[str, ...]:
    """The engine's ``serve --http-server`` choices, () when the option does not exist."""
    out = subprocess.run(
        [sys.executable, "-m", "target_engine.service", "serve", "--help"],
        capture_output=True, text=True, timeout=60, check=False,
    ).stdout
    found = re.search(r"--http-server \{([^}]*)\}", out)
    return tuple(found.group(1).split(",")) if found else ()


def run_loadgen(mode: str, url: str, plan: HttpPlan, conns: int, seconds: float, start_id: int,
                rate: float = 0.0, pinned: bool = True, watch: CpuWatch | None = None) -> dict[str, object]:
    """``plan.procs`` generator processes sharing ``conns`` and the schedule; merged result (with
    ``watch``'s fields, taken from the common start time for ``seconds``). A generator that fails
    stops the benchmark with its stderr."""
    t0 = time.monotonic() + 0.6 + conns * 0.002  # interpreter start-up and connects
    procs = []
    outs = []
    for _ in range(plan.procs):
        fd, name = tempfile.mkstemp(prefix="loadgen-", suffix=".json")
        os.close(fd)
        outs.append(Path(name))
    for k in range(plan.procs):
        argv = [sys.executable, str(LOADGEN), mode, url, "--conns", str(max(1, conns // plan.procs)),
                "--depth", str(plan.depth), "--seconds", str(seconds), "--start-id",
                str(start_id + k * 10**8), "--t0", str(t0), "--samples", "--procs", str(plan.procs),
                "--index", str(k), "--rate", str(rate or 1), "--min-sleep-ms", str(plan.min_sleep_ms),
                "--out", str(outs[k])]
        if pinned:
            argv += ["--cpu", str(LOAD_CPU)]
        procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    if watch is not None:
        time.sleep(max(0.0, t0 - time.monotonic()))
        watch.begin()
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))
        watch.end(pinned)
    results = []
    for proc, out in zip(procs, outs, strict=True):
        _, err = proc.communicate(timeout=seconds + 120)
        text = out.read_text()
        out.unlink()
        if proc.returncode != 0 or not text:
            raise SystemExit(f"load generator failed ({proc.returncode}): {err[-2000:]}")
        results.append(json.loads(text))
    merged = merge(results)
    merged.update(watch.fields if watch is not None else {})
    return merged


def _seq(url: str) -> int:
    import httpx

    return int(httpx.get(url + "/v1/state?hash=false", timeout=10).json()["seq"])


def _commit_totals(url: str) -> tuple[float, float, float]:
    """(group commits, commands committed, seconds spent committing) so far, from /metrics."""
    import httpx

    text = httpx.get(url + "/metrics", timeout=10).text
    found: dict[str, float] = {}
    for name in ("engine_journal_batch_size_count", "engine_journal_batch_size_sum",
                 "engine_journal_commit_duration_seconds_sum"):
        match = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.MULTILINE)
        found[name] = float(match.group(1)) if match else 0.0
    return (found["engine_journal_batch_size_count"], found["engine_journal_batch_size_sum"],
            found["engine_journal_commit_duration_seconds_sum"])


def _commit_stats(before: tuple[float, float, float], after: tuple[float, float, float],
                  seconds: float) -> dict[str, object]:
    """Group commits in a window: how many per second, commands per commit, mean commit time
    (the per-batch cost is paid once per commit: fewer, larger commits cost less per order)."""
    commits, commands, spent = (a - b for a, b in zip(after, before, strict=True))
    return {"commits_per_s": round(commits / seconds, 1),
            "commands_per_commit": round(commands / commits, 1) if commits else None,
            "commit_ms_mean": round(spent * 1000 / commits, 2) if commits else None}


def _snapshot_cost(url: str, seq: int) -> dict[str, object]:
    """One admin snapshot of the state the load left (what a periodic one costs at this size:
    the fork, then the row write on the commit thread; the dump runs in the forked child)."""
    import httpx

    started = time.monotonic()
    r = httpx.post(url + "/admin/snapshot", timeout=30)
    took = (time.monotonic() - started) * 1000
    size = r.json().get("bytes") if r.status_code == 200 else None
    return {"status": r.status_code, "round_trip_ms": round(took, 1), "bytes": size, "seq": seq}


def _hash_seconds(client: Any) -> float:
    """Event-loop seconds spent on state hashes so far (engine_state_hash_duration_seconds_sum)."""
    found = re.search(r"^engine_state_hash_duration_seconds_sum(?:{[^}]*})? ([0-9.e+-]+)$",
                      client.get("/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def _state_cost(url: str) -> dict[str, object]:
    """``GET /v1/state`` on the state the load left: without the hash (median of 5), then with it
    (nothing cached: the state changed since any earlier hash), while another client polls
    ``?hash=false`` -> the hash's round trip, what the event loop spent on it (the metric), and the
    slowest poll meanwhile (what other requests waited)."""
    import httpx

    with httpx.Client(base_url=url, timeout=30) as client:
        cheap = []
        for _ in range(5):
            started = time.monotonic()
            seq = client.get("/v1/state", params={"hash": "false"}).json()["seq"]
            cheap.append((time.monotonic() - started) * 1000)
        loop0 = _hash_seconds(client)
        done = threading.Event()
        polls: list[float] = []

        def poll() -> None:
            with httpx.Client(base_url=url, timeout=30) as poller:
                while not done.is_set():
                    t = time.monotonic()
                    try:
                        poller.get("/v1/state", params={"hash": "false"})
                    except httpx.HTTPError:  # the hash request's failure is the one reported
                        return
                    polls.append((time.monotonic() - t) * 1000)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        time.sleep(0.05)
        started = time.monotonic()
        # past the hash child's own 120 s limit the engine hashes on its loop and answers anyway
        client.get("/v1/state", timeout=180)
        hashed = (time.monotonic() - started) * 1000
        done.set()
        poller.join(30)
        loop_ms = (_hash_seconds(client) - loop0) * 1000
    return {"hash_ms": round(hashed, 1), "no_hash_ms": round(sorted(cheap)[2], 2), "seq": seq,
            "loop_ms": round(loop_ms, 2), "slowest_poll_ms": round(max(polls, default=0.0), 1),
            "polls": len(polls)}


def _measured(mode: str, url: str, plan: HttpPlan, conns: int, start_id: int, pinned: bool, pid: int,
              rate: float = 0.0) -> dict[str, object]:
    """One closed loop at ``conns`` connections, or open loop at ``rate``: rate, latency (open: from
    the scheduled send times), CPU, commits, snapshots, scrapes; for an open loop also where the
    slowest requests fell (scrapes, snapshots)."""
    seq0, totals0 = _seq(url), _commit_totals(url)
    with ScrapeProbe(url) as probe:
        res = run_loadgen(mode, url, plan, conns, plan.seconds, start_id, rate=rate, pinned=pinned,
                          watch=CpuWatch(pid))
    res["commits"] = _commit_stats(totals0, _commit_totals(url), plan.seconds)
    res["snapshots_during"] = _seq(url) // SNAPSHOT_EVERY - seq0 // SNAPSHOT_EVERY
    res.update(probe.summary())
    samples = res.pop("samples", None)
    if mode == "open":
        assert isinstance(samples, list)
        res["stalls"] = stall_analysis(samples, _f(res, "t0"), probe.starts)
        windows = snapshot_windows(probe.snapshot_seen, _f(res, "t0"))
        res["snapshot_windows_s"] = windows
        res["p99_ms_outside_snapshots"] = outside_windows_p99_ms(samples, windows, after_s=0.5)
    return res


def _round_summary(closed: dict[str, object], opened: dict[str, object], closed_next: dict[str, object],
                   seconds: float) -> dict[str, object]:
    """One round: its closed loop (the 80 % base), its open loop, and the closed loop that came next
    (the next round's base, or the one after the rounds). The capacity a round's open loop met lies
    between the two: ``load_on_next_closed`` is its rate over the next closed loop's (on a host
    whose speed moved meanwhile, "80 % of the maximum" was that much of the capacity it met)."""
    return {"closed_rate": round(_f(closed, "rate")), "closed_us_per_order": us_per_order(closed),
            "closed_snapshots_during": closed["snapshots_during"],
            "rate": round(_f(opened, "rate")), "p50_ms": opened.get("p50_ms"), "p99_ms": opened["p99_ms"],
            "engine_cpu_share": round(_f(opened, "engine_cpu_s") / seconds, 2),
            "engine_cpu_us_per_order": us_per_order(opened), "snapshots_during": opened["snapshots_during"],
            "dispatch_lag_p99_ms": opened.get("dispatch_lag_p99_ms"),
            "closed_rate_next": round(_f(closed_next, "rate")),
            "load_on_next_closed": load_on(opened, closed_next)}


def load_on(opened: dict[str, object], closed_next: dict[str, object]) -> float:
    """An open loop's rate over the closed loop that came after it: the share of the capacity it met."""
    return round(_f(opened, "rate") / max(_f(closed_next, "rate"), 1.0), 2)


def fund(url: str) -> None:
    """The benchmark's market: an index price, and ``ACCOUNTS`` funded accounts ``b0``...."""
    import httpx

    with httpx.Client(base_url=url, timeout=10.0) as client:
        price = client.put("/admin/index-price", json={"symbol": "BTCUSDT", "price": "60000"})
        assert price.status_code == 200, price.text
        for i in range(ACCOUNTS):
            r = client.post(f"/v1/accounts/b{i}/deposits", json={"asset": "USDT", "amount": "100000000"})
            assert r.status_code == 200, r.text


def _f(d: dict[str, object], key: str) -> float:
    value = d[key]
    assert isinstance(value, int | float), (key, value)
    return float(value)


Result = dict[str, object]  # one measured loop (_measured)


@dataclass(frozen=True)
class Phases:
    closed: list[Result]  # the sweep, one per connection count
    best: Result  # the sweep's best
    pairs: list[tuple[Result, Result]]  # per round: its closed base, its open loop at 80 % of it
    closed_after: Result
    at_floor: Result


class Interleaved(Protocol):
    """Another server measured between the engine's rounds (reference_http.Reference)."""

    def start(self, target_us: float, conns: int) -> None: ...

    def round(self) -> None: ...


def _phases(url: str, plan: HttpPlan, pinned: bool, pid: int, beside: Interleaved | None) -> Phases:
    """The load phases on one funded engine: warm-up, the closed sweep, the rounds (closed, then open
    at 80 % of it; ``beside`` starts after the sweep and runs a round after each), a closed loop
    after them, and the open loop at 80 % of the floor."""
    run_loadgen("closed", url, plan, 16, plan.warmup_s, 0, pinned=pinned)
    closed = [_measured("closed", url, plan, conns, 10_000_000 * (i + 1), pinned, pid)
              for i, conns in enumerate(plan.connections)]
    best = max(closed, key=lambda r: _f(r, "rate"))
    conns = int(_f(best, "connections"))
    if beside is not None:
        beside.start(us_per_order(best), conns)
    pairs: list[tuple[Result, Result]] = []
    for k in range(plan.rounds):
        # each round's open loop runs at 80 % of a closed loop measured just before it, so a
        # host that slowed down (or sped up) since the sweep does not skew the ratio
        base = best if k == 0 else _measured("closed", url, plan, conns, 50_000_000 + 10**7 * k, pinned, pid)
        pairs.append((base, _measured("open", url, plan, max(conns, 64), 900_000_000 + k * 10**7, pinned,
                                      pid, rate=0.8 * _f(base, "rate"))))
        if beside is not None:
            beside.round()
    closed_after = _measured("closed", url, plan, conns, 80_000_000, pinned, pid)
    # context, not the figure: the latency at 80 % of the floor, a fixed rate whatever this host's
    # maximum is in this minute
    at_floor = _measured("open", url, plan, max(conns, 64), 950_000_000, pinned, pid, rate=0.8 * RATE_FLOOR)
    return Phases(closed, best, pairs, closed_after, at_floor)


def bench_http(tmp: Path, plan: HttpPlan, durability: str, server: str | None,
               beside: Interleaved | None = None) -> dict[str, object]:
    """One engine (``--http-server server`` when given): warm-up, closed loops, open loops at 80 %
    (with ``beside``'s rounds between them, see ``_phases``)."""
    import httpx

    pinned = plan.pin and can_pin()
    saved = os.sched_getaffinity(0) if pinned else set()
    if pinned:
        os.sched_setaffinity(0, {LOAD_CPU})  # this thread; the probe threads inherit it
    extra = ["--http-server", server] if server else []
    proc, url = start(
        engine_argv(tmp / f"http-{durability}-{server}.sqlite", "blue", "leader", "--inbound-limit",
                    "20000", "--margin-queue-limit", "100000", "--durability", durability, *extra),
        tmp / "http.log",
    )
    try:
        if pinned:
            pin_process(proc.pid, ENGINE_CPU)
        with httpx.Client(base_url=url, timeout=5.0) as client:
            header = client.get("/healthz").headers.get("server", "")
        fund(url)
        name = server or ("uvicorn" if header.lower().startswith("uvicorn") else header or "builtin")
        phases = _phases(url, plan, pinned, proc.pid, beside)
        pairs = phases.pairs
        rounds = [opened for _, opened in pairs]
        opened = sorted(rounds, key=lambda r: _f(r, "p99_ms"))[len(rounds) // 2]  # the median round
        nexts = [base for base, _ in pairs[1:]] + [phases.closed_after]
        opened["rounds"] = [_round_summary(base, o, closed_next, plan.seconds)
                            for (base, o), closed_next in zip(pairs, nexts, strict=True)]
        opened["closed_rate_after"] = round(_f(phases.closed_after, "rate"))
        opened["at_floor"] = phases.at_floor
        opened["state"] = _state_cost(url)
        opened["snapshot"] = _snapshot_cost(url, _seq(url))
    finally:
        proc.terminate()
        proc.wait(20)
        if pinned:
            os.sched_setaffinity(0, saved)
    return {"http_server": name, "durability": durability, "pinned": pinned, "closed": phases.closed,
            "best": phases.best, "open": opened, "plan": plan}


def us_per_order(res: dict[str, object]) -> float:
    """Server CPU (the engine's, or the reference server's) over the measured window per request
    answered in it (about: answers to requests in flight at its end count too)."""
    return round(_f(res, "engine_cpu_s") * 1e6 / max(_f(res, "answered"), 1), 1)


def against_reference(p99: float, reference: dict[str, object] | None) -> dict[str, object]:
    """The p99 row's fields from the reference server's run (none without one)."""
    if reference is None:
        return {}
    ref = _f(reference, "value")
    return {"reference_p99_ms": ref, "ratio_to_reference": round(p99 / ref, 2) if ref else None,
            "reference_what": "reference_http_p99_ms_at_80pct: the same protocol against a server "
            "with a constant cost per request, in this run"}


def emit_http(res: dict[str, object], suffix: str, baseline: dict[str, object] | None = None,
              reference: dict[str, object] | None = None) -> None:
    """The three HTTP rows (figure names as before, + ``suffix``); ``baseline``: the same
    measurement with another HTTP server in this run -> baseline and ratio fields; ``reference``:
    reference_http.py's result in this run -> the p99 row's ``reference_p99_ms`` and the engine's
    ratio to it (how much of the p99 is the engine's rather than the host's)."""
    best, opened, plan = res["best"], res["open"], res["plan"]
    closed = res["closed"]
    assert isinstance(best, dict) and isinstance(opened, dict) and isinstance(plan, HttpPlan)
    assert isinstance(closed, list)
    common: dict[str, object] = {
        "durability": res["durability"], "http_server": res["http_server"],
        "pinning": f"engine cpu {ENGINE_CPU}, loadgen cpu {LOAD_CPU}" if res["pinned"]
        else f"none ({os.cpu_count()} cpu)",
        "pipeline_depth": plan.depth, "loadgen_procs": plan.procs, "min_sleep_ms": plan.min_sleep_ms,
    }

    def versus(kind: str, key: str, value: float) -> dict[str, object]:
        if baseline is None:
            return {}
        other = baseline[kind]
        assert isinstance(other, dict)
        base = _f(other, key)
        return {"baseline": round(base, 3), "baseline_what": f"http_server={baseline['http_server']}",
                "ratio": round(value / base, 3) if base else None}

    rate = _f(best, "rate")
    emit(f"engine_http_orders_per_s_max{suffix}", rate, "orders/s", RATE_FLOOR, **common,
         connections=best["connections"],
         rates_by_connections={str(r["connections"]): round(_f(r, "rate")) for r in closed},
         non_2xx_4xx=best["errors"], statuses=best["statuses"],
         engine_cpu_share=round(_f(best, "engine_cpu_s") / plan.seconds, 2),
         engine_cpu_us_per_order=us_per_order(best), loadgen_cpu_share=best["loadgen_cpu_share"],
         closed_p50_ms=best.get("p50_ms"), closed_p99_ms=best.get("p99_ms"),
         cpu_busy_share=best["cpu_busy_share"], other_load_on_engine_cpu=best.get("other_load_on_engine_cpu"),
         cpu_steal_share=best.get("cpu_steal_share"),
         snapshots_during=best["snapshots_during"], commits=best["commits"],
         snapshots_by_connections={str(r["connections"]): r["snapshots_during"] for r in closed},
         load="closed loop, raw asyncio HTTP/1.1 on uvloop, keep-alive, separate process",
         **versus("best", "rate", rate))
    emit(f"engine_metrics_scrape_ms_under_load{suffix}", _f(best, "scrape_p50_ms"), "ms", 250, **common,
         scrapes=best["scrapes"], timeouts_250ms=best["scrape_timeouts"], max_ms=best["scrape_max_ms"],
         open_loop_scrape_p50_ms=opened["scrape_p50_ms"], open_loop_scrape_max_ms=opened["scrape_max_ms"],
         open_loop_timeouts_250ms=opened["scrape_timeouts"])
    p99 = _f(opened, "p99_ms")
    p99s = [_f(r, "p99_ms") for r in opened["rounds"]] if isinstance(opened["rounds"], list) else []
    emit(f"engine_http_p99_ms_at_80pct{suffix}", p99, "ms", 25, **common,
         what=f"median of {len(p99s)} rounds; each an open loop at 80 % of a closed loop run just before it",
         rounds=opened["rounds"], worst_round_p99_ms=max(p99s), best_round_p99_ms=min(p99s),
         closed_rate_after_rounds=opened["closed_rate_after"],
         connections=opened["connections"], rate=round(_f(opened, "rate")),
         achieved_rate=round(_f(opened, "achieved_rate")),
         **{k: opened.get(k) for k in ("p50_ms", "p90_ms", "p99.9_ms", "max_ms", "errors", "statuses",
                                       "timeouts", "backlogged", "dispatch_lag_p99_ms", "loadgen_cpu_share")},
         engine_cpu_share=round(_f(opened, "engine_cpu_s") / plan.seconds, 2),
         engine_cpu_us_per_order=us_per_order(opened), cpu_busy_share=opened["cpu_busy_share"],
         cpu_steal_share=opened.get("cpu_steal_share"),
         other_load_on_engine_cpu=opened.get("other_load_on_engine_cpu"),
         snapshots_during=opened["snapshots_during"], commits=opened["commits"],
         snapshot_windows_s=opened["snapshot_windows_s"],
         p99_ms_outside_snapshots=opened["p99_ms_outside_snapshots"],
         snapshot_at_end=opened["snapshot"],
         stalls=opened["stalls"],
         **versus("open", "p99_ms", p99), **against_reference(p99, reference))
    floor = opened["at_floor"]
    assert isinstance(floor, dict)
    emit(f"engine_http_p99_ms_at_80pct_of_floor{suffix}", _f(floor, "p99_ms"), "ms", None, **common,
         what=f"one open loop at {0.8 * RATE_FLOOR:.0f}/s, 80 % of the {RATE_FLOOR}/s floor (context for "
         "the figure above, not the figure)",
         rate=round(_f(floor, "rate")), achieved_rate=round(_f(floor, "achieved_rate")),
         **{k: floor.get(k) for k in ("p50_ms", "p90_ms", "p99.9_ms", "max_ms", "errors")},
         engine_cpu_share=round(_f(floor, "engine_cpu_s") / plan.seconds, 2),
         engine_cpu_us_per_order=us_per_order(floor), snapshots_during=floor["snapshots_during"],
         p99_ms_outside_snapshots=floor["p99_ms_outside_snapshots"])
    state = opened["state"]
    assert isinstance(state, dict)
    emit(f"engine_state_hash_ms{suffix}", _f(state, "slowest_poll_ms"), "ms", None, **common,
         seq=state["seq"],
         what="slowest GET /v1/state?hash=false (polled back to back) while a GET /v1/state hashes the "
         "state the load left: what other requests wait for a hash",
         hash_round_trip_ms=state["hash_ms"], event_loop_ms=state["loop_ms"], polls=state["polls"],
         baseline=state["no_hash_ms"], baseline_what="GET /v1/state?hash=false alone, median of 5",
         ratio=round(_f(state, "slowest_poll_ms") / max(_f(state, "no_hash_ms"), 1e-9), 1))


def bench_loadgen_capacity(tmp: Path, plan: HttpPlan) -> None:
    """The generator's own ceiling: closed loop at 64 connections against loadgen_sink.py (a server
    that only answers 200) placed like the engine -> requests/s and generator CPU per request."""
    pinned = plan.pin and can_pin()
    argv = [sys.executable, str(LOADGEN.with_name("loadgen_sink.py"))]
    proc, url = start(argv + (["--cpu", str(ENGINE_CPU)] if pinned else []), tmp / "sink.log")
    try:
        res = run_loadgen("closed", url, plan, 64, min(plan.seconds, 3.0), 0, pinned=pinned)
    finally:
        proc.terminate()
        proc.wait(10)
    emit("loadgen_http_capacity_per_s", _f(res, "rate"), "requests/s", None,
         what="closed loop, 64 connections, against a sink that only answers 200 (not the engine)",
         loadgen_cpu_share=res["loadgen_cpu_share"], loadgen_procs=plan.procs, pipeline_depth=plan.depth,
         loadgen_cpu_us_per_request=round(_f(res, "loadgen_cpu_s") * 1e6 / max(_f(res, "answered"), 1), 1),
         pinning=f"sink cpu {ENGINE_CPU}, loadgen cpu {LOAD_CPU}" if pinned else "none")
