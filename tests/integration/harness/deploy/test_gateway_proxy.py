"""The gateway process against real upstream HTTP servers: forwarding, routing, admission, errors."""

from __future__ import annotations

import signal

import httpx
import pytest

from .conftest import GatewayProcess, free_port_url


def metric(client, name):
    """Sum of every sample whose name+labels line starts with ``name``."""
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_forwards_method_path_query_body_and_headers(client, blue):
    answer = client.post("/v1/orders/a%2Fb?account=A&x=1", content=b'{"qty":"1"}',
                         headers={"X-Request-Id": "r1", "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.headers["x-gateway-color"] == "blue"
    assert answer.headers["x-upstream"] == "blue"
    seen = blue.requests[-1]
    assert seen["method"] == "POST"
    assert seen["path"] == "/v1/orders/a%2Fb"
    assert seen["query"] == "account=A&x=1"
    assert seen["body"] == '{"qty":"1"}'
    assert seen["headers"]["x-request-id"] == "r1"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"


@pytest.mark.parametrize("status", [201, 400, 404, 409, 503])
def test_status_body_and_retry_after_are_preserved(client, status):
    answer = client.delete(f"/status/{status}")
    assert answer.status_code == status
    assert answer.headers["retry-after"] == "7"
    assert answer.json()["path"] == f"/status/{status}"


def test_switching_the_active_color(client, blue, green):
    assert client.get("/echo").json()["upstream"] == "blue"
    state = client.put("/admin/route", json={"active": "green"}).json()
    assert state["active"] == "green"
    assert client.get("/echo").json()["upstream"] == "green"
    assert metric(client, 'gateway_route_weight{color="green"}') == 100
    assert metric(client, 'gateway_route_weight{color="blue"}') == 0


def test_weights_split_traffic_exactly(client, blue, green):
    client.put("/admin/route", json={"weights": {"blue": 3, "green": 1}}).raise_for_status()
    colors = [client.get("/echo").headers["x-gateway-color"] for _ in range(40)]
    assert colors.count("green") == 10
    assert len([r for r in green.requests if r["path"] == "/echo"]) == 10


def test_admission_refuses_exactly_three_in_four_and_counts_them_apart(client, blue):
    client.put("/admin/admission", json={"fraction": 0.25}).raise_for_status()
    answers = [client.get("/echo") for _ in range(40)]
    refused = [a for a in answers if a.status_code == 503]
    assert len(refused) == 30
    assert all(a.json()["code"] == "ADMISSION_REFUSED" and a.headers["retry-after"] == "1" for a in refused)
    assert len([r for r in blue.requests if r["path"] == "/echo"]) == 10
    assert metric(client, "gateway_admission_refused_total") == 30
    assert metric(client, 'gateway_requests_total{code="200",color="blue"}') == 10
    assert metric(client, "gateway_requests_total") == 10  # refused are not requests/errors
    assert metric(client, "gateway_admission_fraction") == 0.25
    assert client.get("/admin/state").json()["admission"]["refused"] == 30


def test_connect_failure_is_503_not_executed(client):
    client.put("/admin/upstreams", json={"green": free_port_url()}).raise_for_status()
    client.put("/admin/route", json={"active": "green"}).raise_for_status()
    answer = client.post("/v1/orders", json={})
    assert answer.status_code == 503
    assert answer.json()["code"] == "UPSTREAM_CONNECT_FAILED"
    assert metric(client, 'gateway_upstream_errors_total{color="green",kind="connect"}') == 1


def test_connection_dropped_after_send_is_502_unknown(client, blue):
    answer = client.post("/drop", content=b"x")
    assert answer.status_code == 502
    assert answer.json()["code"] == "UPSTREAM_FAILED"
    assert blue.requests[-1]["path"] == "/drop"  # it did reach the upstream
    assert metric(client, 'gateway_upstream_errors_total{color="blue",kind="failed"}') == 1


def test_upstream_timeout_is_502(client, blue):
    answer = client.get("/hang")
    blue.release.set()
    assert answer.status_code == 502
    assert answer.json()["code"] == "UPSTREAM_FAILED"
    assert metric(client, 'gateway_upstream_errors_total{color="blue",kind="timeout"}') == 1


def test_keep_alive_pool_reuses_upstream_connections(client, blue):
    for _ in range(50):
        assert client.get("/echo").status_code == 200
    assert blue.connections <= 5


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/admin/route", b"{", "INVALID_JSON"),
        ("/admin/route", b'{"active": "red"}', "UNKNOWN_COLOR"),
        ("/admin/admission", b'{"fraction": -1}', "INVALID_FRACTION"),
        ("/admin/upstreams", b'{"blue": "nope"}', "INVALID_UPSTREAM"),
    ],
)
def test_bad_admin_input_is_400_with_code(client, path, body, code):
    answer = client.put(path, content=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert client.get("/healthz").status_code == 200


def test_admin_token_is_enforced(blue):
    args = ["--upstream", f"blue={blue.url}", "--active", "blue", "--admin-token", "tok"]
    gw = GatewayProcess(args).start()
    try:
        assert httpx.get(f"{gw.url}/admin/state").status_code == 401
        ok = httpx.get(f"{gw.url}/admin/state", headers={"Authorization": "Bearer tok"})
        assert ok.status_code == 200 and ok.json()["active"] == "blue"
        assert httpx.get(f"{gw.url}/echo").status_code == 200  # data path needs no token
    finally:
        assert gw.stop() == 0


def test_sigterm_exits_zero(gateway):
    gateway.proc.send_signal(signal.SIGTERM)
    assert gateway.proc.wait(15) == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--upstream", "blue=http://127.0.0.1:1", "--active", "green"],
        ["--upstream", "blue=not-a-url", "--active", "blue"],
        ["--upstream", "blue", "--active", "blue"],
        ["--upstream", "blue=http://127.0.0.1:1", "--active", "blue", "--admission", "3"],
        ["--active", "blue"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "harness.deploy.gateway", *args],
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
