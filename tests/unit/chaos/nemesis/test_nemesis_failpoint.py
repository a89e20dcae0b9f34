"""The failpoint fault kind against a real admin HTTP server."""

import pytest

from chaos import nemesis
from chaos.nemesis import FaultSpecError, InjectError, NemesisContext

from .admin_server import AdminServer


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": "a", "spec": "pause"}, "target"),
        ({"target": "ftp://127.0.0.1:1", "name": "a", "spec": "pause"}, "target"),
        ({"target": "http://127.0.0.1:99999", "name": "a", "spec": "pause"}, "target"),
        ({"target": "http://127.0.0.1:1", "name": "bad name", "spec": "pause"}, "name"),
        ({"target": "http://127.0.0.1:1", "name": "a", "spec": "explode"}, "spec"),
        ({"target": "http://127.0.0.1:1", "name": "a"}, "spec"),
        ({"target": "http://127.0.0.1:1", "name": "a", "spec": "pause", "extra": 1}, "extra"),
    ],
)
def test_invalid_params_are_refused_before_any_request(params, field):
    with AdminServer() as server:
        if "target" in params and params["target"] == "http://127.0.0.1:1":
            params = {**params, "target": server.url}
        with pytest.raises(FaultSpecError) as info:
            nemesis.inject("failpoint", params)
        assert info.value.field == field
        assert server.requests == []


def test_inject_sets_and_heal_clears_with_token():
    with AdminServer(token="s3cret") as server:
        ctx = NemesisContext(admin_token="s3cret")
        params = {"target": server.url + "/", "name": "margin.worker.delay", "spec": "delay(200,50)"}
        handle = nemesis.inject("failpoint", params, ctx)
        assert server.registry.snapshot() == {"margin.worker.delay": "delay(200,50)"}
        assert "s3cret" not in str(nemesis.handle_to_dict(handle))
        nemesis.heal(handle, ctx)
        assert server.registry.snapshot() == {}


def test_wrong_token_is_an_inject_error():
    with AdminServer(token="s3cret") as server:
        with pytest.raises(InjectError, match="401"):
            nemesis.inject("failpoint", {"target": server.url, "name": "a", "spec": "pause"})
        assert server.registry.snapshot() == {}
