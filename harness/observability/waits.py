"""Bounded waits against a Prometheus server: readiness, targets up, an alert firing.

Network: plain httpx GETs with short timeouts; a connection error while polling counts as "not
yet" until the deadline, then TIMEOUT is raised (ObservabilityError). Clocks are injectable
(``clock``) so callers can measure with the same monotonic source they started from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx

from harness.observability.errors import ObservabilityError

Clock = Callable[[], float]


def wait_ready(url: str, timeout: float = 10.0, poll: float = 0.02,
               alive: Callable[[], bool] | None = None) -> None:
    """Poll ``GET {url}/-/ready`` until 200. ``alive()`` returning False aborts early (process died)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    with httpx.Client(timeout=1.0) as http:
        while time.monotonic() < deadline:
            if alive is not None and not alive():
                raise ObservabilityError("PROMETHEUS_START_FAILED", f"{url}: process exited before ready")
            try:
                resp = http.get(f"{url}/-/ready")
                if resp.status_code == 200:
                    return
                last = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(poll)
    raise ObservabilityError("TIMEOUT", f"{url} not ready within {timeout}s ({last})")


def wait_for_targets_up(url: str, jobs: Iterable[str], timeout: float = 10.0, poll: float = 0.05) -> None:
    """Poll ``/api/v1/targets`` until every job in ``jobs`` has at least one target with health up."""
    wanted = set(jobs)
    deadline = time.monotonic() + timeout
    up: set[str] = set()
    with httpx.Client(timeout=1.0) as http:
        while time.monotonic() < deadline:
            try:
                data = http.get(f"{url}/api/v1/targets", params={"state": "active"}).json()
                active = data.get("data", {}).get("activeTargets", [])
                up = {t.get("labels", {}).get("job", "") for t in active if t.get("health") == "up"}
                if wanted <= up:
                    return
            except (httpx.HTTPError, ValueError, AttributeError):
                pass
            time.sleep(poll)
    raise ObservabilityError("TIMEOUT", f"targets not up within {timeout}s: {sorted(wanted - up)}")


def firing_alerts(url: str, http: httpx.Client | None = None) -> set[str]:
    """Names of the alerts in state firing right now (PROMETHEUS_UNAVAILABLE on failure)."""
    client = http or httpx.Client(timeout=1.0)
    try:
        body = client.get(f"{url}/api/v1/alerts").json()
        return {a["labels"]["alertname"] for a in body["data"]["alerts"] if a.get("state") == "firing"}
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise ObservabilityError("PROMETHEUS_UNAVAILABLE", f"{url}/api/v1/alerts: {exc}") from None
    finally:
        if http is None:
            client.close()


def wait_for_alert(url: str, name: str, timeout: float = 10.0, poll: float = 0.02,
                   *, since: float | None = None, clock: Clock = time.monotonic) -> float:
    """Poll until alert ``name`` is firing; return seconds from ``since`` (default: call time).

    Transient API errors are retried until the deadline; TIMEOUT if it never fires.
    """
    start = clock() if since is None else since
    deadline = clock() + timeout
    with httpx.Client(timeout=1.0) as http:
        while clock() < deadline:
            try:
                if name in firing_alerts(url, http):
                    return clock() - start
            except ObservabilityError:
                pass
            time.sleep(poll)
    raise ObservabilityError("TIMEOUT", f"alert {name} not firing within {timeout}s")
