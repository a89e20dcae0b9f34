"""Example: your own resilience gates with the gameday pytest plugin (tests/resilience/ in your repo).

The plugin is registered by installing gameday (entry point ``pytest11``): no conftest needed.
Run with ``pytest -m gameday``.
"""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.gameday(scenario="bad-deploy-rollback", timeout=300)
def test_bad_deploy_is_rolled_back_without_losing_orders(gameday_run):
    result = gameday_run()
    assert result.passed, result.explain()
    assert result.checker("orders")["counts"]["lost"] == 0


@pytest.mark.gameday(scenario="binance-um-2025")
def test_queue_overflow_is_detected_within_three_seconds(gameday_run):
    result = gameday_run()
    mttd = result.mttd("MarginQueueOverflow")
    assert mttd is not None and mttd <= 3.0, result.explain()


@pytest.mark.gameday
def test_engine_survives_a_slow_link(chaos_proxy, margin_engine):
    """Put a latency toxic between a client and the engine and check the API still answers."""
    host_port = margin_engine.url.removeprefix("http://")
    proxy = chaos_proxy.client.create_proxy("engine", listen="127.0.0.1:0", upstream=host_port)
    chaos_proxy.client.add_toxic("engine", "latency", attributes={"latency": 200, "jitter": 20})
    resp = httpx.get(f"http://{proxy.listen}/v1/state", timeout=5)
    assert resp.status_code == 200
