"""The gateway follows the leader: 409 NOT_LEADER with leader_color is retried there, the route moves."""

from __future__ import annotations

import httpx
import pytest

from .conftest import GatewayProcess, free_port_url
from .test_gateway_proxy import metric


def orders(server):
    return [r for r in server.requests if r["path"] == "/v1/orders"]


def test_not_leader_is_retried_on_the_leader_and_the_route_follows(client, blue, green):
    blue.not_leader = {"leader_color": "green", "epoch": 2}
    answer = client.post("/v1/orders", content=b'{"qty":"1"}', headers={"X-Request-Id": "r1"})
    assert answer.status_code == 200
    assert answer.headers["x-gateway-color"] == "green"
    assert answer.json()["upstream"] == "green"
    assert answer.json()["body"] == '{"qty":"1"}'  # the same request, body included
    assert answer.json()["headers"]["x-request-id"] == "r1"
    assert len(orders(blue)) == 1 and len(orders(green)) == 1

    for _ in range(5):
        follow_up = client.post("/v1/orders", content=b"{}")
        assert follow_up.headers["x-gateway-color"] == "green"
    assert len(orders(blue)) == 1  # straight to green from now on
    assert len(orders(green)) == 6

    state = client.get("/admin/state").json()
    assert state["active"] == "green"
    assert state["leader_follow"]["enabled"] is True
    assert state["leader_follow"]["last_switch"]["from"] == "blue"
    assert state["leader_follow"]["last_switch"]["to"] == "green"
    assert state["admission"]["admitted"] == 6  # one per client request, the retry is not admitted again
    assert metric(client, 'gateway_leader_switches_total{from="blue",to="green"}') == 1
    assert metric(client, 'gateway_leader_retries_total{from="blue",to="green"}') == 1
    assert metric(client, 'gateway_requests_total{code="409",color="blue"}') == 1
    assert metric(client, 'gateway_requests_total{code="200",color="green"}') == 6
    assert metric(client, 'gateway_route_weight{color="green"}') == 100


@pytest.mark.parametrize(
    "extra", [{}, {"leader_color": None}, {"leader_color": "red"}, {"leader_color": "blue"}]
)
def test_not_leader_without_a_usable_leader_color_is_passed_through(client, blue, green, extra):
    blue.not_leader = extra
    answer = client.post("/v1/orders", content=b"{}")
    assert answer.status_code == 409
    assert answer.json()["code"] == "NOT_LEADER"
    assert answer.headers["x-gateway-color"] == "blue"
    assert orders(green) == []
    assert client.get("/admin/state").json()["active"] == "blue"
    assert metric(client, "gateway_leader_retries_total") == 0
    assert metric(client, "gateway_leader_switches_total") == 0


def test_other_409s_are_passed_through(client, green):
    answer = client.delete("/status/409")
    assert answer.status_code == 409
    assert answer.headers["retry-after"] == "7"
    assert green.requests == []


def test_at_most_one_retry_when_both_claim_the_other_leads(client, blue, green):
    blue.not_leader = {"leader_color": "green"}
    green.not_leader = {"leader_color": "blue"}
    answer = client.post("/v1/orders", content=b"{}")
    assert answer.status_code == 409
    assert answer.headers["x-gateway-color"] == "green"  # the retry's answer, no third attempt
    assert len(orders(blue)) == 1 and len(orders(green)) == 1
    assert client.get("/admin/state").json()["active"] == "blue"  # no switch on a confused answer
    assert metric(client, "gateway_leader_switches_total") == 0


def test_weighted_route_retries_but_never_switches(client, blue, green):
    client.put("/admin/route", json={"weights": {"blue": 1, "green": 0}}).raise_for_status()
    blue.not_leader = {"leader_color": "green"}
    for _ in range(3):
        assert client.post("/v1/orders", content=b"{}").headers["x-gateway-color"] == "green"
    assert len(orders(blue)) == 3  # the weights still send every request to blue first
    state = client.get("/admin/state").json()
    assert state["route"]["mode"] == "weights"
    assert state["leader_follow"]["applies"] is False


def test_admin_route_can_pause_following_and_a_new_route_resumes_it(client, blue, green):
    state = client.put("/admin/route", json={"active": "blue", "follow_leader": False}).json()
    assert state["leader_follow"]["enabled"] is False
    blue.not_leader = {"leader_color": "green"}
    assert client.post("/v1/orders", content=b"{}").json()["upstream"] == "green"  # still retried
    assert client.get("/admin/state").json()["active"] == "blue"  # the controller's decision stands
    assert client.put("/admin/route", json={"active": "blue"}).json()["leader_follow"]["enabled"] is True
    client.post("/v1/orders", content=b"{}")
    assert client.get("/admin/state").json()["active"] == "green"
    bad = client.put("/admin/route", json={"active": "blue", "follow_leader": "yes"})
    assert bad.status_code == 400 and bad.json()["code"] == "INVALID_ROUTE"


def test_leader_unreachable_gives_503_and_keeps_the_route(client, blue):
    client.put("/admin/upstreams", json={"green": free_port_url()}).raise_for_status()
    blue.not_leader = {"leader_color": "green"}
    answer = client.post("/v1/orders", content=b"{}")
    assert answer.status_code == 503
    assert answer.json()["code"] == "UPSTREAM_CONNECT_FAILED"
    assert client.get("/admin/state").json()["active"] == "blue"


def test_no_follow_leader_flag_passes_not_leader_through(blue, green):
    blue.not_leader = {"leader_color": "green"}
    gw = GatewayProcess(["--upstream", f"blue={blue.url}", "--upstream", f"green={green.url}",
                         "--active", "blue", "--no-follow-leader"]).start()
    try:
        with httpx.Client(base_url=gw.url, timeout=10) as client:
            answer = client.post("/v1/orders", content=b"{}")
            assert answer.status_code == 409 and answer.json()["leader_color"] == "green"
            assert orders(green) == []
            state = client.get("/admin/state").json()
            assert state["active"] == "blue" and state["leader_follow"]["enabled"] is False
    finally:
        assert gw.stop() == 0
