"""A small Prometheus HTTP API client (httpx): instant and range queries, active alerts.

Resources: one ``httpx.Client`` per instance with a connect/read timeout (default 2 s); close it
or use the instance as a context manager. Errors: every failure raises :class:`PrometheusError`
with a stable ``code`` — PROMETHEUS_UNAVAILABLE (connect/timeout), PROMETHEUS_QUERY_ERROR (the
server refused the query, e.g. bad PromQL), PROMETHEUS_BAD_RESPONSE (unexpected body). Use
:meth:`PromClient.instant_result` to get a QueryResult with ``error`` set instead of an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import httpx

from harness.slo.model import QueryResult, Sample


class PrometheusError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Alert:
    name: str
    state: str  # pending | firing
    labels: dict[str, str]
    active_at: str | None
    value: float | None


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]  # (unix seconds, value)


def _float(text: Any) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


class PromClient:
    def __init__(
        self, base_url: str, timeout: float = 2.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PromClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            resp = self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise PrometheusError("PROMETHEUS_UNAVAILABLE", f"{self.base_url}{path}: {exc}") from None
        try:
            body = resp.json()
        except ValueError:
            raise PrometheusError("PROMETHEUS_BAD_RESPONSE",
                                  f"{path}: HTTP {resp.status_code}, body is not JSON") from None
        if not isinstance(body, dict):
            raise PrometheusError("PROMETHEUS_BAD_RESPONSE", f"{path}: body is not an object")
        if body.get("status") != "success":
            kind, msg = body.get("errorType", "error"), body.get("error", resp.status_code)
            raise PrometheusError("PROMETHEUS_QUERY_ERROR", f"{path}: {kind}: {msg}")
        return body.get("data")

    def instant_query(self, query: str, time: float | None = None) -> QueryResult:
        params: dict[str, Any] = {"query": query}
        if time is not None:
            params["time"] = time
        data = self._get("/api/v1/query", params)
        if not isinstance(data, dict):
            raise PrometheusError("PROMETHEUS_BAD_RESPONSE", "query: data is not an object")
        rtype, result = data.get("resultType"), data.get("result")
        if rtype == "scalar" and isinstance(result, list) and len(result) == 2:
            return QueryResult((Sample({}, _float(result[1])),))
        if rtype == "vector" and isinstance(result, list):
            samples = (Sample(dict(i.get("metric", {})), _float(i.get("value", [0, ""])[1])) for i in result)
            return QueryResult(tuple(samples))
        raise PrometheusError("PROMETHEUS_BAD_RESPONSE", f"query: unsupported result type {rtype!r}")

    def instant_result(self, query: str, time: float | None = None) -> QueryResult:
        """Like instant_query, but a failure is returned as ``QueryResult(error=...)`` (NODATA)."""
        try:
            return self.instant_query(query, time)
        except PrometheusError as exc:
            return QueryResult(error=f"{exc.code}: {exc}")

    def range_query(self, query: str, start: float, end: float, step: float) -> list[Series]:
        data = self._get("/api/v1/query_range", {"query": query, "start": start, "end": end, "step": step})
        if not isinstance(data, dict) or data.get("resultType") != "matrix":
            raise PrometheusError("PROMETHEUS_BAD_RESPONSE", "query_range: expected a matrix")
        out = []
        for item in data.get("result") or []:
            points = tuple((float(t), _float(v)) for t, v in item.get("values", []))
            out.append(Series(dict(item.get("metric", {})), points))
        return out

    def alerts(self) -> list[Alert]:
        data = self._get("/api/v1/alerts")
        items = data.get("alerts") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise PrometheusError("PROMETHEUS_BAD_RESPONSE", "alerts: expected a list")
        out = []
        for a in items:
            labels = dict(a.get("labels", {}))
            value = a.get("value")
            out.append(Alert(labels.get("alertname", ""), str(a.get("state", "")), labels,
                             a.get("activeAt"), None if value is None else _float(value)))
        return out

    def firing(self) -> set[str]:
        return {a.name for a in self.alerts() if a.state == "firing"}
