"""engine_build_info names the build of the domain core the process runs, and only that one."""

from __future__ import annotations

import os
import subprocess
import sys

from target_engine.native import DOMAIN_BUILD, PURE_ENV
from target_engine.service.metrics import EngineMetrics


def build_samples(color: str) -> dict[str, float]:
    registry = EngineMetrics(color).registry
    return {s.labels["domain"]: s.value for m in registry.collect() if m.name == "engine_build_info"
            for s in m.samples if s.labels["color"] == color}


def test_build_info_is_this_process_build() -> None:
    assert build_samples("green") == {DOMAIN_BUILD: 1.0}


def test_pure_env_reports_python() -> None:
    code = ("from tests.unit.target_engine.service.test_service_build_metric import build_samples; "
            "print(build_samples('blue'))")
    env = {**os.environ, PURE_ENV: "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "{'python': 1.0}"
