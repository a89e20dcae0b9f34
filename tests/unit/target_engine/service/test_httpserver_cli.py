"""`margin-engine serve --http-server builtin|uvicorn` (the real argparse parser, nothing started)."""

from __future__ import annotations

import argparse

import pytest

from target_engine.service import cli_serve
from target_engine.service.options import HttpServerKind, ServiceOptions


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_serve.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", "--journal", "j.sqlite", *argv])


def test_builtin_server_is_the_default() -> None:
    assert HttpServerKind(_parse().http_server) is HttpServerKind.BUILTIN
    assert ServiceOptions().http_server is HttpServerKind.BUILTIN


def test_uvicorn_is_selectable() -> None:
    assert HttpServerKind(_parse("--http-server", "uvicorn").http_server) is HttpServerKind.UVICORN


def test_unknown_server_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parse("--http-server", "gunicorn")
    assert exc.value.code == 2 and "--http-server" in capsys.readouterr().err
