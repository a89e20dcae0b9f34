"""Routing table: active color, smooth weighted round-robin, validation codes."""

import pytest

from harness.deploy.routing import Route, RouteError, RouteMode, Router, parse_route, parse_upstreams

COLORS = {"blue", "green"}


def test_active_route_always_picks_the_active_color():
    router = Router(parse_route({"active": "green"}, COLORS))
    assert {router.choose() for _ in range(20)} == {"green"}
    assert router.route.mode is RouteMode.ACTIVE
    assert router.route.weight_of("green") == 100
    assert router.route.weight_of("blue") == 0


def test_weights_are_exact_and_interleaved():
    router = Router(parse_route({"weights": {"blue": 90, "green": 10}}, COLORS))
    picks = [router.choose() for _ in range(100)]
    assert picks.count("green") == 10
    positions = [i for i, c in enumerate(picks) if c == "green"]
    assert max(b - a for a, b in zip(positions, positions[1:], strict=False)) <= 10


def test_zero_weight_color_gets_nothing():
    router = Router(parse_route({"weights": {"blue": 0, "green": 3}}, COLORS))
    assert {router.choose() for _ in range(10)} == {"green"}


def test_set_route_switches():
    router = Router(Route.to_active("blue"))
    router.set_route(Route.to_active("green"))
    assert router.choose() == "green"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "INVALID_ROUTE"),
        ([], "INVALID_ROUTE"),
        ({"active": "blue", "weights": {"blue": 1}}, "INVALID_ROUTE"),
        ({"activ": "blue"}, "INVALID_ROUTE"),
        ({"active": "red"}, "UNKNOWN_COLOR"),
        ({"active": 5}, "INVALID_COLOR"),
        ({"weights": {}}, "INVALID_WEIGHTS"),
        ({"weights": {"blue": -1}}, "INVALID_WEIGHTS"),
        ({"weights": {"blue": 1.5}}, "INVALID_WEIGHTS"),
        ({"weights": {"blue": True}}, "INVALID_WEIGHTS"),
        ({"weights": {"blue": 0, "green": 0}}, "INVALID_WEIGHTS"),
        ({"weights": {"red": 1}}, "UNKNOWN_COLOR"),
    ],
)
def test_bad_routes_are_refused_with_codes(body, code):
    with pytest.raises(RouteError) as info:
        parse_route(body, COLORS)
    assert info.value.code == code


def test_upstreams_are_validated():
    assert parse_upstreams({"blue": "http://127.0.0.1:8080/"}) == {"blue": "http://127.0.0.1:8080"}
    for bad in ({}, {"blue": "127.0.0.1:80"}, {"blue": "https://127.0.0.1:1"}, {"blue": "http://h/x"},
                {"blue": "http://h"}, {"Blue!": "http://h:1"}, {"blue": 5}, {"blue": "http://h:99999"}):
        with pytest.raises(RouteError):
            parse_upstreams(bad)
