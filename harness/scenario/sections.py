"""Validation of each top-level section of a scenario file into its model value."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from harness.scenario.faults import FAULT_KINDS
from harness.scenario.model import (
    COLORS,
    AnalysisCheck,
    CheckKind,
    Detection,
    Durability,
    EngineRole,
    EngineSpec,
    FaultSpec,
    FeedSpec,
    IntegritySpec,
    LoadSpec,
    LoadStep,
    NoDataPolicy,
    OverflowPolicy,
    Probe,
    RampSpec,
    Remediation,
    RemediationAction,
    ReportSpec,
    SetupOrder,
    SetupSpec,
    StackSpec,
    Tolerance,
)
from harness.scenario.reader import Reader, join

LOAD_OPS = ("place", "cancel", "query", "deposit")
TRADING_MODES = ("normal", "cancel_only", "post_only", "reduce_only", "halted")
REPORT_FORMATS = ("json", "junit", "html")
_URL_PREFIXES = ("http://", "https://")


def _endpoint(r: Reader, obj: Mapping[str, Any], key: str, path: str, local: str) -> str | None:
    """``managed``/``embedded`` (ours) or an http(s) URL (the user's)."""
    val = obj.get(key, local)
    if val == local:
        return None
    if isinstance(val, Mapping):
        sub = r.mapping(val, join(path, key), ("url",), ("url",))
        val = sub.get("url")
    if not isinstance(val, str) or not val.startswith(_URL_PREFIXES):
        r.error(join(path, key), f"must be {local!r} or an http(s) URL, got {val!r}")
        return None
    return val


def stack(r: Reader, raw: Any, path: str = "stack") -> StackSpec:
    m = r.mapping(raw, path, ("engines", "toxiproxy", "prometheus", "scrape_interval",
                              "evaluation_interval", "feed", "engine_config", "durability"))
    engines_raw = r.mapping(m.get("engines") or {"blue": {"role": "leader"}}, join(path, "engines"), COLORS)
    engines = []
    for color, spec in engines_raw.items():
        epath = join(join(path, "engines"), color)
        e = r.mapping(spec, epath, ("overflow_policy", "role", "margin_queue_limit"))
        engines.append(EngineSpec(
            color=color,
            overflow_policy=OverflowPolicy(
                r.string(e, "overflow_policy", epath, "halt", tuple(OverflowPolicy))),
            role=EngineRole(r.string(e, "role", epath, "auto", tuple(EngineRole))),
            margin_queue_limit=r.number(e, "margin_queue_limit", epath, None, lo=1, integer=True),
        ))
    leaders = [e.color for e in engines if e.role is EngineRole.LEADER]
    if len(leaders) > 1:
        r.error(join(path, "engines"), f"at most one engine may have role leader, got {leaders}")
    fpath = join(path, "feed")
    f = r.mapping(m.get("feed"), fpath, ("symbols", "volatility", "jump_probability", "jump_size",
                                           "tick_interval", "csv"))
    symbols = tuple(str(s) for s in r.seq(f, "symbols", fpath)) or FeedSpec.symbols
    feed = FeedSpec(
        symbols=symbols,
        volatility=float(r.number(f, "volatility", fpath, 0.0005, lo=0.0, hi=1.0)),
        jump_probability=float(r.number(f, "jump_probability", fpath, 0.0, lo=0.0, hi=1.0)),
        jump_size=float(r.number(f, "jump_size", fpath, 0.0, lo=-1.0, hi=1.0)),
        tick_interval=r.duration(f, "tick_interval", fpath, 0.25, positive=True),
        csv=r.string(f, "csv", fpath, None),
    )
    return StackSpec(
        engines=tuple(engines),
        toxiproxy_url=_endpoint(r, m, "toxiproxy", path, "embedded"),
        prometheus_url=_endpoint(r, m, "prometheus", path, "managed"),
        scrape_interval=r.duration(m, "scrape_interval", path, 0.25, positive=True),
        evaluation_interval=r.duration(m, "evaluation_interval", path, 0.25, positive=True),
        feed=feed,
        durability=Durability(r.string(m, "durability", path, "power", tuple(Durability))),
        engine_config=engine_config(r, m.get("engine_config"), join(path, "engine_config")),
    )


def engine_config(r: Reader, raw: Any, path: str) -> dict[str, Any]:
    """The overlay's shape (``engine`` mapping, ``instruments`` symbol -> mapping); the engine itself
    validates the fields when it starts, naming them."""
    m = r.mapping(raw, path, ("engine", "instruments"))
    r.mapping(m.get("engine"), join(path, "engine"))
    instruments = r.mapping(m.get("instruments"), join(path, "instruments"))
    for symbol, spec in instruments.items():
        r.mapping(spec, join(join(path, "instruments"), symbol))
    return dict(m)


def load(r: Reader, raw: Any, path: str = "load") -> LoadSpec:
    m = r.mapping(raw, path, ("users", "spawn_rate", "accounts", "workers", "shape", "mix", "symbols"))
    shape = []
    for i, item in enumerate(r.seq(m, "shape", path)):
        spath = join(join(path, "shape"), i)
        s = r.mapping(item, spath, ("at", "users", "spawn_rate"), ("at", "users"))
        shape.append(LoadStep(
            at=r.duration(s, "at", spath, scaled=True),
            users=r.number(s, "users", spath, lo=0, integer=True),
            spawn_rate=float(r.number(s, "spawn_rate", spath, 50.0, lo=0.001)),
        ))
    if any(b.at <= a.at for a, b in itertools.pairwise(shape)):
        r.error(join(path, "shape"), "steps must be in strictly increasing 'at' order")
    mix_raw = r.mapping(m.get("mix") or {"place": 6, "cancel": 2, "query": 1, "deposit": 1},
                        join(path, "mix"), LOAD_OPS)
    mix = tuple((op, r.number(mix_raw, op, join(path, "mix"), lo=0, integer=True)) for op in mix_raw)
    if mix and sum(w for _, w in mix) <= 0:
        r.error(join(path, "mix"), "at least one operation needs a weight above zero")
    return LoadSpec(
        users=r.number(m, "users", path, 10, lo=1, integer=True),
        spawn_rate=float(r.number(m, "spawn_rate", path, 10.0, lo=0.001)),
        accounts=r.number(m, "accounts", path, 100, lo=1, integer=True),
        workers=r.number(m, "workers", path, 0, lo=0, hi=64, integer=True),
        shape=tuple(shape),
        mix=mix,
        symbols=tuple(str(s) for s in r.seq(m, "symbols", path)) or LoadSpec.symbols,
    )


def tolerance(r: Reader, raw: Any, path: str) -> Tolerance:
    if isinstance(raw, bool | int | float):
        return Tolerance(equals=float(raw))
    if isinstance(raw, list):
        if len(raw) != 2 or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw):
            r.error(path, "a range must be [low, high] numbers")
            return Tolerance()
        if raw[0] > raw[1]:
            r.error(path, f"range low {raw[0]} is above high {raw[1]}")
        return Tolerance(min=float(raw[0]), max=float(raw[1]))
    m = r.mapping(raw, path, ("min", "max", "equals"))
    if not m:
        r.error(path, "needs min, max, equals, a number or a [low, high] range")
    lo, hi, eq = (r.number(m, k, path, None) for k in ("min", "max", "equals"))
    if lo is not None and hi is not None and lo > hi:
        r.error(path, f"min {lo} is above max {hi}")
    return Tolerance(min=lo, max=hi, equals=eq)


