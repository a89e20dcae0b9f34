"""Fault kinds a scenario may use and the validation of their parameters (one registry dict).

Validation here runs before anything is started, so a scenario with a bad fault never touches the
stack. The fault layer (chaos.*) validates again when it injects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chaos.failpoints.spec import FailpointSpecError, parse_spec, validate_name
from harness.scenario.reader import Reader, join

PROXIES = ("api", "blue", "green", "index")
ENGINE_TARGETS = ("blue", "green", "leader", "standby")
PROCESS_TARGETS = (*ENGINE_TARGETS, "feed", "gateway", "chaos-proxy", "prometheus")
PROCESS_ACTIONS = ("kill", "terminate", "pause", "resume", "restart")
CONTAINER_ACTIONS = ("kill", "pause", "unpause", "restart", "stop", "start", "disconnect", "connect")
STREAMS = ("upstream", "downstream")

# toxic type -> {attribute: (integer?, minimum)}; "down" disables the proxy (enabled: false).
TOXIC_ATTRIBUTES: dict[str, dict[str, tuple[bool, float]]] = {
    "latency": {"latency": (True, 0), "jitter": (True, 0)},
    "bandwidth": {"rate": (True, 0)},
    "slow_close": {"delay": (True, 0)},
    "timeout": {"timeout": (True, 0)},
    "reset_peer": {"timeout": (True, 0)},
    "slicer": {"average_size": (True, 1), "size_variation": (True, 0), "delay": (True, 0)},
    "limit_data": {"bytes": (True, 0)},
    "noop": {},
    "http_error": {"status": (True, 100), "rate": (False, 0), "body": (False, 0), "content_type": (False, 0)},
    "down": {},
}
REQUIRED_ATTRIBUTES = {"latency": ("latency",), "bandwidth": ("rate",), "timeout": ("timeout",),
                       "limit_data": ("bytes",)}
_STRING_ATTRIBUTES = ("body", "content_type")

ParamValidator = Callable[[Reader, Mapping[str, Any], str], dict[str, Any]]


def _toxic(r: Reader, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    p = r.mapping(raw, path, ("proxy", "type", "attributes", "stream", "toxicity", "name"), ("proxy", "type"))
    proxy = r.string(p, "proxy", path, choices=PROXIES)
    ttype = r.string(p, "type", path, choices=tuple(TOXIC_ATTRIBUTES))
    stream = r.string(p, "stream", path, default="downstream", choices=STREAMS)
    toxicity = r.number(p, "toxicity", path, default=1.0, lo=0.0, hi=1.0)
    attrs_path = join(path, "attributes")
    attrs = dict(r.mapping(p.get("attributes"), attrs_path))
    spec = TOXIC_ATTRIBUTES.get(ttype)
    if spec is not None:
        for name in attrs:
            if name not in spec:
                allowed = ", ".join(spec) or "none"
                r.error(join(attrs_path, name), f"unknown attribute for toxic {ttype!r} (allowed: {allowed})")
        for name in REQUIRED_ATTRIBUTES.get(ttype, ()):
            if name not in attrs:
                r.error(join(attrs_path, name), f"required attribute of toxic {ttype!r} is missing")
        for name, (integer, lo) in spec.items():
            if name in _STRING_ATTRIBUTES and name in attrs and not isinstance(attrs[name], str):
                r.error(join(attrs_path, name), "must be a string")
            elif name in attrs and name not in _STRING_ATTRIBUTES:
                hi = 599 if name == "status" else (1.0 if name == "rate" else None)
                r.number(attrs, name, attrs_path, lo=lo, hi=hi, integer=integer)
        if ttype == "slicer" and attrs.get("size_variation", 0) > attrs.get("average_size", 1):
            r.error(join(attrs_path, "size_variation"), "must not exceed average_size")
    out = {"proxy": proxy, "type": ttype, "stream": stream, "toxicity": float(toxicity), "attributes": attrs}
    if "name" in p:
        out["name"] = r.string(p, "name", path)
    return out


def _failpoint(r: Reader, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    p = r.mapping(raw, path, ("color", "name", "spec"), ("color", "name", "spec"))
    color = r.string(p, "color", path, choices=ENGINE_TARGETS)
    name = r.string(p, "name", path)
    spec = r.string(p, "spec", path)
    if name:
        try:
            validate_name(name)
        except FailpointSpecError as exc:
            r.error(join(path, "name"), str(exc))
    if spec:
        try:
            parse_spec(spec)
        except FailpointSpecError as exc:
            r.error(join(path, "spec"), str(exc))
    return {"color": color, "name": name, "spec": spec}


def _process(r: Reader, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    p = r.mapping(raw, path, ("target", "action", "restart"), ("target", "action"))
    return {
        "target": r.string(p, "target", path, choices=PROCESS_TARGETS),
        "action": r.string(p, "action", path, choices=PROCESS_ACTIONS),
        "restart": r.boolean(p, "restart", path, default=False),
    }


def _container(r: Reader, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    p = r.mapping(raw, path, ("target", "action", "network"), ("target", "action"))
    action = r.string(p, "action", path, choices=CONTAINER_ACTIONS)
    out = {"target": r.string(p, "target", path), "action": action}
    if action in ("disconnect", "connect"):
        out["network"] = r.string(p, "network", path)
    elif "network" in p:
        r.error(join(path, "network"), f"only for actions disconnect/connect, not {action!r}")
    return out


def _load_spike(r: Reader, raw: Mapping[str, Any], path: str) -> dict[str, Any]:
    p = r.mapping(raw, path, ("users", "spawn_rate"), ("users",))
    return {
        "users": r.number(p, "users", path, lo=1, integer=True),
        "spawn_rate": float(r.number(p, "spawn_rate", path, default=50.0, lo=0.001)),
    }


FAULT_KINDS: dict[str, ParamValidator] = {
    "toxic": _toxic,
    "failpoint": _failpoint,
    "process": _process,
    "container": _container,
    "load_spike": _load_spike,
}
