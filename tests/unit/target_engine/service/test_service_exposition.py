"""``Exposition.render`` is byte-identical to prometheus-client's ``generate_latest`` for the
engine's registry, across renders as values change, with hostile label values (quotes,
backslashes, newlines, non-ASCII), zero and negative zero, NaN and infinities, new series appearing
between renders, and past its cache bound."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from target_engine.service.exposition import Exposition
from target_engine.service.metrics import EngineMetrics

labels = st.text(max_size=6) | st.sampled_from(['a"b', "a\\b", "a\nb", "\u00e9", ""])
values = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e22, 5e-324])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels, values, st.floats(0, 100)), min_size=1, max_size=8))
def test_render_equals_generate_latest(updates: list[tuple[str, str, float, float]]) -> None:
    m = EngineMetrics("blue")
    fast = Exposition(m.registry, max_series=50)
    for route, code, gauge, seconds in updates:
        m.observe_request(route, 200, seconds)
        m.child(m.rejects, code).inc()
        m.mark.labels("blue", route).set(gauge)
        assert fast.render() == generate_latest(m.registry)
        assert m.render() == generate_latest(m.registry)


def test_negative_zero_and_nan_are_not_confused_by_the_value_cache() -> None:
    m = EngineMetrics("blue")
    fast = Exposition(m.registry)
    for value in (0.0, -0.0, math.nan, 0.0, -0.0, math.inf, -math.inf):
        m.mark.labels("blue", "BTCUSDT").set(value)
        text = fast.render()
        assert text == generate_latest(m.registry)
    assert b'engine_mark_price{color="blue",symbol="BTCUSDT"} -Inf' in text
