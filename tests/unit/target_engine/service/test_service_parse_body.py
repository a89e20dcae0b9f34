"""``requests.parse_body`` (orjson fast path) reads every body exactly as ``json.loads`` does: the
same value (type included: big integers stay ints, floats round the same), or MALFORMED_JSON with
the same message; generated JSON texts and raw bytes, plus the known differences of orjson."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from target_engine.service.errors import ApiError
from target_engine.service.requests import parse_body


def reference(body: bytes) -> tuple[str, Any]:
    """What ``json.loads`` gives, as the pre-change ``Request.json`` answered it."""
    if not body:
        return "err", "request body must be a JSON object"
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return "err", f"invalid JSON: {str(exc)[:100]}"
    if not isinstance(data, dict):
        return "err", "request body must be a JSON object"
    return "ok", data


def ours(body: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse_body(body)
    except ApiError as exc:
        assert exc.code == "MALFORMED_JSON" and exc.status == 400
        return "err", exc.message


def same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                    st.sampled_from(["\ud800", "\U0001f600", "\x00", "9" * 25]))
values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=3)
                      | st.dictionaries(st.text(max_size=4), kids, max_size=3), max_leaves=10)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=6), values, max_size=5) | values, st.booleans())
def test_generated_json_reads_like_json_loads(value: Any, spaced: bool) -> None:
    text = json.dumps(value, indent=1 if spaced else None, ensure_ascii=spaced)
    body = text.encode("utf-8", "surrogatepass")
    (kind_a, a), (kind_b, b) = ours(body), reference(body)
    assert kind_a == kind_b and same(a, b)


JSONISH = '{}[]":,0123456789.eE+-tfnrul aN\\'


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=40) | st.text(alphabet=JSONISH, max_size=30).map(str.encode))
def test_arbitrary_bytes_read_like_json_loads(body: bytes) -> None:
    (kind_a, a), (kind_b, b) = ours(body), reference(body)
    assert kind_a == kind_b and same(a, b)


@pytest.mark.parametrize("body", [
    b'{"a":1,"a":2,"b":3}', b'{"a":1e400}', b'{"a":NaN}', b'\xef\xbb\xbf{"a":1}', b'{"a":"\\ud800"}',
    b'{"a":123456789012345678901234567890}', b'{"a":-9223372036854775809}', b'{"a":18446744073709551616}',
    b'{"a":0.12345678901234567890123}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"a":1}\x00', b"", b"[]", b"null", b'{"qty":"0.002"}', b'\xff\xfe{\x00}\x00',
])
def test_known_orjson_differences(body: bytes) -> None:
    (kind_a, a), (kind_b, b) = ours(body), reference(body)
    assert kind_a == kind_b and same(a, b)
