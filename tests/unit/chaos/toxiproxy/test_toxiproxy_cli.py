"""chaos-proxy's client subcommands against a real server (in-process main())."""

from __future__ import annotations

import subprocess
import sys

from chaos.toxiproxy.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_full_workflow(capsys, chaos_server, api, echo):
    url = chaos_server.url
    code, out, _ = run(capsys, "--api", url, "create", "clip", "--upstream", f"127.0.0.1:{echo.port}")
    assert code == 0 and "created clip" in out
    code, out, _ = run(capsys, "--api", url, "list")
    assert code == 0 and "clip" in out
    code, out, _ = run(
        capsys,
        "--api",
        url,
        "toxic",
        "add",
        "clip",
        "--type",
        "latency",
        "--stream",
        "up",
        "--toxic-name",
        "lat",
        "-a",
        "latency=25",
        "-a",
        "jitter=5",
    )
    assert code == 0 and "lat" in out
    assert api.toxic("clip", "lat").attributes == {"latency": 25, "jitter": 5}
    code, out, _ = run(
        capsys, "--api", url, "toxic", "update", "clip", "--toxic-name", "lat", "-a", "latency=40"
    )
    assert code == 0
    assert api.toxic("clip", "lat").attributes["latency"] == 40
    code, out, _ = run(capsys, "--api", url, "inspect", "clip")
    assert code == 0 and "type=latency" in out and "stream=upstream" in out
    code, out, _ = run(capsys, "--api", url, "toggle", "clip")
    assert code == 0 and "disabled" in out and not api.proxy("clip").enabled
    code, out, _ = run(capsys, "--api", url, "toxic", "remove", "clip", "--toxic-name", "lat")
    assert code == 0 and api.toxics("clip") == []
    code, out, _ = run(capsys, "--api", url, "delete", "clip")
    assert code == 0 and "clip" not in api.proxies()


def test_cli_errors_are_one_line_and_non_zero(capsys, chaos_server):
    url = chaos_server.url
    code, _, err = run(capsys, "--api", url, "inspect", "missing")
    assert code == 1 and err.strip() == "chaos-proxy: error: proxy not found (status 404)"
    code, _, err = run(
        capsys, "--api", url, "toxic", "add", "missing", "--type", "latency", "-a", "latency=-5"
    )
    assert code == 2 and "latency must be >= 0" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "--api", "http://127.0.0.1:1", "list")
    assert code == 1 and err.startswith("chaos-proxy: error:") and len(err.strip().splitlines()) == 1


def test_cli_bad_usage_exits_2():
    result = subprocess.run(
        [sys.executable, "-m", "chaos.toxiproxy.cli", "toxic", "add"],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("chaos-proxy: error:")


def test_serve_refuses_a_bad_config(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text('[{"name": "x"}]')
    result = subprocess.run(
        [sys.executable, "-m", "chaos.toxiproxy.cli", "serve", "--port", "0", "--config", str(config)],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "missing required field: upstream at proxy 1" in result.stderr
