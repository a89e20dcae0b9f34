"""Load a scenario file: YAML (safe_load) → profile applied → every field validated → Scenario.

``load_scenario`` raises :class:`ScenarioError` listing every issue (file, field path, reason); it
never raises anything else for bad input (unreadable file, invalid YAML, wrong types).

Profiles: a scenario may define ``profiles: {ci: {time_scale: 0.5, overrides: {...}}}``. Selecting a
profile deep-merges its ``overrides`` into the document, then multiplies every *scaled* duration
(run ``duration``, fault ``at``/``duration``, load shape ``at``, remediation ``at``, ramp
``interval``/``progress_deadline``) by ``time_scale``. Alert budgets and scrape intervals are never
scaled: alert rules do not speed up.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.scenario import sections
from harness.scenario.errors import Issue, ScenarioError
from harness.scenario.model import RemediationAction, Scenario
from harness.scenario.reader import Reader, join

TOP_LEVEL = ("name", "description", "seed", "duration", "stack", "load", "steady_state", "faults",
             "stop_conditions", "detection", "remediation", "ramp", "integrity", "report", "setup",
             "profiles")


def known_checkers() -> tuple[str, ...]:
    from harness.integrity.registry import CHECKER_NAMES

    return CHECKER_NAMES


def read_document(path: str | os.PathLike[str]) -> Any:
    """The YAML document of a file; ScenarioError for unreadable files or invalid YAML."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Issue(file, "", f"cannot read file: {exc}")]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Issue(file, "", f"invalid YAML: {where}{problem}")]) from None


def deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, val in override.items():
            out[key] = deep_merge(base.get(key), val) if key in base else copy.deepcopy(val)
        return out
    return copy.deepcopy(override)


def apply_profile(doc: Mapping[str, Any], profile: str | None, file: str) -> tuple[dict[str, Any], float]:
    """The document with the profile's overrides merged in, and the profile's time scale."""
    profiles = doc.get("profiles") or {}
    body = {k: v for k, v in doc.items() if k != "profiles"}
    if profile is None:
        return body, 1.0
    if not isinstance(profiles, Mapping) or profile not in profiles:
        known = ", ".join(profiles) if isinstance(profiles, Mapping) else ""
        raise ScenarioError([Issue(file, "profiles", f"no profile {profile!r} (defined: {known or 'none'})")])
    r = Reader(file)
    ppath = join("profiles", profile)
    p = r.mapping(profiles[profile], ppath, ("time_scale", "overrides", "description"))
    scale = float(r.number(p, "time_scale", ppath, 1.0, lo=0.01, hi=10.0))
    allowed = [k for k in TOP_LEVEL if k != "profiles"]
    overrides = r.mapping(p.get("overrides"), join(ppath, "overrides"), allowed)
    if r.issues:
        raise ScenarioError(r.issues)
    return deep_merge(body, overrides), scale


def build_scenario(doc: Any, file: str = "<memory>", profile: str | None = None) -> Scenario:
    """Validate a decoded document into a Scenario; ScenarioError lists every issue."""
    if not isinstance(doc, Mapping):
        raise ScenarioError([Issue(file, "", "the document must be a mapping of scenario fields")])
    body, scale = apply_profile(doc, profile, file)
    r = Reader(file, time_scale=scale)
    m = r.mapping(body, "", TOP_LEVEL, ("name", "seed", "duration"))
    duration = r.duration(m, "duration", "", scaled=True, positive=True)
    stack = sections.stack(r, m.get("stack"))
    if stack.feed.csv is not None:
        csv_path = Path(stack.feed.csv)
        if not csv_path.is_absolute() and file != "<memory>":
            csv_path = Path(file).resolve().parent / csv_path
        if not csv_path.is_file():
            r.error("stack.feed.csv", f"file not found: {csv_path}")
        stack = dataclasses.replace(stack, feed=dataclasses.replace(stack.feed, csv=str(csv_path)))
    faults = sections.faults(r, r.seq(m, "faults", ""), "faults", duration)
    fault_ids = {f.id for f in faults}
    remediation = sections.remediation(r, m.get("remediation"), "remediation", stack.engines)
    ramp = sections.ramp(r, m.get("ramp"))
    if remediation.action is RemediationAction.DEPLOY and ramp is None:
        r.error("ramp", "remediation action 'deploy' needs a ramp section")
    detection = sections.detection(r, r.seq(m, "detection", ""), "detection", fault_ids)
    if remediation.after_alert and remediation.after_alert not in {d.alert for d in detection}:
        r.error("remediation.after_alert", f"alert {remediation.after_alert!r} is not listed under detection")
    scenario = Scenario(
        name=r.string(m, "name", ""),
        description=r.string(m, "description", "", ""),
        seed=r.number(m, "seed", "", lo=0, integer=True),
        duration=duration,
        stack=stack,
        load=sections.load(r, m.get("load")),
        steady_state=sections.probes(r, r.seq(m, "steady_state", ""), "steady_state"),
        faults=faults,
        stop_conditions=sections.probes(r, r.seq(m, "stop_conditions", ""), "stop_conditions", stop=True),
        detection=detection,
        remediation=remediation,
        ramp=ramp,
        integrity=sections.integrity(r, m.get("integrity"), known_checkers()),
        report=sections.report(r, m.get("report")),
        setup=sections.setup(r, m.get("setup")),
        source=file,
        profile=profile,
        time_scale=scale,
    )
    if r.issues:
        raise ScenarioError(r.issues)
    return scenario


def load_scenario(path: str | os.PathLike[str], profile: str | None = None) -> Scenario:
    """Read and validate one scenario file (optionally under a profile such as ``ci``)."""
    return build_scenario(read_document(path), str(path), profile)


def validate_file(path: str | os.PathLike[str]) -> list[Issue]:
    """Every issue of a file: the base document and the document under each of its profiles."""
    try:
        doc = read_document(path)
    except ScenarioError as exc:
        return list(exc.issues)
    issues: list[Issue] = []
    profiles = doc.get("profiles") if isinstance(doc, Mapping) else None
    names: list[str | None] = [None]
    if isinstance(profiles, Mapping):
        names += [str(n) for n in profiles]
    elif profiles is not None:
        issues.append(Issue(str(path), "profiles", "must be a mapping of profile name to settings"))
    for name in names:
        try:
            build_scenario(doc, str(path), name)
        except ScenarioError as exc:
            suffix = f" (profile {name})" if name else ""
            for issue in exc.issues:
                tagged = Issue(issue.file, issue.path, issue.reason + suffix)
                plain = Issue(issue.file, issue.path, issue.reason)
                if plain not in issues and tagged not in issues:
                    issues.append(tagged if name else plain)
    return issues
