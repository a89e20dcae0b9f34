"""The gameday pytest plugin, loaded through its pytest11 entry point in a separate pytest process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(180)
ROOT = Path(__file__).resolve().parents[3]


def _pytest(tmp_path: Path, *args: str, source: str | None = None) -> tuple[int, str]:
    """Run pytest in ``tmp_path`` (its own rootdir: no project config) on ``source`` as test_gate.py."""
    if source is not None:
        (tmp_path / "test_gate.py").write_text(source)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--strict-markers",
                           "--rootdir", str(tmp_path), *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=150, check=False)
    return done.returncode, done.stdout + done.stderr


def _counts(output: str) -> dict[str, int]:
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|deselected|error)", output)}


def test_plugin_registers_marker_and_fixtures(tmp_path: Path) -> None:
    rc, out = _pytest(tmp_path, "--markers")
    assert rc == 0 and "@pytest.mark.gameday(scenario=None" in out
    rc, out = _pytest(tmp_path, "--fixtures")
    assert rc == 0
    for name in ("chaos_proxy", "margin_engine", "gameday_run"):
        assert re.search(rf"^{name}\b", out, flags=re.MULTILINE), name


def test_chaos_proxy_fixture_runs_a_real_server(tmp_path: Path) -> None:
    rc, out = _pytest(tmp_path, source="""
import httpx

def test_proxy(chaos_proxy):
    assert chaos_proxy.url.startswith("http://127.0.0.1:")
    assert httpx.get(chaos_proxy.url + "/version", timeout=5).status_code == 200
    chaos_proxy.client.create_proxy("api", listen="127.0.0.1:0", upstream="127.0.0.1:9")
    assert "api" in chaos_proxy.client.proxies()
""")
    assert rc == 0 and _counts(out) == {"passed": 1}, out


def test_margin_engine_fixture_runs_a_real_engine(tmp_path: Path) -> None:
    rc, out = _pytest(tmp_path, source="""
import httpx, pytest

OPTIONS = [{"overflow_policy": "shed", "color": "green"}]

@pytest.mark.parametrize("margin_engine", OPTIONS, indirect=True)
def test_engine(margin_engine):
    state = httpx.get(margin_engine.url + "/v1/state", timeout=5).json()
    assert state["color"] == "green"
    assert margin_engine.journal.exists()
""")
    assert rc == 0 and _counts(out) == {"passed": 1}, out


def test_gameday_marker_and_run_result(tmp_path: Path) -> None:
    rc, out = _pytest(tmp_path, "-m", "gameday or not gameday", source="""
import pytest

@pytest.mark.gameday(scenario="no-such-scenario", timeout=120)
def test_gate(gameday_run):
    result = gameday_run()
    assert result.exit_code != 0
    assert not result.passed
    assert result.verdict == "unknown"
    assert result.mttd("MarginQueueOverflow") is None

def test_needs_a_scenario(gameday_run):
    gameday_run()
""")
    assert rc == 1 and _counts(out) == {"passed": 1, "failed": 1}, out
    assert "gameday_run: no scenario" in out


def test_the_documented_example_gate_runs(tmp_path: Path) -> None:
    """docs/ci-examples/test_resilience.py: its fixture-only gate passes against real processes."""
    example = (ROOT / "docs" / "ci-examples" / "test_resilience.py").read_text()
    rc, out = _pytest(tmp_path, "-m", "gameday", "-k", "slow_link", source=example)
    assert rc == 0 and _counts(out) == {"passed": 1, "deselected": 2}, out
