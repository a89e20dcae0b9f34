"""The Locust load of a scenario: LoadConfig and LoadOptions, with load spikes folded into the shape.

Pure. A ``load_spike`` fault raises the user count during its window; with neither a stepped shape
nor spikes the load is a constant ``users`` for ``run_time`` seconds.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from harness.load.config import LoadConfig, Step, TaskMix
from harness.load.runner import LoadOptions
from harness.scenario.model import Scenario

# Think time per simulated user (seconds): ~10 operations/s per user, so a 2-core machine keeps
# headroom for the engines, the gateway and Prometheus (an unpaced user saturates a core).
PACING = (0.05, 0.15)


def shape_steps(scenario: Scenario, run_time: float, offset: float = 0.0) -> tuple[Step, ...]:
    """Stepped shape over ``[0, run_time)`` from the scenario's shape and its load spikes, whose times
    are on the scenario clock: ``offset`` is the scenario time at which Locust starts."""
    load = scenario.load
    spikes = [f for f in scenario.faults if f.kind == "load_spike"]
    if not load.shape and not spikes:
        return ()
    bases = sorted(((max(0.0, s.at - offset), s.users, s.spawn_rate) for s in load.shape),
                   key=lambda x: x[0])
    if not bases or bases[0][0] > 0:
        bases.insert(0, (0.0, load.users, load.spawn_rate))
    points = {0.0, *(b[0] for b in bases)}
    spans = [(max(0.0, f.at - offset), (f.end - offset) if f.end is not None else run_time, f)
             for f in spikes]
    for at, end, _f in spans:
        points.add(at)
        points.add(end)
    cuts = [*sorted(p for p in points if 0 <= p < run_time), run_time]
    steps: list[Step] = []
    for start, end in itertools.pairwise(cuts):
        if end <= start:
            continue
        users, rate = next(((u, r) for at, u, r in reversed(bases) if at <= start),
                           (load.users, load.spawn_rate))
        for fat, fend, f in spans:
            if fat <= start < fend:
                users = max(users, int(f.params["users"]))
                rate = max(rate, float(f.params.get("spawn_rate", rate)))
        steps.append(Step(end - start, users, rate))
    return tuple(steps)


def load_options(scenario: Scenario, host: str, out_dir: Path, run_id: str, run_time: float, *,
                 offset: float = 0.0) -> LoadOptions:
    load = scenario.load
    mix = dict(load.mix)
    config = LoadConfig(
        run_id=run_id,
        out_dir=str(out_dir),
        seed=scenario.seed,
        accounts=load.accounts,
        mix=TaskMix(**{op: int(mix.get(op, 0)) for op in ("place", "cancel", "query", "deposit")}),
        steps=shape_steps(scenario, run_time, offset),
        timeout_seconds=5.0,
        wait_min=PACING[0],
        wait_max=PACING[1],
    )
    return LoadOptions(host=host, config=config, users=load.users, spawn_rate=load.spawn_rate,
                       run_time=run_time, workers=load.workers, grace_seconds=30.0, stop_timeout=10.0)
