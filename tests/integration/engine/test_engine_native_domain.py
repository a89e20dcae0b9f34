"""The mypyc-compiled domain and the pure-Python domain are the same engine: seeded sessions that
liquidate, auto-deleverage and settle funding give the same events and state hash under both, and so
does ``margin-engine demo``. Skipped only where the compiled build is absent (``make native``; the
``make test`` that CI runs builds it first and fails if it cannot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from target_engine.native import DOMAIN_BUILD, DOMAIN_BUILD_REASON, PURE_ENV

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(DOMAIN_BUILD != "mypyc",
                                reason=f"compiled domain not in use: {DOMAIN_BUILD_REASON}")


def run(args: list[str], *, pure: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != PURE_ENV}
    if pure:
        env[PURE_ENV] = "1"
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "compiled domain not used" not in done.stderr
    return done.stdout


def probe(seed: int, *, pure: bool) -> dict[str, object]:
    args = ["-m", "tests.integration.engine.native_probe", str(seed), "6000"]
    out: dict[str, object] = json.loads(run(args, pure=pure))
    return out


def test_seeded_sessions_agree_across_builds() -> None:
    totals = {"liquidations": 0, "adl": 0, "funding_payments": 0}
    for seed in (1, 7, 42):
        compiled, pure = probe(seed, pure=False), probe(seed, pure=True)
        assert (compiled.pop("build"), pure.pop("build")) == ("mypyc", "python")
        assert compiled == pure, f"seed {seed}"
        for key in totals:
            totals[key] += int(compiled[key])  # type: ignore[call-overload]
    assert all(totals.values()), totals  # the sessions reached every path they are meant to compare


def test_demo_prints_the_same_under_both_builds() -> None:
    cli = ["-c", "import sys; from target_engine.cli import main; sys.exit(main(['demo']))"]
    compiled, pure = run(cli, pure=False), run(cli, pure=True)
    assert "state hash" in compiled
    assert compiled == pure


def test_pure_env_loads_the_sources() -> None:
    code = ("import target_engine.domain.engine as e, target_engine.native as n; "
            "print(n.DOMAIN_BUILD, e.__file__)")
    assert run(["-c", code], pure=True).split() == ["python", str(ROOT / "target_engine/domain/engine.py")]
    build, path = run(["-c", code], pure=False).split()
    assert build == "mypyc"
    assert path.endswith(".so") and Path(path).parent == ROOT / "target_engine" / "domain"
