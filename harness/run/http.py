"""Small JSON-over-HTTP calls the driver makes to engines and the gateway (httpx, short timeouts).

:class:`Http` owns one ``httpx.Client`` (close it). :meth:`Http.call` never raises for network or
HTTP errors: it returns a :class:`Reply` with ``status`` None (no answer) or the HTTP status, the
decoded body (or None) and an error text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Reply:
    status: int | None
    body: Any
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Http:
    def __init__(self, timeout: float = 3.0, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout, trust_env=False, headers=headers)

    def call(self, method: str, url: str, body: Any = None) -> Reply:
        try:
            resp = self._client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            return Reply(None, None, f"{type(exc).__name__}: {exc}")
        try:
            data = resp.json()
        except ValueError:
            data = None
        err = None if resp.is_success else f"HTTP {resp.status_code}: {resp.text[:200]}"
        return Reply(resp.status_code, data, err)

    def get(self, url: str) -> Reply:
        return self.call("GET", url)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
