"""Fault kind ``toxic``: a Toxiproxy toxic on a proxy, or the proxy taken down (``type: down``).

Params: ``proxy`` (name), ``type`` (a toxic type of the registry, or ``down``), ``stream``
(downstream|upstream, default downstream), ``toxicity`` (0..1, default 1), ``attributes`` (object),
``name`` (toxic name, default the fault id), ``api`` (Toxiproxy URL, default the context's).
Each call opens one ``ToxiproxyClient`` (timeout from the context) and closes it. Healing removes the
toxic (or re-enables the proxy); a toxic or proxy that is already gone counts as healed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaos.nemesis.base import FaultSpecError, Handle, HealError, InjectError, NemesisContext, new_fault_id
from chaos.nemesis.params import (
    check_keys,
    optional_str,
    require_choice,
    require_number,
    require_str,
    require_url,
)
from chaos.toxiproxy.client import ToxiproxyClient, validate_toxic_request
from chaos.toxiproxy.errors import NotFoundError, ToxiproxyError, ValidationError
from chaos.toxiproxy.toxics import SCHEMAS

__all__ = ["ToxicNemesis"]

DOWN = "down"
_KEYS = ("proxy", "type", "stream", "toxicity", "attributes", "name", "api")


class ToxicNemesis:
    """Toxiproxy toxics as faults."""

    kind = "toxic"

    def __init__(self, context: NemesisContext) -> None:
        self._context = context

    def validate(self, params: Mapping[str, Any]) -> None:
        check_keys(params, _KEYS)
        require_str(params, "proxy")
        toxic_type = require_str(params, "type")
        require_url(params, "api", default=self._context.toxiproxy_url)
        optional_str(params, "name")
        if toxic_type == DOWN:
            for extra in ("stream", "toxicity", "attributes"):
                if extra in params:
                    raise FaultSpecError(extra, "not used with type 'down'")
            return
        stream = require_choice(params, "stream", ("downstream", "upstream"), default="downstream")
        toxicity = require_number(params, "toxicity", 0.0, 1.0, default=1.0)
        attributes = params.get("attributes", {})
        if not isinstance(attributes, Mapping):
            raise FaultSpecError("attributes", "must be an object")
        if toxic_type not in SCHEMAS:
            raise FaultSpecError("type", f"unknown toxic type (known: {', '.join(SCHEMAS)}, {DOWN})")
        try:
            validate_toxic_request(toxic_type, attributes, stream, toxicity)
        except ValidationError as exc:
            raise FaultSpecError("attributes", exc.message) from None

    def _client(self, api: str) -> ToxiproxyClient:
        return ToxiproxyClient(api, timeout=self._context.timeout)

    def inject(self, params: Mapping[str, Any]) -> Handle:
        self.validate(params)
        fault_id = new_fault_id(self.kind)
        api = require_url(params, "api", default=self._context.toxiproxy_url)
        proxy, toxic_type = params["proxy"], params["type"]
        try:
            with self._client(api) as client:
                if toxic_type == DOWN:
                    client.update_proxy(proxy, enabled=False)
                    return Handle(self.kind, fault_id, {"api": api, "proxy": proxy, "down": True},
                                  f"proxy {proxy} down")
                toxic = client.add_toxic(
                    proxy,
                    toxic_type,
                    dict(params.get("attributes", {})),
                    name=params.get("name") or fault_id,
                    stream=params.get("stream", "downstream"),
                    toxicity=float(params.get("toxicity", 1.0)),
                )
        except ToxiproxyError as exc:
            raise InjectError(f"toxic on proxy {proxy}: {exc}") from None
        return Handle(
            self.kind,
            fault_id,
            {"api": api, "proxy": proxy, "toxic": toxic.name},
            f"{toxic_type} toxic {toxic.name} on {proxy} ({toxic.stream.value})",
        )

    def heal(self, handle: Handle) -> None:
        data = handle.data
        api, proxy = data.get("api"), data.get("proxy")
        if not isinstance(api, str) or not isinstance(proxy, str):
            raise HealError(f"{handle.id}: handle lacks api/proxy")
        try:
            with self._client(api) as client:
                if data.get("down"):
                    client.update_proxy(proxy, enabled=True)
                else:
                    client.remove_toxic(proxy, str(data.get("toxic")))
        except NotFoundError:
            return  # already gone: healed
        except ToxiproxyError as exc:
            raise HealError(f"{handle.id}: {exc}") from None
