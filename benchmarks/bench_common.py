"""Helpers shared by the engine benchmarks: JSON rows, engine processes, CPU time, one-shot HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def emit(figure: str, value: float, unit: str, target: float | None = None, **extra: object) -> None:
    """Print one figure as a JSON line, with the 1-minute load average (the machine is shared) and
    the build of the domain core the engine runs (``mypyc`` or ``python``, see target_engine.native)."""
    from target_engine.native import DOMAIN_BUILD

    row = {
        "figure": figure,
        "value": round(value, 3),
        "unit": unit,
        "target": target,
        **extra,
        "domain_build": DOMAIN_BUILD,
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row), flush=True)


def start(argv: list[str], log: Path) -> tuple[subprocess.Popen[str], str]:
    """Start a server that prints ``LISTENING <url>`` first; stderr appends to ``log``.
    Exits the benchmark (after killing the child) if the first line is anything else."""
    with log.open("a") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        raise SystemExit(f"did not start: {line!r}; see {log}")
    return proc, line.split()[1]


def engine_argv(journal: Path, color: str, role: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "target_engine.service",
        "serve",
        "--journal",
        str(journal),
        "--color",
        color,
        "--role",
        role,
        "--port",
        "0",
        *extra,
    ]


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process (Linux /proc), to report work per CPU-second under contention."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http(method: str, url: str, body: dict[str, object] | None = None, timeout: float = 5.0) -> int:
    """Status of one request, -1 when it failed at the transport level."""
    import httpx

    try:
        return httpx.request(method, url, json=body, timeout=timeout).status_code
    except httpx.HTTPError:
        return -1
