"""Parameter validation of the toxic fault kind (no server needed: nothing may be sent)."""

import pytest

from chaos import nemesis
from chaos.nemesis import FaultSpecError, InjectError, NemesisContext


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "latency"}, "proxy"),
        ({"proxy": "api"}, "type"),
        ({"proxy": "api", "type": "earthquake"}, "type"),
        ({"proxy": "api", "type": "latency", "stream": "sideways"}, "stream"),
        ({"proxy": "api", "type": "latency", "toxicity": 1.5}, "toxicity"),
        ({"proxy": "api", "type": "latency", "toxicity": True}, "toxicity"),
        ({"proxy": "api", "type": "latency", "attributes": {"latency": -5}}, "attributes"),
        ({"proxy": "api", "type": "latency", "attributes": {"latncy": 5}}, "attributes"),
        ({"proxy": "api", "type": "latency", "attributes": [1]}, "attributes"),
        ({"proxy": "api", "type": "down", "attributes": {}}, "attributes"),
        ({"proxy": "api", "type": "latency", "api": "not a url"}, "api"),
        ({"proxy": "api", "type": "latency", "colour": "red"}, "colour"),
    ],
)
def test_invalid_params_are_refused(params, field):
    with pytest.raises(FaultSpecError) as info:
        nemesis.validate("toxic", params)
    assert info.value.field == field


@pytest.mark.parametrize(
    "params",
    [
        {"proxy": "api", "type": "latency", "attributes": {"latency": 50, "jitter": 5}},
        {"proxy": "blue", "type": "http_error", "stream": "upstream", "toxicity": 0.5},
        {"proxy": "index", "type": "down"},
    ],
)
def test_valid_params_pass(params):
    assert nemesis.validate("toxic", params) is None


def test_unreachable_api_is_an_inject_error():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    ctx = NemesisContext(toxiproxy_url=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(InjectError, match="proxy api"):
        nemesis.inject("toxic", {"proxy": "api", "type": "latency", "attributes": {"latency": 5}}, ctx)
