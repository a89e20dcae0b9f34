"""Follow-leader policy: parsing NOT_LEADER answers, when the route may switch, admin control."""

import json

import pytest

from harness.deploy.gateway_admin import handle_admin
from harness.deploy.gateway_app import GatewayApp, GatewayConfig
from harness.deploy.leader_follow import LeaderFollow, not_leader_color
from harness.deploy.routing import Route, Router, parse_route


def body(**fields):
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("status", "raw", "expected"),
    [
        (409, body(code="NOT_LEADER", leader_color="green"), "green"),
        (409, body(code="NOT_LEADER", leader_color=None), None),
        (409, body(code="NOT_LEADER"), None),
        (409, body(code="NOT_LEADER", leader_color=5), None),
        (409, body(code="NOT_LEADER", leader_color=""), None),
        (409, body(code="PROMOTION_FAILED", leader_color="green"), None),
        (409, b"NOT_LEADER but not json", None),
        (409, b'["NOT_LEADER"]', None),
        (503, body(code="NOT_LEADER", leader_color="green"), None),
        (200, body(code="NOT_LEADER", leader_color="green"), None),
    ],
)
def test_not_leader_color_only_from_a_409_not_leader_json(status, raw, expected):
    assert not_leader_color(status, raw) == expected


def test_switch_only_in_active_mode_when_enabled_and_not_paused():
    active, weights = Route.to_active("blue"), parse_route({"weights": {"blue": 1}}, {"blue"})
    follow = LeaderFollow(True)
    assert follow.may_switch(active) and not follow.may_switch(weights)
    follow.admin_set(False)
    assert not follow.may_switch(active)
    follow.admin_set(True)
    assert follow.may_switch(active)
    assert not LeaderFollow(False).may_switch(active)
    assert not LeaderFollow(False).retries


def test_record_keeps_the_last_switch_with_the_injected_clock():
    follow = LeaderFollow(True, clock=lambda: 1234.5)
    follow.record("blue", "green")
    state = follow.as_json(Route.to_active("green"))
    assert state["last_switch"] == {"from": "blue", "to": "green", "at": 1234.5}
    assert state["switches"] == 1 and state["enabled"] is True and state["applies"] is True


def test_router_switches_only_from_the_route_it_was_given():
    router = Router(Route.to_active("blue"))
    seen = router.route
    router.set_route(Route.to_active("blue"))  # an admin decision in between
    assert not router.switch_active(seen, "green")
    assert router.choose() == "blue"
    assert router.switch_active(router.route, "green")
    assert router.choose() == "green"
    assert not router.switch_active(router.route, "green")  # already there


def test_admin_route_sets_follow_leader_and_rejects_non_bool():
    app = GatewayApp(GatewayConfig(upstreams={"blue": "http://127.0.0.1:1", "green": "http://127.0.0.1:2"},
                                   active="blue"))
    assert handle_admin(app, "PUT", "/admin/route", body(active="green", follow_leader=False)).status == 200
    assert app.state()["leader_follow"]["enabled"] is False
    assert app.router.route.active == "green"
    bad = handle_admin(app, "PUT", "/admin/route", body(active="blue", follow_leader=1))
    assert bad.status == 400 and bad.error is not None and bad.error[0] == "INVALID_ROUTE"
    assert app.router.route.active == "green"  # nothing changed
    assert handle_admin(app, "PUT", "/admin/route", body(active="blue")).status == 200
    assert app.state()["leader_follow"]["enabled"] is True
