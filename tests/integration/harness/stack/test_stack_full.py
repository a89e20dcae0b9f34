"""The whole stack with the real engine, feed, chaos-proxy and Prometheus (gateway when present)."""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
import urllib.parse
import urllib.request

import pytest

from harness.stack.spec import StackSpec
from harness.stack.stack import start_stack
from harness.stack.state import StateEntry, is_same_process, read_state

pytestmark = pytest.mark.slow
HAS_GATEWAY = importlib.util.find_spec("harness.deploy.gateway") is not None
HAS_PROMETHEUS = shutil.which("prometheus") is not None


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())


def _wait_up(prom: str, job: str, timeout: float = 20.0) -> float:
    q = urllib.parse.quote(f'up{{job="{job}"}}')
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = _get(f"{prom}/api/v1/query?query={q}")["data"]["result"]
        if result and result[0]["value"][1] == "1":
            return 1.0
        time.sleep(0.1)
    return 0.0


def test_full_stack_up_restart_and_down(tmp_path):
    spec = StackSpec(run_dir=tmp_path, seed=5, gateway=HAS_GATEWAY, prometheus=HAS_PROMETHEUS)
    with start_stack(spec, install_handlers=False) as stack:
        urls = stack.urls
        state = _get(f"{urls.api}/v1/state")
        assert (state["role"], state["color"]) == ("leader", "blue")
        assert _get(f"{urls.engine_proxies['green']}/v1/state")["role"] == "standby"
        assert set(stack.toxiproxy.proxies()) == {"index", "blue", "green", "api"}
        entries = read_state(tmp_path)
        names = [e.name for e in entries]
        expected = ["feed", "chaos-proxy", "engine-blue", "engine-green"]
        expected += ["gateway"] if HAS_GATEWAY else []
        expected += ["prometheus"] if HAS_PROMETHEUS else []
        assert names == expected
        assert all(is_same_process(e) for e in entries)
        if HAS_PROMETHEUS:
            assert urls.prometheus
            assert _wait_up(urls.prometheus, "engine-blue") == 1.0
            assert _wait_up(urls.prometheus, "chaos-proxy") == 1.0
        old = urls.engines["green"]
        new = stack.restart_engine("green")
        assert new != old
        assert _get(f"{stack.urls.engine_proxies['green']}/v1/state")["color"] == "green"
        pids = [e.pid for e in read_state(tmp_path)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        is_same_process(StateEntry("x", p, p, None, None, ())) for p in pids
    ):
        time.sleep(0.05)
    assert not [p for p in pids if is_same_process(StateEntry("x", p, p, None, None, ()))]
    assert read_state(tmp_path) == []
    assert json.loads((tmp_path / "stack.json").read_text())["info"]["urls"]["api"] == urls.api


def test_a_bad_engine_argument_stops_what_was_started(tmp_path):
    from harness.stack.errors import StartError
    from harness.stack.spec import EngineSpec

    bad = (EngineSpec("blue", "leader", "halt", extra_args=("--lease-ms", "0")),)
    spec = StackSpec(run_dir=tmp_path, engines=bad, gateway=False, prometheus=False, ready_timeout=10)
    with pytest.raises(StartError, match="engine-blue"):
        start_stack(spec, install_handlers=False)
    assert read_state(tmp_path) == []


def _epochs(journal) -> list[tuple[int, str]]:
    import sqlite3

    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        return [(int(e), str(c)) for e, c in db.execute("SELECT epoch, color FROM epochs ORDER BY epoch")]


def test_teardown_after_a_promotion_writes_no_new_epoch(tmp_path):
    """Stopping the new leader first would let the old one (now standby) promote itself at teardown."""
    spec = StackSpec(run_dir=tmp_path, seed=6, gateway=False, prometheus=False)
    with start_stack(spec, install_handlers=False) as stack:
        green = stack.urls.engines["green"]
        request = urllib.request.Request(f"{green}/admin/promote", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
        blue = stack.urls.engines["blue"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _get(f"{blue}/v1/state")["role"] != "standby":
            time.sleep(0.05)
        assert _get(f"{green}/v1/state")["role"] == "leader"
    assert _epochs(spec.journal_path) == [(1, "blue"), (2, "green")]
