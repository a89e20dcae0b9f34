"""Scenario loading and validation: built-ins are valid; bad files get file/field/reason errors."""

from pathlib import Path

import pytest
import yaml

from harness.scenario import ScenarioError, load_scenario, validate_file
from harness.scenario.builtins import list_builtins, resolve, scenarios_dir
from harness.scenario.durations import parse_duration
from harness.scenario.model import CheckKind, Durability, NoDataPolicy, RemediationAction

BUILTINS = sorted(p.stem for p in scenarios_dir().glob("*.yaml"))

MINIMAL = {
    "name": "t",
    "seed": 1,
    "duration": "30s",
    "stack": {"engines": {"blue": {"role": "leader"}, "green": {"role": "standby"}}},
    "faults": [{"id": "f", "kind": "toxic", "at": "5s", "duration": "10s",
                "params": {"proxy": "api", "type": "latency", "attributes": {"latency": 100}}}],
}


def write(tmp_path: Path, doc, name="s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


def issues_of(path: Path) -> list[str]:
    return [str(i) for i in validate_file(path)]


def test_six_builtins_exist_and_are_valid_with_every_profile():
    assert set(BUILTINS) >= {"binance-um-2025", "latency-spike", "bad-deploy-rollback",
                             "leader-crash-failover", "okex-2018-liquidation", "feed-outage"}
    for name in BUILTINS:
        path = resolve(name)
        assert validate_file(path) == [], name
        base, ci = load_scenario(path), load_scenario(path, "ci")
        assert ci.duration <= base.duration, name
    assert all(b.description != "(no description)" for b in list_builtins())


def test_binance_model_values():
    s = load_scenario(resolve("binance-um-2025"))
    assert s.ramp is not None and s.ramp.steps == (0.10, 0.25, 0.50, 1.0)
    assert s.ramp.no_data is NoDataPolicy.FAIL and s.ramp.threshold == 2
    assert [c.kind for c in s.ramp.checks] == [CheckKind.SUCCESS_RATE, CheckKind.LATENCY_P99]
    assert s.ramp.checks[1].max == 0.5
    assert s.remediation.action is RemediationAction.DEPLOY
    assert s.remediation.trading_modes == ("cancel_only", "post_only", "normal")
    assert s.detection[0].alert == "MarginQueueOverflow" and s.detection[0].within == 3.0
    assert s.stack.engine("blue").overflow_policy.value == "halt"
    assert s.stack.engine("green").overflow_policy.value == "shed"
    assert "orders" in s.integrity.checkers


def test_profile_scales_durations_but_not_alert_budgets(tmp_path):
    doc = dict(MINIMAL, profiles={"ci": {"time_scale": 0.5, "overrides": {"load": {"users": 3}}}})
    s = load_scenario(write(tmp_path, doc), "ci")
    assert s.duration == 15.0 and s.faults[0].at == 2.5 and s.faults[0].duration == 5.0
    assert s.load.users == 3 and s.profile == "ci"
    with pytest.raises(ScenarioError) as exc:
        load_scenario(write(tmp_path, doc), "nightly")
    assert "no profile 'nightly'" in str(exc.value)


def test_every_error_names_file_field_and_reason_and_all_are_collected(tmp_path):
    doc = {
        "name": "bad",
        "seed": -1,
        "duration": "ten seconds",
        "stack": {"engines": {"purple": {}}, "prometheus": "ftp://x"},
        "faults": [
            {"id": "a", "kind": "toxic", "at": "1s",
             "params": {"proxy": "nope", "type": "latency", "attributes": {"latency": -5, "colour": 1}}},
            {"id": "a", "kind": "meteor", "at": "2s"},
            {"id": "fp", "kind": "failpoint", "at": "1s",
             "params": {"color": "blue", "name": "x", "spec": "boom"}},
        ],
        "ramp": {"steps": [10, 5], "no_data": "maybe", "threshold": 0,
                 "checks": [{"name": "c", "kind": "promql", "min": 1}]},
        "detection": [{"alert": "X", "within": "3s", "fault": "missing"}],
        "integrity": {"checkers": ["orders", "vibes"]},
        "surprise": 1,
    }
    path = write(tmp_path, doc)
    issues = issues_of(path)
    expected = [
        "seed: must be >= 0",
        "duration: invalid duration 'ten seconds'",
        "stack.engines.purple: unknown field",
        "stack.prometheus: must be 'managed' or an http(s) URL",
        "faults[0].params.proxy: must be one of api, blue, green, index",
        "faults[0].params.attributes.colour: unknown attribute for toxic 'latency'",
        "faults[0].params.attributes.latency: must be >= 0",
        "faults[1].id: duplicate fault id 'a'",
        "faults[1].kind: must be one of toxic, failpoint, process, container, load_spike",
        "faults[2].params.spec:",
        "ramp.steps: must be strictly increasing",
        "ramp.no_data: must be one of fail, skip, pause",
        "ramp.threshold: must be >= 1",
        "ramp.checks[0].query: required for kind promql",
        "detection[0].fault: no fault with id 'missing'",
        "integrity.checkers[1]: unknown checker 'vibes'",
        "surprise: unknown field",
    ]
    for text in expected:
        assert any(f"{path}: {text}" in i for i in issues), (text, issues)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    assert exc.value.code == "SCENARIO_INVALID" and len(exc.value.issues) >= len(expected)


def test_missing_required_fields_and_wrong_types(tmp_path):
    path = write(tmp_path, {"duration": 5, "load": {"users": "many"}, "faults": {"id": 1}})
    issues = issues_of(path)
    assert any(i.endswith("name: required field is missing") for i in issues)
    assert any(i.endswith("seed: required field is missing") for i in issues)
    assert any("load.users: must be an integer, got string 'many'" in i for i in issues)
    assert any("faults: must be a list" in i for i in issues)


def test_unreadable_and_invalid_yaml(tmp_path):
    bad = write(tmp_path, "name: [unclosed\n")
    [issue] = issues_of(bad)
    assert issue.startswith(f"{bad}: <document>: invalid YAML: line")
    [missing] = issues_of(tmp_path / "nope.yaml")
    assert "cannot read file" in missing
    [notmap] = issues_of(write(tmp_path, "- 1\n- 2\n", "list.yaml"))
    assert "must be a mapping" in notmap


def test_yaml_is_loaded_safely(tmp_path):
    path = write(tmp_path, "name: !!python/object/apply:os.system ['true']\nseed: 1\nduration: 1s\n")
    [issue] = issues_of(path)
    assert "invalid YAML" in issue


def test_remediation_and_ramp_consistency(tmp_path):
    doc = dict(MINIMAL, remediation={"action": "deploy", "after_alert": "Nope"})
    issues = issues_of(write(tmp_path, doc))
    assert any("ramp: remediation action 'deploy' needs a ramp section" in i for i in issues)
    assert any("remediation.after_alert: alert 'Nope' is not listed under detection" in i for i in issues)


def test_durations():
    assert parse_duration("250ms") == 0.25
    assert parse_duration("1m30s") == 90.0
    assert parse_duration(3) == 3.0
    for bad in ("5 parsecs", "", "-1s", True, -2, None):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_engine_config_overlay_and_remediation_delay(tmp_path):
    doc = dict(MINIMAL, stack=dict(MINIMAL["stack"], engine_config={
        "engine": {"deficit_policy": "socialized_loss"},
        "instruments": {"BTCUSDT": {"funding_interval_seconds": 10, "funding_interval_hours": None}}}),
        detection=[{"alert": "EngineDown", "within": "5s"}],
        remediation={"action": "failover", "after_alert": "EngineDown", "delay": "4s"},
        profiles={"ci": {"time_scale": 0.5}})
    s = load_scenario(write(tmp_path, doc), "ci")
    assert s.stack.engine_config["instruments"]["BTCUSDT"]["funding_interval_seconds"] == 10
    assert s.remediation.delay == 2.0  # scaled like every schedule time
    assert load_scenario(resolve("latency-spike")).stack.engine_config == {}


def test_engine_config_overlay_shape_is_checked(tmp_path):
    doc = dict(MINIMAL, stack=dict(MINIMAL["stack"], engine_config={
        "instrumnets": {}, "instruments": {"BTCUSDT": 10}}))
    issues = issues_of(write(tmp_path, doc))
    assert any("stack.engine_config.instrumnets" in i and "unknown field" in i for i in issues)
    assert any("stack.engine_config.instruments.BTCUSDT" in i and "must be a mapping" in i for i in issues)


def test_stack_durability_defaults_to_power_and_is_checked(tmp_path):
    assert load_scenario(write(tmp_path, MINIMAL)).stack.durability is Durability.POWER
    doc = dict(MINIMAL, stack=dict(MINIMAL["stack"], durability="process"))
    assert load_scenario(write(tmp_path, doc)).stack.durability is Durability.PROCESS
    # the CI profile of the Binance game day takes fsync stalls out of its ramp's latency gate
    assert load_scenario(resolve("binance-um-2025"), "ci").stack.durability is Durability.PROCESS
    assert load_scenario(resolve("binance-um-2025")).stack.durability is Durability.POWER
    bad = dict(MINIMAL, stack=dict(MINIMAL["stack"], durability="fsync"))
    issues = issues_of(write(tmp_path, bad))
    assert any("stack.durability" in i and "power" in i and "process" in i for i in issues), issues
