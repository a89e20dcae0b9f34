"""Bring a whole game-day stack up in order, expose its URLs, and take it down on any exit.

Resources: a :class:`Supervisor` (every child in its own process group, logs under
``<run_dir>/logs``, ``<run_dir>/stack.json`` with pids and URLs), a ``ToxiproxyClient`` (closed by
:meth:`Stack.stop`) and, unless disabled or external, a ``ManagedPrometheus`` whose pid is also
recorded in stack.json. :func:`start_stack` stops whatever it already started when a later step
fails, then re-raises (StackError subclasses, ToxiproxyError, ObservabilityError).
:meth:`Stack.stop` is idempotent and also runs from the supervisor's atexit/signal handlers for
the children it owns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from chaos.toxiproxy.client import ToxiproxyClient
from harness.observability.config import ScrapeTarget
from harness.observability.prometheus import ManagedPrometheus
from harness.stack.errors import StartError
from harness.stack.readiness import wait_ready
from harness.stack.spec import StackSpec
from harness.stack.supervisor import Supervisor


def host_port(url: str) -> str:
    """``http://127.0.0.1:80/x`` → ``127.0.0.1:80`` (Toxiproxy's upstream/listen format)."""
    parts = urlsplit(url)
    if not parts.hostname or parts.port is None:
        raise StartError(f"URL {url!r} has no host:port")
    return f"{parts.hostname}:{parts.port}"


@dataclass(frozen=True)
class StackUrls:
    """Where everything is. ``api`` is what clients (Locust) use: proxy ``api`` → gateway."""

    api: str
    toxiproxy: str
    feed: str
    index_proxy: str
    engines: dict[str, str]
    engine_proxies: dict[str, str]
    gateway: str | None = None
    prometheus: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Stack:
    """A running stack (see :func:`start_stack`). Use as a context manager."""

    def __init__(self, spec: StackSpec, supervisor: Supervisor, toxiproxy: ToxiproxyClient) -> None:
        self.spec = spec
        self.supervisor = supervisor
        self.toxiproxy = toxiproxy
        self.prometheus: ManagedPrometheus | None = None
        self._urls: dict[str, Any] = {"engines": {}, "engine_proxies": {}, "extra": {}}
        self._extra_targets: list[ScrapeTarget] = []
        self._stopped = False

    @property
    def urls(self) -> StackUrls:
        return StackUrls(**self._urls)

    def _set(self, **urls: Any) -> None:
        self._urls.update(urls)
        self.supervisor.set_info(urls=self._urls)

    # -- Prometheus ---------------------------------------------------------------------------
    def scrape_targets(self) -> list[ScrapeTarget]:
        targets = [ScrapeTarget(f"engine-{c}", u) for c, u in sorted(self._urls["engines"].items())]
        if self._urls.get("gateway"):
            targets.append(ScrapeTarget("gateway", self._urls["gateway"]))
        if "chaos-proxy" in self.supervisor.names():
            targets.append(ScrapeTarget("chaos-proxy", self._urls["toxiproxy"]))
        return targets + self._extra_targets

    def add_scrape_targets(self, targets: Iterable[ScrapeTarget | tuple[str, str]]) -> None:
        """Add targets (e.g. ``("loadgen", exporter_url)``, ``("gameday", url)``) and reload Prometheus."""
        for t in targets:
            self._extra_targets.append(t if isinstance(t, ScrapeTarget) else ScrapeTarget(*t))
        if self.prometheus is not None:
            self.prometheus.set_targets(self.scrape_targets())

    def start_prometheus(self) -> None:
        spec = self.spec
        prom = ManagedPrometheus(
            self.scrape_targets(), list(spec.rule_files), spec.scrape_interval, spec.eval_interval,
            workdir=spec.run_dir / "prometheus", external_url=spec.prometheus_url,
            ready_timeout=spec.ready_timeout,
        )
        self.prometheus = prom
        prom.start()
        if prom.pid is not None:
            self.supervisor.adopt("prometheus", prom.pid, prom.url, ("prometheus",))
        self._set(prometheus=prom.url)

    # -- engines ------------------------------------------------------------------------------
    def engine_url(self, color: str) -> str:
        return str(self._urls["engines"][color])

    def restart_engine(self, color: str) -> str:
        """Restart engine ``color`` (same argv) and re-point its Toxiproxy proxy; returns its new URL."""
        proc = self.supervisor.restart(f"engine-{color}")
        assert proc.url is not None
        self.toxiproxy.update_proxy(color, upstream=host_port(proc.url))
        self._set(engines={**self._urls["engines"], color: proc.url})
        if self.prometheus is not None:
            self.prometheus.set_targets(self.scrape_targets())
        return proc.url

    # -- shutdown -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop Prometheus, the engines (standbys before the leader), then every other child
        (newest first); close the client. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if self.prometheus is not None:
                self.prometheus.stop()
            for color in self._engine_stop_order():
                with contextlib.suppress(KeyError):
                    self.supervisor.stop(f"engine-{color}")
        finally:
            self.supervisor.close()
            self.toxiproxy.close()

    def _engine_stop_order(self) -> list[str]:
        """Colors with standbys first: a standby still running when the leader drains and releases
        its lease would promote itself and write a needless epoch into the journal at teardown."""
        def is_leader(url: str) -> bool:
            try:
                state = httpx.get(f"{url}/v1/state?hash=false", timeout=1.0).json()
                return bool(state.get("role") == "leader")
            except (httpx.HTTPError, ValueError, AttributeError):
                return False  # unreachable or odd: stopping it early is harmless

        engines: dict[str, str] = dict(self._urls["engines"])
        return sorted(engines, key=lambda color: is_leader(engines[color]))

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _proxy(stack: Stack, name: str, upstream_url: str, scheme: str) -> str:
    client = stack.toxiproxy
    if name in client.proxies():
        client.delete_proxy(name)
    proxy = client.create_proxy(name, upstream=host_port(upstream_url), listen="127.0.0.1:0")
    return f"{scheme}://{proxy.listen}"


