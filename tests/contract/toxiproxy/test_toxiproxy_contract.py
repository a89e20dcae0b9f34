"""Every route, status, body shape, default and error text of the Toxiproxy 2.x API."""

from __future__ import annotations

import json

import httpx
import pytest

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.errors import BadRequestError, ConflictError, NotFoundError


def error_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("text/plain")
    body = json.loads(response.text)
    assert body["status"] == response.status_code
    return body


def test_version_and_request_id(http):
    response = http.get("/version")
    assert response.status_code == 200
    assert response.json() == {"version": "2.12.0"} or "version" in response.json()
    assert response.headers["x-toxiproxy-request-id"]


def test_browsers_are_refused(http):
    response = http.get("/proxies", headers={"User-Agent": "Mozilla/5.0 (X11)"})
    assert response.status_code == 403
    assert response.text.strip() == "User agent not allowed"


def test_unknown_path_404_wrong_method_405(http):
    assert http.get("/nope").status_code == 404
    assert http.put("/proxies").status_code == 405
    assert http.delete("/version").status_code == 405


def test_create_get_list_delete_proxy(http, upstream):
    response = http.post("/proxies", json={"name": "db", "upstream": upstream, "listen": "127.0.0.1:0"})
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "db" and created["upstream"] == upstream and created["enabled"] is True
    assert created["toxics"] == []
    host, port = created["listen"].rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    assert http.get("/proxies/db").json()["listen"] == created["listen"]
    assert set(http.get("/proxies").json()) == {"db"}
    dup = http.post("/proxies", json={"name": "db", "upstream": upstream, "listen": "127.0.0.1:0"})
    assert dup.status_code == 409 and error_of(dup)["error"] == "proxy already exists"
    assert http.delete("/proxies/db").status_code == 204
    missing = http.get("/proxies/db")
    assert missing.status_code == 404 and error_of(missing)["error"] == "proxy not found"
    assert http.delete("/proxies/db").status_code == 404


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        ({"upstream": "127.0.0.1:1"}, "missing required field: name"),
        ({"name": "x"}, "missing required field: upstream"),
        ({"name": 5, "upstream": "127.0.0.1:1"}, "bad request body"),
        ({"name": "x", "upstream": "127.0.0.1:1", "enabled": "yes"}, "bad request body"),
    ],
)
def test_create_proxy_bad_bodies(http, body, prefix):
    response = http.post("/proxies", json=body)
    assert response.status_code == 400
    assert error_of(response)["error"].startswith(prefix)


def test_malformed_json_is_400(http):
    response = http.post("/proxies", content=b"{not json")
    assert response.status_code == 400
    assert error_of(response)["error"].startswith("bad request body")


def test_create_disabled_and_unknown_fields_ignored(http, upstream):
    body = {"name": "off", "upstream": upstream, "listen": "127.0.0.1:0", "enabled": False, "extra": 1}
    response = http.post("/proxies", json=body)
    assert response.status_code == 201 and response.json()["enabled"] is False


def test_update_proxy_patch_and_post(http, upstream):
    http.post("/proxies", json={"name": "u", "upstream": upstream, "listen": "127.0.0.1:0"})
    response = http.patch("/proxies/u", json={"enabled": False})
    assert response.status_code == 200 and response.json()["enabled"] is False
    response = http.post("/proxies/u", json={"enabled": True})
    assert response.status_code == 200 and response.json()["enabled"] is True
    assert http.patch("/proxies/missing", json={"enabled": True}).status_code == 404


def test_toxic_lifecycle_defaults_and_errors(http, upstream):
    http.post("/proxies", json={"name": "t", "upstream": upstream, "listen": "127.0.0.1:0"})
    response = http.post("/proxies/t/toxics", json={"type": "latency", "attributes": {"latency": 10}})
    assert response.status_code == 200
    toxic = response.json()
    assert toxic["name"] == "latency_downstream" and toxic["stream"] == "downstream"
    assert toxic["toxicity"] == 1.0 and toxic["attributes"]["latency"] == 10 and toxic["type"] == "latency"
    up = http.post("/proxies/t/toxics", json={"type": "slow_close", "stream": "upstream", "name": "sc"})
    assert up.status_code == 200
    names = [t["name"] for t in http.get("/proxies/t/toxics").json()]
    assert names == ["sc", "latency_downstream"]  # upstream chain first
    dup = http.post("/proxies/t/toxics", json={"type": "noop", "name": "sc", "stream": "downstream"})
    assert dup.status_code == 409 and error_of(dup)["error"] == "toxic already exists"
    bad_type = http.post("/proxies/t/toxics", json={"type": "nope"})
    assert bad_type.status_code == 400 and error_of(bad_type)["error"] == "invalid toxic type"
    bad_stream = http.post("/proxies/t/toxics", json={"type": "noop", "stream": "sideways"})
    assert bad_stream.status_code == 400
    assert error_of(bad_stream)["error"] == "stream was invalid, can be either upstream or downstream"
    bad_attr = http.post(
        "/proxies/t/toxics", json={"type": "latency", "name": "l2", "attributes": {"latency": "x"}}
    )
    assert bad_attr.status_code == 400
    assert http.post("/proxies/missing/toxics", json={"type": "noop"}).status_code == 404
    updated = http.patch("/proxies/t/toxics/latency_downstream", json={"attributes": {"jitter": 5}})
    assert updated.status_code == 200
    assert updated.json()["attributes"]["latency"] == 10 and updated.json()["attributes"]["jitter"] == 5
    assert updated.json()["toxicity"] == 1.0
    posted = http.post("/proxies/t/toxics/latency_downstream", json={"toxicity": 0.5})
    assert posted.status_code == 200 and posted.json()["toxicity"] == 0.5
    assert http.get("/proxies/t/toxics/latency_downstream").json()["attributes"]["jitter"] == 5
    missing = http.get("/proxies/t/toxics/none")
    assert missing.status_code == 404 and error_of(missing)["error"] == "toxic not found"
    assert http.patch("/proxies/t/toxics/none", json={}).status_code == 404
    assert http.delete("/proxies/t/toxics/sc").status_code == 204
    assert http.delete("/proxies/t/toxics/sc").status_code == 404
    assert [t["name"] for t in http.get("/proxies/t").json()["toxics"]] == ["latency_downstream"]


