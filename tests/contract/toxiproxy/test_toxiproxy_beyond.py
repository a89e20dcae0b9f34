"""Where chaos-proxy is stricter than the original: validated attributes, bounded bodies, metrics."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def chaos_only(server):
    if server.kind != "chaos-proxy":
        pytest.skip("behaviour specific to chaos-proxy (the original crashes or lacks it)")
    return server


@pytest.mark.parametrize(
    "body",
    [
        {"type": "bandwidth", "attributes": {"rate": -1}},
        {"type": "slicer", "attributes": {"average_size": 0}},
        {"type": "slicer", "attributes": {"average_size": 4, "size_variation": 9}},
        {"type": "latency", "attributes": {"latency": 1.5}},
        {"type": "latency", "attributes": []},
        {"type": "latency", "toxicity": 3},
        {"type": "latency", "toxicity": "x"},
        {"type": "http_error", "attributes": {"status": 42}},
    ],
)
def test_invalid_attributes_get_400_and_the_server_lives(chaos_only, http, upstream, body):
    http.post("/proxies", json={"name": "v", "upstream": upstream, "listen": "127.0.0.1:0"})
    response = http.post("/proxies/v/toxics", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith("bad request body")
    assert http.get("/version").status_code == 200


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"[",
        b"null",
        b"[1,2]",
        b'"str"',
        b'{"name": NaN}',
        b"{" * 100000,
        b'{"a":"' + b"x" * 2_000_000 + b'"}',
    ],
)
def test_bad_bodies_never_500(chaos_only, http, raw):
    response = http.post("/proxies", content=raw)
    assert response.status_code == 400
    assert http.get("/version").status_code == 200


def test_populate_rejects_duplicate_names(chaos_only, http, upstream):
    entry = {"name": "d", "upstream": upstream, "listen": "127.0.0.1:0"}
    response = http.post("/populate", json=[entry, entry])
    assert response.status_code == 400
    assert http.get("/proxies").json() == {}


def refused(listen: str) -> bool:
    host, port = listen.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_populate_applies_enabled_to_an_identical_proxy_keeping_its_toxics(chaos_only, http, upstream):
    listen = http.post("/proxies", json={"name": "e", "upstream": upstream, "listen": "127.0.0.1:0"}).json()[
        "listen"
    ]
    http.post("/proxies/e/toxics", json={"type": "latency", "attributes": {"latency": 1}})
    entry = {"name": "e", "upstream": upstream, "listen": listen}
    down = http.post("/populate", json=[{**entry, "enabled": False}])
    assert down.status_code == 201 and down.json()["proxies"][0]["enabled"] is False
    assert http.get("/proxies/e").json()["enabled"] is False and refused(listen)
    up = http.post("/populate", json=[entry])  # enabled defaults to true
    assert up.status_code == 201
    proxy = http.get("/proxies/e").json()
    assert proxy["enabled"] is True and [t["name"] for t in proxy["toxics"]] == ["latency_downstream"]
    assert not refused(listen)


def test_populate_rolls_back_an_enabled_change_when_a_later_entry_fails(chaos_only, http, upstream):
    listen = http.post("/proxies", json={"name": "k", "upstream": upstream, "listen": "127.0.0.1:0"}).json()[
        "listen"
    ]
    taken = http.post("/proxies", json={"name": "o", "upstream": upstream, "listen": "127.0.0.1:0"}).json()
    clash = {"name": "clash", "upstream": upstream, "listen": taken["listen"]}
    failed = http.post(
        "/populate", json=[{"name": "k", "upstream": upstream, "listen": listen, "enabled": False}, clash]
    )
    assert failed.status_code == 500
    assert http.get("/proxies/k").json()["enabled"] is True and not refused(listen)
    assert "clash" not in http.get("/proxies").json()


def test_bind_failure_is_500_and_proxy_not_added(chaos_only, http, upstream):
    first = http.post("/proxies", json={"name": "one", "upstream": upstream, "listen": "127.0.0.1:0"}).json()
    clash = http.post("/proxies", json={"name": "two", "upstream": upstream, "listen": first["listen"]})
    assert clash.status_code == 500
    assert "two" not in http.get("/proxies").json()


def test_metrics_always_on(chaos_only, http, upstream):
    http.post("/proxies", json={"name": "m", "upstream": upstream, "listen": "127.0.0.1:0"})
    http.post("/proxies/m/toxics", json={"type": "latency", "attributes": {"latency": 1}})
    text = http.get("/metrics").text
    assert 'chaos_proxy_toxics_active{proxy="m",type="latency"} 1.0' in text
    assert 'chaos_proxy_enabled{proxy="m"} 1.0' in text


def test_default_listen_is_loopback(chaos_only, http, upstream):
    created = http.post("/proxies", json={"name": "lo", "upstream": upstream}).json()
    assert created["listen"].startswith("127.0.0.1:")