def start_stack(spec: StackSpec, *, install_handlers: bool = True) -> Stack:
    """Start every component in order and wait for each to be ready; see the module docstring."""
    supervisor = Supervisor(spec.run_dir, install_handlers=install_handlers)
    toxiproxy_url = spec.toxiproxy_url
    stack: Stack | None = None
    try:
        feed = supervisor.start(spec.feed_process())
        if toxiproxy_url is None:
            toxiproxy_url = supervisor.start(spec.proxy_process()).url
        assert feed.url is not None and toxiproxy_url is not None
        stack = Stack(spec, supervisor, ToxiproxyClient(toxiproxy_url))
        stack._set(toxiproxy=toxiproxy_url, feed=feed.url)
        index = _proxy(stack, "index", feed.url, "tcp")
        stack._set(index_proxy=index)
        for engine in spec.ordered_engines():
            proc = supervisor.start(spec.engine_process(engine, index))
            assert proc.url is not None
            stack._set(engines={**stack._urls["engines"], engine.color: proc.url})
            proxied = _proxy(stack, engine.color, proc.url, "http")
            stack._set(engine_proxies={**stack._urls["engine_proxies"], engine.color: proxied})
        leader = stack.engine_url(spec.active_color)
        leader_alive = supervisor.get(f"engine-{spec.active_color}").alive
        wait_ready(f"{leader}/readyz", spec.ready_timeout, alive=leader_alive)
        entry = stack._urls["engine_proxies"][spec.active_color]
        if spec.gateway:
            gw = supervisor.start(spec.gateway_process(dict(stack._urls["engine_proxies"])))
            assert gw.url is not None
            stack._set(gateway=gw.url)
            entry = gw.url
        stack._set(api=_proxy(stack, "api", entry, "http"))
        if spec.prometheus:
            stack.start_prometheus()
        return stack
    except BaseException:
        if stack is not None:
            stack.stop()
        else:
            supervisor.close()
        raise
