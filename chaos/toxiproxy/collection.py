"""The server's proxies and the Toxiproxy API operations on them (no HTTP here).

Every method validates its JSON input the way Toxiproxy does (same messages, same statuses) plus
the project's stricter checks, and raises ``ToxiproxyError`` subclasses. Mutations are serialised
by one asyncio lock because binding sockets awaits. ``populate`` is all-or-nothing: every entry is
checked, then every new listener is bound; a bind failure closes what was bound and restores the
proxies it was replacing. As in Toxiproxy, an entry with the same listen and upstream leaves its
proxy (and toxics) in place and a changed one replaces it; beyond the original, an ``enabled`` that
differs is applied to the kept proxy (enable binds, disable closes listener and connections).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from chaos.toxiproxy import errors as E
from chaos.toxiproxy.errors import BadRequestError, ServerError, ToxiproxyError
from chaos.toxiproxy.models import Stream, split_host_port
from chaos.toxiproxy.proxy import ProxyRuntime
from chaos.toxiproxy.records import ToxicRecord
from chaos.toxiproxy.toxics import SCHEMAS
from chaos.toxiproxy.toxics.schema import validate_toxicity

DEFAULT_LISTEN = "127.0.0.1:0"
_GO_TYPES = {str: "string", bool: "bool", float: "number", int: "number", dict: "object", list: "array"}


def _field(body: dict[str, Any], key: str, kind: type, default: Any, where: str = "") -> Any:
    value = body.get(key, default)
    if value is None:
        return default
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        got = _GO_TYPES.get(type(value), type(value).__name__)
        raise E.bad_body(f"json: cannot unmarshal {got} into field {where}{key} of type {_GO_TYPES[kind]}")
    return value


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        got = _GO_TYPES.get(type(body), type(body).__name__)
        raise E.bad_body(f"json: cannot unmarshal {got} into an object")
    return body


def _check_address(value: str, field: str) -> None:
    try:
        split_host_port(value)
    except ValueError as exc:
        raise BadRequestError(f"invalid {field} address: {exc}") from None


class ProxyCollection:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.proxies: dict[str, ProxyRuntime] = {}
        self._lock = asyncio.Lock()

    def get(self, name: str) -> ProxyRuntime:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise E.NotFoundError(E.PROXY_NOT_FOUND)
        return proxy

    # -- proxies -----------------------------------------------------------------------------
    def _parse_proxy(self, body: Any, where: str = "") -> tuple[str, str, str, bool]:
        obj = _object(body)
        name = _field(obj, "name", str, "")
        upstream = _field(obj, "upstream", str, "")
        listen = _field(obj, "listen", str, "") or DEFAULT_LISTEN
        enabled = _field(obj, "enabled", bool, True)
        if not name:
            raise E.missing_field(f"name{where}")
        if not upstream:
            raise E.missing_field(f"upstream{where}")
        _check_address(upstream, "upstream")
        _check_address(listen, "listen")
        return name, listen, upstream, enabled

    async def _bind(self, proxy: ProxyRuntime) -> None:
        try:
            await proxy.start()
        except OSError as exc:
            raise ServerError(f"listen tcp {proxy.listen}: bind: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise BadRequestError(f"invalid listen address: {exc}") from None

    async def create(self, body: Any) -> ProxyRuntime:
        name, listen, upstream, enabled = self._parse_proxy(body)
        async with self._lock:
            if name in self.proxies:
                raise E.ConflictError(E.PROXY_EXISTS)
            proxy = ProxyRuntime(name, listen, upstream, self.seed)
            if enabled:
                await self._bind(proxy)
            self.proxies[name] = proxy
            return proxy

    async def populate(self, body: Any) -> list[ProxyRuntime]:
        if not isinstance(body, list):
            got = _GO_TYPES.get(type(body), type(body).__name__)
            raise E.bad_body(f"json: cannot unmarshal {got} into Go value of type []toxiproxy.Proxy")
        specs = [self._parse_proxy(item, f" at proxy {i + 1}") for i, item in enumerate(body)]
        names = [spec[0] for spec in specs]
        for name in names:
            if names.count(name) > 1:
                raise BadRequestError(f"duplicate proxy name {name!r}")
        async with self._lock:
            result: list[ProxyRuntime] = []
            fresh: list[ProxyRuntime] = []
            replaced: list[tuple[ProxyRuntime, bool]] = []
            toggled: list[tuple[ProxyRuntime, bool]] = []
            try:
                for name, listen, upstream, enabled in specs:
                    old = self.proxies.get(name)
                    same = old is not None and old.upstream == upstream
                    if old is not None and same and listen in (old.listen, DEFAULT_LISTEN):
                        if enabled != old.enabled:  # same addresses, new state: toggled, toxics kept
                            toggled.append((old, old.enabled))
                            await (self._bind(old) if enabled else old.stop())
                        result.append(old)
                        continue
                    if old is not None:
                        replaced.append((old, old.enabled))
                        await old.stop()
                    proxy = ProxyRuntime(name, listen, upstream, self.seed)
                    if enabled:
                        await self._bind(proxy)
                    fresh.append(proxy)
                    result.append(proxy)
            except ToxiproxyError:
                for proxy in fresh:
                    await proxy.stop()
                for proxy, was_enabled in toggled:
                    if proxy.enabled and not was_enabled:
                        await proxy.stop()
                    elif was_enabled and not proxy.enabled:
                        with contextlib.suppress(OSError):
                            await proxy.start()
                for old, was_enabled in replaced:
                    if was_enabled:
                        await old.start()
                raise
            for proxy in fresh:
                self.proxies[proxy.name] = proxy
            return result

    async def update(self, name: str, body: Any) -> ProxyRuntime:
        proxy = self.get(name)
        obj = _object(body)
        listen = _field(obj, "listen", str, proxy.listen) or proxy.listen
        upstream = _field(obj, "upstream", str, proxy.upstream) or proxy.upstream
        enabled = _field(obj, "enabled", bool, proxy.enabled)
        _check_address(listen, "listen")
        _check_address(upstream, "upstream")
        async with self._lock:
            if (listen, upstream) != (proxy.listen, proxy.upstream):
                old = (proxy.listen, proxy.upstream, proxy.enabled)
                await proxy.stop()
                proxy.listen, proxy.upstream = listen, upstream
                if enabled:
                    try:
                        await self._bind(proxy)
                    except ServerError:
                        proxy.listen, proxy.upstream = old[0], old[1]
                        if old[2]:
                            await proxy.start()
                        raise
            elif enabled and not proxy.enabled:
                await self._bind(proxy)
            elif not enabled and proxy.enabled:
                await proxy.stop()
            return proxy

    async def delete(self, name: str) -> None:
        async with self._lock:
            proxy = self.get(name)
            del self.proxies[name]
            await proxy.stop()

    async def reset(self) -> None:
        async with self._lock:
            for proxy in self.proxies.values():
                if not proxy.enabled:
                    await self._bind(proxy)
                proxy.toxics.clear()
                for stream in Stream:
                    proxy.chain_changed(stream)

    async def stop_all(self) -> None:
        for proxy in self.proxies.values():
            await proxy.stop()

    # -- toxics ------------------------------------------------------------------------------
    def add_toxic(self, proxy_name: str, body: Any) -> ToxicRecord:
        proxy = self.get(proxy_name)
        obj = _object(body)
        name = _field(obj, "name", str, "")
        type_ = _field(obj, "type", str, "")
        stream_text = _field(obj, "stream", str, "") or "downstream"
        toxicity = _field(obj, "toxicity", float, 1.0)
        attributes = _field(obj, "attributes", dict, {})
        try:
            stream = Stream(stream_text.lower())
        except ValueError:
            raise BadRequestError(E.INVALID_STREAM) from None
        name = name or f"{type_}_{stream.value}"
        schema = SCHEMAS.get(type_)
        if schema is None:
            raise BadRequestError(E.INVALID_TOXIC_TYPE)
        if name in proxy.toxics:
            raise E.ConflictError(E.TOXIC_EXISTS)
        record = ToxicRecord(name, type_, stream, validate_toxicity(toxicity), schema.validate(attributes))
        proxy.toxics[name] = record
        proxy.chain_changed(stream)
        return record

    def update_toxic(self, proxy_name: str, toxic_name: str, body: Any) -> ToxicRecord:
        proxy = self.get(proxy_name)
        record = proxy.toxics.get(toxic_name)
        if record is None:
            raise E.NotFoundError(E.TOXIC_NOT_FOUND)
        obj = _object(body)
        toxicity = validate_toxicity(_field(obj, "toxicity", float, record.toxicity))
        attributes = _field(obj, "attributes", dict, {})
        merged = SCHEMAS[record.type].validate(attributes, base=record.attributes)
        record.attributes, record.toxicity = merged, toxicity
        record.version += 1
        proxy.chain_changed(record.stream)
        return record

    def remove_toxic(self, proxy_name: str, toxic_name: str) -> None:
        proxy = self.get(proxy_name)
        record = proxy.toxics.pop(toxic_name, None)
        if record is None:
            raise E.NotFoundError(E.TOXIC_NOT_FOUND)
        proxy.chain_changed(record.stream)

    def toxic(self, proxy_name: str, toxic_name: str) -> ToxicRecord:
        record = self.get(proxy_name).toxics.get(toxic_name)
        if record is None:
            raise E.NotFoundError(E.TOXIC_NOT_FOUND)
        return record