def test_populate_creates_and_is_all_or_nothing(http, upstream):
    ok = http.post("/populate", json=[{"name": "a", "upstream": upstream, "listen": "127.0.0.1:0"}])
    assert ok.status_code == 201
    assert [p["name"] for p in ok.json()["proxies"]] == ["a"]
    bad = http.post(
        "/populate",
        json=[
            {"name": "b", "upstream": upstream, "listen": "127.0.0.1:0"},
            {"name": "c", "listen": "127.0.0.1:0"},
        ],
    )
    assert bad.status_code == 400
    assert "missing required field" in bad.json()["error"]
    assert set(http.get("/proxies").json()) == {"a"}


def test_populate_keeps_an_identical_proxy_and_replaces_a_changed_one(http, upstream):
    listen = http.post(
        "/proxies", json={"name": "same", "upstream": upstream, "listen": "127.0.0.1:0"}
    ).json()["listen"]
    http.post("/proxies/same/toxics", json={"type": "latency", "attributes": {"latency": 1}})
    kept = http.post("/populate", json=[{"name": "same", "upstream": upstream, "listen": listen}])
    assert kept.status_code == 201
    assert [t["name"] for t in http.get("/proxies/same").json()["toxics"]] == ["latency_downstream"]
    moved = upstream.replace("127.0.0.1", "localhost")
    replaced = http.post("/populate", json=[{"name": "same", "upstream": moved, "listen": listen}])
    assert replaced.status_code == 201
    proxy = http.get("/proxies/same").json()
    assert proxy["upstream"] == moved and proxy["toxics"] == []  # a replaced proxy loses its toxics


def test_reset_enables_proxies_and_removes_toxics(http, upstream):
    http.post("/proxies", json={"name": "r", "upstream": upstream, "listen": "127.0.0.1:0"})
    http.post("/proxies/r/toxics", json={"type": "latency", "attributes": {"latency": 1}})
    http.patch("/proxies/r", json={"enabled": False})
    assert http.post("/reset").status_code == 204
    proxy = http.get("/proxies/r").json()
    assert proxy["enabled"] is True and proxy["toxics"] == []


def test_typed_client_round_trip(server, http, upstream):
    with ToxiproxyClient(server.url) as api:
        assert api.version()
        proxy = api.create_proxy("typed", upstream)
        assert proxy.listen_port > 0 and api.proxy("typed") == proxy
        toxic = api.add_toxic("typed", "bandwidth", {"rate": 10}, stream="upstream")
        assert toxic.name == "bandwidth_upstream" and toxic.attributes["rate"] == 10
        assert api.update_toxic("typed", toxic.name, {"rate": 20}).attributes["rate"] == 20
        assert api.update_toxic("typed", toxic.name, toxicity=0.25).toxicity == 0.25
        assert [t.name for t in api.toxics("typed")] == ["bandwidth_upstream"]
        assert not api.update_proxy("typed", enabled=False).enabled
        with pytest.raises(ConflictError):
            api.create_proxy("typed", upstream)
        with pytest.raises(NotFoundError):
            api.proxy("nope")
        with pytest.raises(BadRequestError):
            api.add_toxic("typed", "slicer", {"average_size": 0})
        populated = api.populate([{"name": "pop", "upstream": upstream, "listen": "127.0.0.1:0"}])
        assert [p.name for p in populated] == ["pop"]
        api.reset()
        assert api.proxy("typed").enabled and api.toxics("typed") == []
        api.add_toxic("typed", "noop", name="n")
        api.remove_toxic("typed", "n")
        api.delete_proxy("typed")
        assert "typed" not in api.proxies()


def test_toxiproxy_python_client_workflow(server, http, upstream):
    toxiproxy = pytest.importorskip("toxiproxy")
    from toxiproxy.api import APIConsumer

    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    APIConsumer.host, APIConsumer.port = host, int(port)
    client = toxiproxy.Toxiproxy()
    assert client.running()
    proxy = client.create(upstream=upstream, name="pyclient", listen="127.0.0.1:0")
    fetched = client.get_proxy("pyclient")
    assert fetched is not None and fetched.upstream == upstream
    fetched.add_toxic(type="latency", attributes={"latency": 100})
    assert "latency_downstream" in fetched.toxics()
    fetched.destroy_toxic("latency_downstream")
    assert fetched.toxics() == {}
    with fetched.down():
        assert client.get_proxy("pyclient").enabled is False
    assert client.get_proxy("pyclient").enabled is True
    created = client.populate([{"name": "pypop", "upstream": upstream, "listen": "127.0.0.1:0"}])
    assert [p.name for p in created] == ["pypop"]
    client.destroy(proxy)
    assert client.get_proxy("pyclient") is None
