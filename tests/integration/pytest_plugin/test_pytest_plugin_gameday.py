"""The gameday pytest plugin, loaded through its pytest11 entry point in a separate pytest process."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(180)


def test_plugin_registers_marker_and_fixtures(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["@pytest.mark.gameday(scenario=None*"])
    fixtures = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    fixtures.stdout.fnmatch_lines(["*chaos_proxy*", "*margin_engine*", "*gameday_run*"])


def test_chaos_proxy_fixture_runs_a_real_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_proxy(chaos_proxy):
            assert chaos_proxy.url.startswith("http://127.0.0.1:")
            assert httpx.get(chaos_proxy.url + "/version", timeout=5).status_code == 200
            chaos_proxy.client.create_proxy("api", listen="127.0.0.1:0", upstream="127.0.0.1:9")
            assert "api" in chaos_proxy.client.proxies()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)


def test_margin_engine_fixture_runs_a_real_engine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx, pytest

        OPTIONS = [{"overflow_policy": "shed", "color": "green"}]

        @pytest.mark.parametrize("margin_engine", OPTIONS, indirect=True)
        def test_engine(margin_engine):
            state = httpx.get(margin_engine.url + "/v1/state", timeout=5).json()
            assert state["color"] == "green"
            assert margin_engine.journal.exists()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)


def test_gameday_marker_and_run_result(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
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
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers",
                                           "-m", "gameday or not gameday")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*gameday_run: no scenario*"])


def test_the_documented_example_gate_runs(pytester: pytest.Pytester) -> None:
    """docs/ci-examples/test_resilience.py: its fixture-only gate passes against real processes."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "docs" / "ci-examples" / "test_resilience.py"
    pytester.makepyfile(test_resilience=example.read_text())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-m", "gameday",
                                           "-k", "slow_link")
    result.assert_outcomes(passed=1, deselected=2)
