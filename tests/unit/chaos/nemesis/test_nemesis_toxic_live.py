"""The toxic fault kind against a real chaos-proxy server (subprocess on 127.0.0.1:0)."""

import socket

import pytest

from chaos import nemesis
from chaos.nemesis import InjectError, NemesisContext
from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.launcher import ChaosProxyProcess


@pytest.fixture(scope="module")
def api():
    with ChaosProxyProcess(seed=1) as server:
        yield server.url


@pytest.fixture
def proxy(api):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    upstream = f"127.0.0.1:{listener.getsockname()[1]}"
    with ToxiproxyClient(api) as client:
        created = client.create_proxy(f"p{id(listener)}", upstream)
        yield created.name, client
        client.delete_proxy(created.name)
    listener.close()


def test_latency_toxic_inject_and_heal(api, proxy):
    name, client = proxy
    ctx = NemesisContext(toxiproxy_url=api)
    handle = nemesis.inject(
        "toxic", {"proxy": name, "type": "latency", "attributes": {"latency": 50}, "stream": "upstream"}, ctx
    )
    toxics = client.toxics(name)
    expected = [(handle.data["toxic"], "latency", "upstream")]
    assert [(t.name, t.type, t.stream.value) for t in toxics] == expected
    assert toxics[0].attributes["latency"] == 50
    report = nemesis.heal_from_records([nemesis.handle_to_dict(handle)], ctx)
    assert report.ok
    assert client.toxics(name) == []
    nemesis.heal(handle, ctx)  # already removed: still healed


def test_down_inject_and_heal(api, proxy):
    name, client = proxy
    handle = nemesis.inject("toxic", {"proxy": name, "type": "down", "api": api})
    assert client.proxy(name).enabled is False
    nemesis.heal(handle)
    assert client.proxy(name).enabled is True


def test_missing_proxy_is_an_inject_error(api):
    with pytest.raises(InjectError, match="no-such-proxy"):
        nemesis.inject("toxic", {"proxy": "no-such-proxy", "type": "noop", "api": api})
