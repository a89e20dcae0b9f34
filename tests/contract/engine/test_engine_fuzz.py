"""Property-based fuzz of every route in the engine's /openapi.json: no 5xx, no crash.

Requests are built from the document itself (path/query parameters, request-body schemas), mixed
with schema-breaking variants (wrong types, unknown fields, raw bytes, odd path segments). Seeded
and derandomized with a bounded example count per operation, so the run is repeatable.
Failpoint names are confined to a ``fuzz.`` prefix: a fuzzer that sets ``crash`` on a real point
would be testing the failpoint, not the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.engine.engine_proc import EngineProc, start_engine

EXAMPLES_PER_OPERATION = 40
JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False), st.text(max_size=30)
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
SEGMENT = st.one_of(
    st.from_regex(r"\A[A-Za-z0-9._:\-]{1,64}\Z"),
    st.text(max_size=80),
    st.sampled_from(["a1", "BTCUSDT", "ETHUSDT", "BTCUSDC", "o1", "%00", "..", "x" * 200]),
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProc]:
    e = start_engine(Path(tmp_path_factory.mktemp("fuzz")) / "j.sqlite")
    e.set_index({"BTCUSDT": "60000", "ETHUSDT": "3000", "BTCUSDC": "60000"})
    with e.client() as c:
        for acct in ("a1", "a2"):
            assert (
                c.post(f"/v1/accounts/{acct}/deposits", json={"asset": "USDT", "amount": "50000"}).status_code
                == 200
            )
    yield e
    assert e.proc.poll() is None, "engine died during the fuzz run"
    assert "unhandled error" not in e.log.read_text(), "a handler raised (answered 500 INTERNAL)"
    assert e.terminate() == 0


def _from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for values valid under the small JSON-schema subset the document uses."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return st.one_of(
            st.sampled_from(["BTCUSDT", "ETHUSDT", "BTCUSDC", "USDT", "USDC"]), st.text(max_size=20)
        )
    if kind == "integer":
        return st.integers(-5, 300)
    if kind == "boolean":
        return st.booleans()
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: _from_schema(v) for k, v in props.items() if k in required},
            optional={k: _from_schema(v) for k, v in props.items() if k not in required},
        )
    return ANY_JSON


def _body(schema: dict[str, Any] | None) -> st.SearchStrategy[bytes | None]:
    if schema is None:
        return st.one_of(st.none(), st.binary(max_size=50))
    valid = _from_schema(schema)
    broken = st.one_of(
        st.builds(lambda d, k, v: {**d, k: v}, valid, st.text(max_size=8), ANY_JSON),  # unknown/retyped field
        ANY_JSON,
    )
    return st.one_of(
        valid.map(lambda d: json.dumps(d).encode()),
        broken.map(lambda d: json.dumps(d).encode()),
        st.binary(max_size=200),
    )


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    from target_engine.service.openapi import document  # the same document the server serves

    doc = document()
    return [
        (method, path, op) for path, ops in sorted(doc["paths"].items()) for method, op in sorted(ops.items())
    ]


def test_openapi_served_matches_the_fuzzed_document(engine: EngineProc) -> None:
    with engine.client() as c:
        served = c.get("/openapi.json").json()
    assert {(m, p) for p, ops in served["paths"].items() for m in ops} == {
        (m, p) for m, p, _ in _operations()
    }


@pytest.mark.parametrize(
    ("method", "path", "op"), _operations(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_fuzz_route_never_5xx(engine: EngineProc, method: str, path: str, op: dict[str, Any]) -> None:
    params = op.get("parameters", [])
    path_names = [p["name"] for p in params if p["in"] == "path"]
    query = [p for p in params if p["in"] == "query"]
    schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        segments=st.fixed_dictionaries({n: SEGMENT for n in path_names}),
        qvalues=st.fixed_dictionaries({q["name"]: st.one_of(st.none(), SEGMENT) for q in query}),
        body=_body(schema),
    )
    def run(segments: dict[str, str], qvalues: dict[str, str | None], body: bytes | None) -> None:
        url = path
        for name, value in segments.items():
            # failpoints: never arm a real point (see module docstring)
            text = "fuzz." + value if name == "name" else value
            url = url.replace("{" + name + "}", quote(text, safe=""))
        q = {k: v for k, v in qvalues.items() if v is not None}
        with engine.client() as c:
            r = c.request(
                method.upper(), url, params=q, content=body, headers={"content-type": "application/json"}
            )
        assert r.status_code < 500 or r.json()["code"] in {"OVERLOADED", "EXCESS_QUEUE_DEPTH"}, (
            method,
            url,
            q,
            body,
            r.status_code,
            r.text,
        )
        if r.headers.get("content-type", "").startswith("application/json"):
            data = r.json()
            if r.status_code >= 400:
                assert isinstance(data.get("code"), str) and isinstance(data.get("message"), str)

    run()
    with engine.client() as c:
        assert c.get("/healthz").status_code == 200
        c.put("/admin/trading-mode", json={"mode": "normal"})
