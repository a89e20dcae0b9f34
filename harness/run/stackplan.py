"""A scenario's stack section → the supervisor's :class:`harness.stack.spec.StackSpec` (pure, except
:func:`write_engine_config`, which writes the scenario's engine-config overlay into the run folder)."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.scenario.durations import format_duration
from harness.scenario.model import EngineRole, Scenario
from harness.stack.spec import EngineSpec, StackSpec


def leader_color(scenario: Scenario) -> str:
    """The color that starts as leader: the one with role leader, else the first engine."""
    engines = scenario.stack.engines
    return next((e.color for e in engines if e.role is EngineRole.LEADER), engines[0].color)


def feed_args(scenario: Scenario) -> tuple[str, ...]:
    feed = scenario.stack.feed
    args = ["--interval-ms", str(max(1, round(feed.tick_interval * 1000)))]
    if feed.csv:
        args += ["--csv", feed.csv]
    else:
        args += ["--volatility", f"{feed.volatility:g}", "--jump-prob", f"{feed.jump_probability:g}"]
        if feed.jump_size:
            args += ["--jump-size", f"{feed.jump_size:g}"]
    return tuple(args)


ENGINE_CONFIG_FILE = "engine-config.yaml"


def write_engine_config(scenario: Scenario, run_dir: Path) -> Path | None:
    """``run_dir/engine-config.yaml`` = ``extends: default`` + the scenario's ``stack.engine_config``
    (the engine merges it over its built-in config: RFC 7386). None (nothing written) when the scenario
    has no overlay. OSError propagates."""
    overlay = scenario.stack.engine_config
    if not overlay:
        return None
    path = run_dir / ENGINE_CONFIG_FILE
    path.write_text(yaml.safe_dump({"extends": "default", **overlay}, sort_keys=True), encoding="utf-8")
    return path


def stack_spec(scenario: Scenario, run_dir: Path, journal: Path, *, prometheus: bool = True,
               engine_config: Path | None = None) -> StackSpec:
    engines = []
    for e in scenario.stack.engines:
        extra: tuple[str, ...] = ()
        if e.margin_queue_limit is not None:
            extra = ("--margin-queue-limit", str(e.margin_queue_limit))
        engines.append(EngineSpec(e.color, e.role.value, e.overflow_policy.value, extra_args=extra))
    return StackSpec(
        run_dir=run_dir,
        seed=scenario.seed,
        engines=tuple(engines),
        journal=journal,
        engine_config=engine_config,
        durability=scenario.stack.durability.value,
        feed_symbols=scenario.stack.feed.symbols,
        feed_args=feed_args(scenario),
        toxiproxy_url=scenario.stack.toxiproxy_url,
        prometheus=prometheus,
        prometheus_url=scenario.stack.prometheus_url,
        scrape_interval=format_duration(scenario.stack.scrape_interval),
        eval_interval=format_duration(scenario.stack.evaluation_interval),
        active_color=leader_color(scenario),
    )
