"""Typed synchronous client for the Toxiproxy 2.x HTTP API (works with toxiproxy-server and chaos-proxy).

Resources: one ``httpx.Client`` (keep-alive pool) per ``ToxiproxyClient``; close it with ``close()``
or use the client as a context manager. Every call has a timeout (``timeout`` seconds). Errors:
transport failures and timeouts raise ``ConnectionFailedError``; error answers raise the
``ToxiproxyError`` subclass for their status with the server's message; toxic attributes, stream and
toxicity are validated locally (same schemas as the server) and raise ``ValidationError`` before
anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from chaos.toxiproxy.errors import (
    ConnectionFailedError,
    ServerError,
    ValidationError,
    error_for_status,
)
from chaos.toxiproxy.models import Proxy, Stream, Toxic
from chaos.toxiproxy.toxics import SCHEMAS
from chaos.toxiproxy.toxics.schema import validate_toxicity

DEFAULT_API = "http://127.0.0.1:8474"


def validate_toxic_request(
    type: str,
    attributes: Mapping[str, Any] | None,
    stream: str | Stream = Stream.DOWNSTREAM,
    toxicity: float | None = 1.0,
    *,
    partial: bool = False,
) -> tuple[dict[str, Any], Stream]:
    """Check a toxic before sending; returns (attributes to send, stream). Raises ValidationError."""
    schema = SCHEMAS.get(type)
    if schema is None:
        raise ValidationError(f"invalid toxic type: {type!r} (known: {', '.join(SCHEMAS)})")
    try:
        parsed_stream = Stream(stream)
    except ValueError:
        raise ValidationError("stream was invalid, can be either upstream or downstream") from None
    if toxicity is not None:
        validate_toxicity(toxicity)
    checked = schema.validate(attributes or {}, strict=True, partial=partial)
    sent = {k: checked[k] for k in (attributes or {})} if partial else checked
    return sent, parsed_stream


class ToxiproxyClient:
    """``ToxiproxyClient(base_url, timeout=5.0)``; every method does one HTTP call."""

    def __init__(self, base_url: str = DEFAULT_API, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"User-Agent": "chaos-toxiproxy-client/1"},
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport ---------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            content = None if body is None else json.dumps(body)
            headers = {"Content-Type": "application/json"} if content is not None else None
            response = self._http.request(method, path, content=content, headers=headers)
        except httpx.TimeoutException as exc:
            raise ConnectionFailedError(f"{method} {self.base_url}{path}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ConnectionFailedError(f"{method} {self.base_url}{path}: {exc}") from exc
        if response.status_code >= 400:
            message = response.text.strip() or response.reason_phrase
            try:
                parsed = json.loads(message)
                if isinstance(parsed, dict) and "error" in parsed:
                    message = str(parsed["error"])
            except ValueError:
                pass
            raise error_for_status(response.status_code, message)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ServerError(f"{method} {path}: answer is not JSON") from exc

    @staticmethod
    def _p(name: str) -> str:
        return quote(name, safe="")

    # -- server ------------------------------------------------------------------------------
    def version(self) -> str:
        data = self._call("GET", "/version")
        return str(data["version"]) if isinstance(data, dict) else str(data)

    def reset(self) -> None:
        """Enable every proxy and remove every toxic."""
        self._call("POST", "/reset")

    # -- proxies -----------------------------------------------------------------------------
    def proxies(self) -> dict[str, Proxy]:
        data = self._call("GET", "/proxies") or {}
        return {name: Proxy.from_json(obj) for name, obj in data.items()}

    def proxy(self, name: str) -> Proxy:
        return Proxy.from_json(self._call("GET", f"/proxies/{self._p(name)}"))

    def create_proxy(
        self, name: str, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> Proxy:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return Proxy.from_json(self._call("POST", "/proxies", body))

    def update_proxy(self, name: str, **changes: Any) -> Proxy:
        """PATCH ``listen``, ``upstream`` and/or ``enabled``."""
        unknown = set(changes) - {"listen", "upstream", "enabled"}
        if unknown:
            raise ValidationError(f"unknown proxy field(s): {', '.join(sorted(unknown))}")
        return Proxy.from_json(self._call("PATCH", f"/proxies/{self._p(name)}", changes))

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{self._p(name)}")

    def populate(self, proxies: Iterable[Mapping[str, Any] | Proxy]) -> list[Proxy]:
        """Create or replace proxies all-or-nothing (``POST /populate``)."""
        body = []
        for item in proxies:
            obj = item.to_json() if isinstance(item, Proxy) else dict(item)
            obj.pop("toxics", None)
            body.append(obj)
        data = self._call("POST", "/populate", body) or {}
        return [Proxy.from_json(obj) for obj in data.get("proxies") or ()]

    # -- toxics ------------------------------------------------------------------------------
    def toxics(self, proxy: str) -> list[Toxic]:
        return [Toxic.from_json(t) for t in self._call("GET", f"/proxies/{self._p(proxy)}/toxics")]

    def toxic(self, proxy: str, name: str) -> Toxic:
        return Toxic.from_json(self._call("GET", f"/proxies/{self._p(proxy)}/toxics/{self._p(name)}"))

    def add_toxic(  # noqa: PLR0917 (signature published to other components)
        self,
        proxy: str,
        type: str,
        attributes: Mapping[str, Any] | None = None,
        name: str | None = None,
        stream: str | Stream = Stream.DOWNSTREAM,
        toxicity: float = 1.0,
    ) -> Toxic:
        attrs, parsed_stream = validate_toxic_request(type, attributes, stream, toxicity)
        body = {
            "name": name or f"{type}_{parsed_stream.value}",
            "type": type,
            "stream": parsed_stream.value,
            "toxicity": toxicity,
            "attributes": attrs,
        }
        return Toxic.from_json(self._call("POST", f"/proxies/{self._p(proxy)}/toxics", body))

    def update_toxic(
        self,
        proxy: str,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        toxicity: float | None = None,
        *,
        type: str | None = None,
    ) -> Toxic:
        """PATCH a toxic: attributes are merged into the current ones; toxicity kept if None.

        With ``type`` given the attributes are checked locally first (else only by the server).
        """
        if toxicity is not None:
            validate_toxicity(toxicity)
        if type is not None and attributes:
            validate_toxic_request(type, attributes, toxicity=toxicity, partial=True)
        body: dict[str, Any] = {}
        if attributes is not None:
            body["attributes"] = dict(attributes)
        if toxicity is not None:
            body["toxicity"] = toxicity
        path = f"/proxies/{self._p(proxy)}/toxics/{self._p(name)}"
        return Toxic.from_json(self._call("PATCH", path, body))

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{self._p(proxy)}/toxics/{self._p(name)}")