def probes(r: Reader, items: list[Any], path: str, stop: bool = False) -> tuple[Probe, ...]:
    out = []
    names: set[str] = set()
    for i, item in enumerate(items):
        ppath = join(path, i)
        allowed = ("name", "query", "tolerance", "for") if stop else ("name", "query", "tolerance")
        p = r.mapping(item, ppath, allowed, ("name", "query", "tolerance"))
        name = r.string(p, "name", ppath)
        if name in names:
            r.error(join(ppath, "name"), f"duplicate name {name!r}")
        names.add(name)
        out.append(Probe(
            name=name,
            query=r.string(p, "query", ppath),
            tolerance=tolerance(r, p.get("tolerance"), join(ppath, "tolerance")) if "tolerance" in p
            else Tolerance(),
            for_seconds=r.duration(p, "for", ppath, 0.0) if stop else 0.0,
        ))
    return tuple(out)


def faults(r: Reader, items: list[Any], path: str, duration: float) -> tuple[FaultSpec, ...]:
    out = []
    ids: set[str] = set()
    for i, item in enumerate(items):
        fpath = join(path, i)
        f = r.mapping(item, fpath, ("id", "kind", "at", "duration", "params"), ("id", "kind", "at"))
        fid = r.string(f, "id", fpath)
        if fid in ids:
            r.error(join(fpath, "id"), f"duplicate fault id {fid!r}")
        ids.add(fid)
        kind = r.string(f, "kind", fpath, choices=tuple(FAULT_KINDS))
        at = r.duration(f, "at", fpath, scaled=True)
        dur = r.duration(f, "duration", fpath, None, scaled=True, positive=True)
        if at > duration:
            r.error(join(fpath, "at"), f"starts at {at:g}s, after the run ends ({duration:g}s)")
        validator = FAULT_KINDS.get(kind)
        params = validator(r, f.get("params") or {}, join(fpath, "params")) if validator else {}
        out.append(FaultSpec(id=fid, kind=kind, at=at, duration=dur, params=params))
    return tuple(out)


