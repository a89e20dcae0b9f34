"""The leader pulls index ticks from a real feed process over TCP; a dead feed marks the index stale."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from target_engine.config.loader import load_config_dict
from tests.integration.engine.engine_proc import start_engine, start_process, wait_for


def _metric(text: str, name: str, symbol: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and f'symbol="{symbol}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_feed_ticks_reach_the_engine_and_a_dead_feed_goes_stale(tmp_path: Path) -> None:
    raw = load_config_dict()
    raw["engine"]["index_stale_ms"] = 800
    config = tmp_path / "engine.yaml"
    config.write_text(yaml.safe_dump(raw))
    feed, feed_url = start_process(
        [
            sys.executable,
            "-m",
            "target_engine.service",
            "feed",
            "--symbols",
            "BTCUSDT,ETHUSDT",
            "--seed",
            "3",
            "--start",
            "BTCUSDT=60000",
            "--start",
            "ETHUSDT=3000",
            "--interval-ms",
            "50",
            "--port",
            "0",
        ],
        tmp_path / "feed.log",
    )
    assert feed_url.startswith("tcp://127.0.0.1:")
    e = start_engine(tmp_path / "j.sqlite", "blue", "leader", "--config", str(config), "--feed", feed_url)
    try:
        with e.client() as c:
            assert wait_for(
                lambda: c.get("/v1/markets/BTCUSDT").json()["index_price"] is not None, timeout=10
            )
            assert wait_for(lambda: c.get("/v1/state").json()["index_stale"] is False, timeout=10)
            first = c.get("/v1/state").json()["seq"]
            assert wait_for(
                lambda: c.get("/v1/state").json()["seq"] > first + 5, timeout=10
            )  # ticks journaled
            assert _metric(c.get("/metrics").text, "engine_index_stale", "BTCUSDT") == 0
            feed.terminate()
            assert feed.wait(10) == 0
            assert wait_for(
                lambda: c.get("/v1/state").json()["stale_symbols"] == ["BTCUSDT", "ETHUSDT"], timeout=10
            )
            assert _metric(c.get("/metrics").text, "engine_index_stale", "BTCUSDT") == 1
            age = _metric(c.get("/metrics").text, "engine_index_age_seconds", "BTCUSDT")
            assert age is not None and age > 0.8
            assert c.get("/v1/markets/BTCUSDT").json()["index_stale"] is True
    finally:
        if feed.poll() is None:
            feed.kill()
        assert e.terminate() == 0
