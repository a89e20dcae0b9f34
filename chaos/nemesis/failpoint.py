"""Fault kind ``failpoint``: sets a failpoint in an engine through its admin HTTP API.

Params: ``target`` (the engine's base URL, e.g. ``http://127.0.0.1:40123``), ``name`` (failpoint
name) and ``spec`` (``chaos.failpoints`` grammar, checked locally before any request). Inject is
``PUT {target}/admin/failpoints/{name}`` with ``{"spec": ...}``; heal is ``DELETE`` of the same path
(404 = already cleared = healed). The context's ``admin_token`` goes in ``Authorization: Bearer``;
it is never stored in the handle. One short-lived ``httpx.Client`` per call, bounded by the
context's timeout; transport errors become InjectError / HealError.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import quote

import httpx

from chaos.failpoints.spec import FailpointSpecError, parse_spec, validate_name
from chaos.nemesis.base import FaultSpecError, Handle, HealError, InjectError, NemesisContext, new_fault_id
from chaos.nemesis.params import check_keys, require_str, require_url

__all__ = ["FailpointNemesis"]

_KEYS = ("target", "name", "spec")


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every call (building one per client costs ~0.2 s of CPU)."""
    return ssl.create_default_context()


class FailpointNemesis:
    """Engine failpoints as faults."""

    kind = "failpoint"

    def __init__(self, context: NemesisContext) -> None:
        self._context = context

    def validate(self, params: Mapping[str, Any]) -> None:
        check_keys(params, _KEYS)
        require_url(params, "target")
        try:
            validate_name(require_str(params, "name"))
        except FailpointSpecError as exc:
            raise FaultSpecError("name", str(exc)) from None
        try:
            parse_spec(require_str(params, "spec"))
        except FailpointSpecError as exc:
            raise FaultSpecError("spec", str(exc)) from None

    def _request(self, method: str, target: str, name: str, body: Any = None) -> httpx.Response:
        headers = {}
        if self._context.admin_token:
            headers["Authorization"] = f"Bearer {self._context.admin_token}"
        url = f"{target}/admin/failpoints/{quote(name, safe='')}"
        with httpx.Client(timeout=self._context.timeout, trust_env=False, verify=_tls()) as client:
            return client.request(method, url, json=body, headers=headers)

    def inject(self, params: Mapping[str, Any]) -> Handle:
        self.validate(params)
        target = require_url(params, "target")
        name, spec = params["name"], params["spec"]
        try:
            response = self._request("PUT", target, name, {"spec": spec})
        except httpx.HTTPError as exc:
            raise InjectError(f"failpoint {name} at {target}: {exc}") from None
        if response.status_code >= 300:
            raise InjectError(
                f"failpoint {name} at {target}: HTTP {response.status_code} {response.text[:200]}"
            )
        return Handle(
            self.kind,
            new_fault_id(self.kind),
            {"target": target, "name": name, "spec": spec},
            f"failpoint {name}={spec} at {target}",
        )

    def heal(self, handle: Handle) -> None:
        target, name = handle.data.get("target"), handle.data.get("name")
        if not isinstance(target, str) or not isinstance(name, str):
            raise HealError(f"{handle.id}: handle lacks target/name")
        try:
            response = self._request("DELETE", target, name)
        except httpx.HTTPError as exc:
            raise HealError(f"{handle.id}: failpoint {name} at {target}: {exc}") from None
        if response.status_code >= 300 and response.status_code != 404:
            raise HealError(f"{handle.id}: HTTP {response.status_code} {response.text[:200]}")
