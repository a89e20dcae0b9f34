"""``canonical_json`` (orjson fast path) gives exactly the bytes of its ``json.dumps`` definition,
for any JSON value the domain can produce: every character, big integers, nesting, enums."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from target_engine.domain import Side
from target_engine.journal import canonical_json


def reference(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(),
    st.sampled_from(["\x00", "\x1f", "\x7f", "\u00e9", "\u2028", "\U0001f600", '"\\/', "\t\n\r\b\f"]),
)
values = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=8), values, max_size=6))
def test_same_bytes_as_json_dumps(obj: dict[str, Any]) -> None:
    assert canonical_json(obj) == reference(obj)


def test_enums_big_integers_and_escapes() -> None:
    obj = {"side": Side.BUY, "big": 10**30, "neg": -(2**64), "s": "a\x7fb\u00e9\x01", "t": (1, 2)}
    assert canonical_json(obj) == reference(obj)
    assert canonical_json({"b": 1, "a": [True, None]}) == '{"a":[true,null],"b":1}'
