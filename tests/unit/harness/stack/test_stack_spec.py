from pathlib import Path

import pytest

from harness.stack.errors import StartError
from harness.stack.spec import DEFAULT_RULES, EngineSpec, StackSpec
from harness.stack.stack import host_port


def _spec(**kw) -> StackSpec:
    return StackSpec(run_dir=Path("/tmp/run-x"), seed=9, engine_command=("me",), proxy_command=("cp",),
                     gateway_command=("gw",), **kw)


def test_engine_argv_and_order():
    spec = _spec(engines=(EngineSpec("green", "standby", "shed"), EngineSpec("blue", "leader", "halt")))
    assert [e.color for e in spec.ordered_engines()] == ["blue", "green"]
    p = spec.engine_process(spec.engines[0], "tcp://127.0.0.1:5")
    assert p.name == "engine-green" and p.ready_path == "/healthz"
    assert list(p.argv) == ["me", "serve", "--journal", "/tmp/run-x/journal.sqlite", "--color", "green",
                            "--role", "standby", "--overflow-policy", "shed", "--durability", "power",
                            "--host", "127.0.0.1", "--port", "0", "--feed", "tcp://127.0.0.1:5"]
    argv = _spec(durability="process").engine_process(spec.engines[1], None).argv
    assert argv[argv.index("--durability") + 1] == "process"


def test_feed_proxy_and_gateway_argv():
    spec = _spec()
    assert list(spec.feed_process().argv) == ["me", "feed", "--symbols", "BTCUSDT,ETHUSDT", "--seed", "9",
                                              "--host", "127.0.0.1", "--port", "0"]
    assert spec.feed_process().ready_path is None
    proxy = spec.proxy_process()
    assert list(proxy.argv) == ["cp", "serve", "--host", "127.0.0.1", "--port", "0", "--seed", "9"]
    assert proxy.ready_path == "/version"
    gw = spec.gateway_process({"blue": "http://127.0.0.1:1", "green": "http://127.0.0.1:2"})
    assert list(gw.argv) == ["gw", "--host", "127.0.0.1", "--port", "0", "--upstream", "blue=http://127.0.0.1:1",
                             "--upstream", "green=http://127.0.0.1:2", "--active", "blue"]


def test_default_rule_files_exist():
    assert all(p.is_file() for p in DEFAULT_RULES)


@pytest.mark.parametrize(
    "kw",
    [
        {"engines": ()},
        {"engines": (EngineSpec("blue"), EngineSpec("blue", "standby"))},
        {"active_color": "green", "engines": (EngineSpec("blue"),)},
        {"durability": "fsync"},
    ],
)
def test_bad_stack_specs(kw):
    with pytest.raises(ValueError):
        _spec(**kw)


@pytest.mark.parametrize("kw", [{"color": "red"}, {"color": "blue", "role": "boss"},
                                {"color": "blue", "overflow_policy": "panic"}])
def test_bad_engine_specs(kw):
    with pytest.raises(ValueError):
        EngineSpec(**kw)


def test_host_port():
    assert host_port("http://127.0.0.1:80/x") == "127.0.0.1:80"
    assert host_port("tcp://127.0.0.1:9") == "127.0.0.1:9"
    with pytest.raises(StartError):
        host_port("http://127.0.0.1")
