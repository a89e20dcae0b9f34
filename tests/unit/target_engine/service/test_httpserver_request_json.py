"""``Request.json`` (orjson fast path) reads every body exactly as the stdlib ``json.loads`` does."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from target_engine.service.asgi import Request
from target_engine.service.errors import ApiError

_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                     st.floats(allow_nan=True), st.text(max_size=20))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=10)


def _read(body: bytes) -> Any:
    try:
        return Request("POST", "/", {}, {}, {}, body, "127.0.0.1").json()
    except ApiError as err:
        return ("error", err.code, err.message)


def _stdlib(body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return ("error", "MALFORMED_JSON", f"invalid JSON: {str(exc)[:100]}")
    if not isinstance(data, dict):
        return ("error", "MALFORMED_JSON", "request body must be a JSON object")
    return data


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) and type(a[k]) is type(b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) and type(a) is type(b)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _values, max_size=6))
def test_objects_read_as_the_stdlib_reads_them(obj: dict[str, Any]) -> None:
    body = json.dumps(obj).encode()
    assert _same(_read(body), _stdlib(body))


def test_edge_bodies_read_as_the_stdlib_reads_them() -> None:
    bodies = [b'{"a":123456789012345678901234567890}', b'{"a":18446744073709551616}', b'{"a":NaN}',
              b'{"a":1e400}', b'{"a":"\\ud800"}', b'{"a":"\xed\xa0\x80"}', '{"a":1}'.encode("utf-16"),
              b'\xef\xbb\xbf{"a":1}', b'{"a":1,"a":2}', b"[" * 5000, b"{bad", b"[1]", b'"x"', b"  "]
    for body in bodies:
        assert _same(_read(body), _stdlib(body)), body