def detection(r: Reader, items: list[Any], path: str, fault_ids: set[str]) -> tuple[Detection, ...]:
    out = []
    for i, item in enumerate(items):
        dpath = join(path, i)
        d = r.mapping(item, dpath, ("alert", "within", "fault"), ("alert", "within"))
        fault = r.string(d, "fault", dpath, None)
        if fault is not None and fault not in fault_ids:
            r.error(join(dpath, "fault"), f"no fault with id {fault!r}")
        out.append(Detection(alert=r.string(d, "alert", dpath),
                             within=r.duration(d, "within", dpath, positive=True), fault=fault))
    return tuple(out)


def remediation(r: Reader, raw: Any, path: str, engines: tuple[EngineSpec, ...]) -> Remediation:
    m = r.mapping(raw, path, ("action", "color", "after_alert", "at", "delay", "trading_modes", "expect"))
    action = RemediationAction(r.string(m, "action", path, "none", tuple(RemediationAction)))
    color = r.string(m, "color", path, None, COLORS)
    if action is not RemediationAction.NONE:
        target = color or "green"
        if target not in {e.color for e in engines}:
            r.error(join(path, "color"), f"engine {target!r} is not in stack.engines")
        if "after_alert" not in m and "at" not in m:
            r.error(path, f"action {action.value!r} needs 'after_alert' or 'at'")
    modes = tuple(r.seq(m, "trading_modes", path))
    for i, mode in enumerate(modes):
        if mode not in TRADING_MODES:
            r.error(join(join(path, "trading_modes"), i), f"must be one of {', '.join(TRADING_MODES)}")
    return Remediation(action=action, color=color, after_alert=r.string(m, "after_alert", path, None),
                       at=r.duration(m, "at", path, None, scaled=True),
                       delay=r.duration(m, "delay", path, 0.0, scaled=True), trading_modes=modes,
                       expect=r.string(m, "expect", path, "promoted", ("promoted", "rolled_back", "any")))


def ramp(r: Reader, raw: Any, path: str = "ramp") -> RampSpec | None:
    if raw is None:
        return None
    m = r.mapping(raw, path, ("steps", "interval", "threshold", "no_data", "checks",
                              "pre_promotion_timeout", "progress_deadline"), ("checks",))
    steps = []
    for i, v in enumerate(r.seq(m, "steps", path) or [10, 25, 50, 100]):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 100:
            r.error(join(join(path, "steps"), i), f"must be a percentage in (0, 100], got {v!r}")
        else:
            steps.append(v / 100.0)
    if any(b <= a for a, b in itertools.pairwise(steps)):
        r.error(join(path, "steps"), "must be strictly increasing")
    if steps and steps[-1] != 1.0:
        r.error(join(path, "steps"), "the last step must be 100")
    checks = []
    for i, item in enumerate(r.seq(m, "checks", path)):
        cpath = join(join(path, "checks"), i)
        c = r.mapping(item, cpath, ("name", "kind", "min", "max", "query", "window"), ("name", "kind"))
        kind = CheckKind(r.string(c, "kind", cpath, "promql", tuple(CheckKind)))
        if kind is CheckKind.LATENCY_P99:
            lo, hi = None, r.duration(c, "max", cpath, positive=True)
        else:
            lo = r.number(c, "min", cpath, None)
            hi = r.number(c, "max", cpath, None)
            if lo is None and hi is None:
                r.error(cpath, "needs 'min' or 'max'")
        if kind is CheckKind.PROMQL and "query" not in c:
            r.error(join(cpath, "query"), "required for kind promql")
        if kind is not CheckKind.PROMQL and "query" in c:
            r.error(join(cpath, "query"), f"only for kind promql, not {kind.value}")
        checks.append(AnalysisCheck(name=r.string(c, "name", cpath), kind=kind, min=lo, max=hi,
                                    query=r.string(c, "query", cpath, None),
                                    window=r.duration(c, "window", cpath, 5.0, positive=True)))
    if not checks:
        r.error(join(path, "checks"), "a ramp needs at least one analysis check")
    return RampSpec(
        steps=tuple(steps),
        interval=r.duration(m, "interval", path, 5.0, scaled=True, positive=True),
        threshold=r.number(m, "threshold", path, 2, lo=1, integer=True),
        no_data=NoDataPolicy(r.string(m, "no_data", path, "fail", tuple(NoDataPolicy))),
        checks=tuple(checks),
        pre_promotion_timeout=r.duration(m, "pre_promotion_timeout", path, 10.0, positive=True),
        progress_deadline=r.duration(m, "progress_deadline", path, None, scaled=True, positive=True),
    )


