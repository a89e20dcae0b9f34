"""Both HTTP servers of the engine answer byte-compatibly: ``--http-server builtin`` vs ``uvicorn``.

Two real engine processes (own journals) get the same request sequence; status, headers (minus
uvicorn's ``server``/``date`` and the connection fate of a refused body) and bodies must match,
with time-valued fields masked (the two engines run at different instants).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.engine.engine_proc import EngineProc, start_engine

_IGNORED_HEADERS = {b"server", b"date", b"connection"}
_VOLATILE = ("time", "hash", "_ms", "age")


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, EngineProc]]:
    started: dict[str, EngineProc] = {}
    try:
        for kind in ("builtin", "uvicorn"):
            tmp = Path(tmp_path_factory.mktemp(kind))
            # no clock ticks during the test: they would move seq at different moments in the two engines
            started[kind] = start_engine(tmp / "j.sqlite", "blue", "leader", "--http-server", kind,
                                         "--clock-tick-ms", "3600000")
        yield started
    finally:
        for e in started.values():
            assert e.terminate() == 0  # SIGTERM drains and exits 0 with either server


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<masked>" if any(v in k for v in _VOLATILE) else _mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


_ORDER = {"account": "p1", "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "qty": "0.01",
          "price": "59000", "client_order_id": "o1"}
REQUESTS: list[tuple[str, str, bytes | None]] = [
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/openapi.json", None),
    ("PUT", "/admin/index-price", b'{"symbol": "BTCUSDT", "price": "60000"}'),
    ("POST", "/v1/accounts/p1/deposits", b'{"asset": "USDT", "amount": "10000"}'),
    ("POST", "/v1/orders", json.dumps(_ORDER).encode()),
    ("POST", "/v1/orders", json.dumps(_ORDER).encode()),  # idempotent repeat
    ("POST", "/v1/orders", b"{not json"),
    ("POST", "/v1/orders", b"[1, 2]"),
    ("POST", "/v1/orders", json.dumps({**_ORDER, "bogus": 1}).encode()),
    ("POST", "/v1/orders", json.dumps({**_ORDER, "qty": 5}).encode()),
    ("POST", "/v1/orders", b""),
    ("POST", "/v1/orders", b"x" * 70_000),  # over MAX_BODY: 413
    ("POST", "/nowhere", b"x" * 70_000),  # unknown route first: 404
    ("GET", "/v1/orders/o1?account=p1", None),
    ("GET", "/v1/orders/o1", None),
    ("GET", "/v1/orders/o1?account=p1&account=p2", None),
    ("GET", "/v1/orders/nope?account=p1", None),
    ("GET", "/v1/openOrders?account=p1", None),
    ("GET", "/v1/fills?account=%ff", None),
    ("DELETE", "/v1/orders/o1?account=p1", None),
    ("GET", "/v1/fills?account=p1", None),
    ("GET", "/v1/accounts/p1", None),
    ("GET", "/v1/accounts/a%20b", None),
    ("GET", "/v1/markets/BTCUSDT", None),
    ("GET", "/v1/markets/NOPE", None),
    ("PUT", "/v1/state", None),
    ("GET", "/nope", None),
    ("GET", "/v1/state", None),
    ("POST", "/admin/promote", None),
]


def _answer(c: httpx.Client, method: str, path: str, body: bytes | None) -> tuple[int, list[Any], Any]:
    headers = {"content-type": "application/json"} if body is not None else {}
    r = c.request(method, path, content=body, headers=headers)
    kept = [(k, v if k != b"content-length" else b"<n>") for k, v in r.headers.raw
            if k not in _IGNORED_HEADERS]
    payload = _mask(r.json()) if r.headers.get("content-type") == "application/json" else r.content
    return r.status_code, kept, payload


def test_builtin_and_uvicorn_answer_alike(engines: dict[str, EngineProc]) -> None:
    with engines["builtin"].client() as b, engines["uvicorn"].client() as u:
        for method, path, body in REQUESTS:
            got, want = _answer(b, method, path, body), _answer(u, method, path, body)
            assert got == want, f"{method} {path}"


def test_uvicorn_metrics_count_requests(engines: dict[str, EngineProc]) -> None:
    with engines["uvicorn"].client() as u:
        u.get("/healthz")
        text = u.get("/metrics").text
    assert 'engine_http_requests_total{code="200",color="blue",route="/healthz"}' in text
