"""Grafana annotations for fault windows and deploy steps (only when GRAFANA_URL is set).

Network: httpx POST to ``{GRAFANA_URL}/api/annotations`` with a 2 s timeout; authentication by
``GRAFANA_TOKEN`` (Bearer) when set, else basic auth from user:password in the URL. With no
GRAFANA_URL every method does nothing and returns None. Posting must never break a game day:
failures are collected in :attr:`errors` (``GRAFANA_FAILED: ...``) and the method returns None,
unless ``strict=True`` where they raise ObservabilityError.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from harness.history import EventKind, HarnessEvent
from harness.observability.errors import ObservabilityError

GRAFANA_URL_ENV = "GRAFANA_URL"
GRAFANA_TOKEN_ENV = "GRAFANA_TOKEN"  # noqa: S105 (the variable name, not a secret)
BASE_TAGS = ("gameday",)


def _ms(t: float) -> int:
    return round(t * 1000)


class GrafanaAnnotator:
    """Posts annotations; ``enabled`` is False (and every call a no-op) without a Grafana URL."""

    def __init__(self, url: str | None = None, token: str | None = None, run_id: str | None = None,
                 *, strict: bool = False, timeout: float = 2.0,
                 env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.url = (url or env.get(GRAFANA_URL_ENV) or "").rstrip("/") or None
        token = token or env.get(GRAFANA_TOKEN_ENV)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(timeout=timeout, headers=headers) if self.url else None
        self.run_id = run_id
        self.strict = strict
        self.errors: list[str] = []

    @property
    def enabled(self) -> bool:
        return self.url is not None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def __enter__(self) -> GrafanaAnnotator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fault_window(self, fault_id: str, kind: str, start: float, end: float | None = None,
                     target: str | None = None) -> int | None:
        """A region annotation from ``start`` to ``end`` (Unix seconds; a point while still open)."""
        text = f"fault {fault_id} ({kind})" + (f" on {target}" if target else "")
        return self._post(text, ["fault", kind, fault_id], start, end)

    def close_fault_window(self, annotation_id: int, end: float) -> None:
        """Set the end of a fault window opened by :meth:`fault_window` (PATCH timeEnd)."""
        if self._http is None:
            return
        self._send("PATCH", f"{self.url}/api/annotations/{annotation_id}", {"timeEnd": _ms(end)})

    def deploy_step(self, from_state: str, to_state: str, t: float, reason: str = "",
                    *, admission: float | None = None, active: str | None = None) -> int | None:
        """A point annotation for a controller transition (a ramp step, cutover, rollback ...)."""
        text = f"deploy {from_state} → {to_state}"
        if active:
            text += f" active={active}"
        if admission is not None:
            text += f" admission={admission:.0%}"
        if reason:
            text += f": {reason}"
        return self._post(text, ["deploy", to_state], t, None)

    def _post(self, text: str, tags: Sequence[str], start: float, end: float | None) -> int | None:
        if self._http is None:
            return None
        all_tags = [*BASE_TAGS, *tags] + ([f"run:{self.run_id}"] if self.run_id else [])
        body: dict[str, Any] = {"time": _ms(start), "tags": all_tags, "text": text}
        if end is not None:
            body["timeEnd"] = _ms(end)
        answer = self._send("POST", f"{self.url}/api/annotations", body)
        ident = answer.get("id") if isinstance(answer, dict) else None
        return ident if isinstance(ident, int) else None

    def _send(self, method: str, url: str, body: dict[str, Any]) -> Any:
        assert self._http is not None
        try:
            resp = self._http.request(method, url, json=body)
            if resp.status_code >= 300:
                detail = f"{method} {url}: HTTP {resp.status_code} {resp.text[:200]}"
                raise ObservabilityError("GRAFANA_FAILED", detail)
            return resp.json() if resp.content else None
        except (httpx.HTTPError, ValueError) as exc:
            err = ObservabilityError("GRAFANA_FAILED", f"{method} {url}: {exc}")
        except ObservabilityError as exc:
            err = exc
        if self.strict:
            raise err
        self.errors.append(str(err))
        return None


def annotate_history(annotator: GrafanaAnnotator, events: Iterable[HarnessEvent]) -> int:
    """Post a run's fault windows (inject→heal paired by fault id) and deploy steps; returns the count.

    For use at the end of a run (``annotate_history(GrafanaAnnotator(run_id=...), history.events)``);
    a fault never healed becomes a point annotation. No-op (0) when Grafana is not configured.
    """
    if not annotator.enabled:
        return 0
    posted = 0
    open_faults: dict[str, HarnessEvent] = {}
    for event in sorted(events, key=lambda e: e.t):
        if event.kind is EventKind.FAULT:
            fault_id = str(event.get("id", "?"))
            if event.get("action") == "inject":
                open_faults[fault_id] = event
            elif event.get("action") == "heal" and fault_id in open_faults:
                start = open_faults.pop(fault_id)
                annotator.fault_window(fault_id, str(start.get("fault_kind", "fault")), start.t, event.t,
                                       target=start.get("target"))
                posted += 1
        elif event.kind is EventKind.DEPLOY:
            admission = event.get("admission")
            annotator.deploy_step(str(event.get("from", "?")), str(event.get("to", "?")), event.t,
                                  str(event.get("reason") or ""),
                                  admission=float(admission) if isinstance(admission, int | float) else None,
                                  active=event.get("active"))
            posted += 1
    for fault_id, start in open_faults.items():
        annotator.fault_window(fault_id, str(start.get("fault_kind", "fault")), start.t, None,
                               target=start.get("target"))
        posted += 1
    return posted
