"""Admin API handling of the gateway (no sockets needed: the handler is pure over app state)."""

import json

import pytest

from harness.deploy.gateway_admin import handle_admin
from harness.deploy.gateway_app import GatewayApp, GatewayConfig
from harness.deploy.routing import RouteError


@pytest.fixture
def app():
    return GatewayApp(GatewayConfig(upstreams={"blue": "http://127.0.0.1:1", "green": "http://127.0.0.1:2"},
                                    active="blue"))


def put(app, path, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return handle_admin(app, "PUT", path, raw)


def test_state_is_readable(app):
    assert handle_admin(app, "GET", "/admin/state", b"").status == 200
    state = app.state()
    assert state["active"] == "blue"
    assert state["admission"]["fraction"] == 1.0


def test_route_admission_and_upstreams_change_state(app):
    assert put(app, "/admin/route", {"active": "green"}).changed
    assert app.router.choose() == "green"
    assert put(app, "/admin/admission", {"fraction": 0.25}).changed
    assert app.admitter.fraction == 0.25
    assert put(app, "/admin/upstreams", {"green": "http://127.0.0.1:3"}).changed
    assert app.upstreams == {"blue": "http://127.0.0.1:1", "green": "http://127.0.0.1:3"}
    assert put(app, "/admin/route", {"weights": {"blue": 1, "green": 3}}).changed
    assert app.state()["route"]["weights"] == {"blue": 1, "green": 3}


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/admin/route", b"{not json", 400, "INVALID_JSON"),
        ("/admin/route", {"active": "red"}, 400, "UNKNOWN_COLOR"),
        ("/admin/route", {"weights": {"blue": -3}}, 400, "INVALID_WEIGHTS"),
        ("/admin/admission", {"fraction": 2}, 400, "INVALID_FRACTION"),
        ("/admin/admission", {"fraction": 0.5, "x": 1}, 400, "INVALID_FRACTION"),
        ("/admin/admission", [0.5], 400, "INVALID_FRACTION"),
        ("/admin/upstreams", {"blue": "ftp://x"}, 400, "INVALID_UPSTREAM"),
        ("/admin/upstreams", [], 400, "INVALID_UPSTREAM"),
        ("/admin/nothing", {}, 404, "NOT_FOUND"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(app, path, body, status, code):
    before = app.state()
    outcome = put(app, path, body)
    assert outcome.status == status
    assert outcome.error is not None and outcome.error[0] == code
    assert app.state() == before


def test_wrong_method(app):
    outcome = handle_admin(app, "POST", "/admin/route", b"{}")
    assert (outcome.status, outcome.error[0]) == (405, "METHOD_NOT_ALLOWED")


def test_config_validates_start_up_values():
    with pytest.raises(RouteError):
        GatewayConfig(upstreams={"blue": "http://127.0.0.1:1"}, active="green")