def integrity(r: Reader, raw: Any, known: tuple[str, ...], path: str = "integrity") -> IntegritySpec:
    m = r.mapping(raw, path, ("checkers", "snapshot_before_fault"))
    raw_names = m.get("checkers", "all")
    names: list[Any] = list(known) if raw_names in ("all", ["all"]) else r.seq(m, "checkers", path)
    for i, name in enumerate(names):
        if name not in known:
            r.error(join(join(path, "checkers"), i), f"unknown checker {name!r} (known: {', '.join(known)})")
    return IntegritySpec(checkers=tuple(str(n) for n in names),
                         snapshot_before_fault=r.boolean(m, "snapshot_before_fault", path, True))


def report(r: Reader, raw: Any, path: str = "report") -> ReportSpec:
    m = r.mapping(raw, path, ("formats", "title"))
    formats = r.seq(m, "formats", path) or list(ReportSpec.formats)
    for i, fmt in enumerate(formats):
        if fmt not in REPORT_FORMATS:
            r.error(join(join(path, "formats"), i), f"must be one of {', '.join(REPORT_FORMATS)}")
    return ReportSpec(formats=tuple(formats), title=r.string(m, "title", path, None))


def _decimal_text(r: Reader, obj: Mapping[str, Any], key: str, path: str, required: bool = True) -> Any:
    val = obj.get(key)
    if val is None:
        if required:
            r.error(join(path, key), "required field is missing")
        return None
    text = str(val)
    try:
        ok = float(text) > 0
    except ValueError:
        ok = False
    if isinstance(val, bool) or not ok:
        r.error(join(path, key), f"must be a positive decimal, got {val!r}")
    return text


def setup(r: Reader, raw: Any, path: str = "setup") -> SetupSpec:
    m = r.mapping(raw, path, ("deposits", "orders"))
    deposits = []
    for i, item in enumerate(r.seq(m, "deposits", path)):
        dpath = join(join(path, "deposits"), i)
        d = r.mapping(item, dpath, ("account", "asset", "amount"), ("account", "asset", "amount"))
        deposits.append((r.string(d, "account", dpath), r.string(d, "asset", dpath),
                         _decimal_text(r, d, "amount", dpath)))
    orders = []
    for i, item in enumerate(r.seq(m, "orders", path)):
        opath = join(join(path, "orders"), i)
        o = r.mapping(item, opath, ("account", "symbol", "side", "qty", "price", "leverage"),
                      ("account", "symbol", "side", "qty"))
        orders.append(SetupOrder(
            account=r.string(o, "account", opath), symbol=r.string(o, "symbol", opath),
            side=r.string(o, "side", opath, choices=("BUY", "SELL")), qty=_decimal_text(r, o, "qty", opath),
            price=_decimal_text(r, o, "price", opath, required=False),
            leverage=r.number(o, "leverage", opath, None, lo=1, hi=125, integer=True)))
    return SetupSpec(deposits=tuple(deposits), orders=tuple(orders))
