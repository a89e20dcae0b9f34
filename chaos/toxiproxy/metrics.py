"""/metrics for chaos-proxy: a prometheus-client collector reading the live proxy stats at scrape time.

Byte counters move as bytes are forwarded (not when connections close, unlike the original).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from chaos.toxiproxy.collection import ProxyCollection
from chaos.toxiproxy.toxics import TOXICS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ProxyCollector(Collector):
    def __init__(self, proxies: ProxyCollection) -> None:
        self.proxies = proxies

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        bytes_total = CounterMetricFamily(
            "chaos_proxy_bytes", "Bytes forwarded", labels=["proxy", "direction"]
        )
        conns_open = GaugeMetricFamily("chaos_proxy_connections_open", "Open connections", labels=["proxy"])
        conns_total = CounterMetricFamily("chaos_proxy_connections", "Accepted connections", labels=["proxy"])
        toxics = GaugeMetricFamily("chaos_proxy_toxics_active", "Toxics configured", labels=["proxy", "type"])
        http_errors = CounterMetricFamily(
            "chaos_proxy_http_errors_injected", "Requests answered by http_error", labels=["proxy", "status"]
        )
        enabled = GaugeMetricFamily("chaos_proxy_enabled", "1 if the proxy is enabled", labels=["proxy"])
        for name, proxy in list(self.proxies.proxies.items()):
            stats = proxy.stats
            for stream, count in stats.bytes.items():
                bytes_total.add_metric([name, stream.value], count)
            conns_open.add_metric([name], stats.connections_open)
            conns_total.add_metric([name], stats.connections_total)
            by_type = {t: 0 for t in TOXICS}
            for record in proxy.toxics.values():
                by_type[record.type] += 1
            for type_, count in by_type.items():
                toxics.add_metric([name, type_], count)
            for status, count in stats.http_errors.items():
                http_errors.add_metric([name, str(status)], count)
            enabled.add_metric([name], 1 if proxy.enabled else 0)
        yield from (bytes_total, conns_open, conns_total, toxics, http_errors, enabled)


def make_registry(proxies: ProxyCollection) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ProxyCollector(proxies))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
