"""The Prometheus text exposition of a registry, byte-identical to ``generate_latest`` but cheaper.

``generate_latest`` formats every sample from scratch on every scrape: sorting and escaping its
labels (about 2/3 of a 3 ms render for the engine's ~400 series). The label part of a series never
changes, so ``Exposition`` keeps the formatted ``name{labels}`` prefix per (sample name, labels)
and formats only the value (names escaped with the same ``underscores`` scheme). A sample with a
timestamp (none of the engine's) makes that render fall back to ``generate_latest`` itself.
The caches are bounded (cleared past ``max_series`` entries).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics import exposition as _om
from prometheus_client.utils import floatToGoString

_ESCAPING = _om.UNDERSCORES
_OM_SUFFIXES = ("_created", "_gsum", "_gcount")
_TYPES = {"info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}


def _go_float(value: float) -> str:
    text: str = floatToGoString(value)  # type: ignore[no-untyped-call]
    return text


class _Unusual(Exception):
    """A sample this fast path does not format (the render falls back to ``generate_latest``)."""


class Exposition:
    def __init__(self, registry: CollectorRegistry, max_series: int = 20_000) -> None:
        self.registry = registry
        self.max_series = max_series
        self._prefix: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
        self._headers: dict[tuple[str, str, str], str] = {}
        self._values: dict[float, str] = {}  # value -> Go float text (counts and gauges repeat)

    def render(self) -> bytes:
        try:
            return self._render()
        except _Unusual:
            return generate_latest(self.registry)

    def _line(self, sample: Any) -> str:
        if sample.timestamp is not None:
            raise _Unusual
        key = (sample.name, tuple(sample.labels.items()))
        prefix = self._prefix.get(key)
        if prefix is None:
            if len(self._prefix) >= self.max_series:
                self._prefix.clear()
            labels = ",".join(
                f'{_om.escape_label_name(k, _ESCAPING)}="{_om._escape(v, _om.ALLOWUTF8, False)}"'  # type: ignore[arg-type]
                for k, v in sorted(sample.labels.items())
            )
            name = _om.escape_metric_name(sample.name, _ESCAPING)
            prefix = self._prefix[key] = f"{name}{{{labels}}} " if labels else f"{name} "
        value = self._values.get(sample.value) if sample.value else None  # 0.0 == -0.0: not cached
        if value is None:
            if len(self._values) >= self.max_series:
                self._values.clear()
            value = self._values[sample.value] = _go_float(sample.value)
        return f"{prefix}{value}\n"

    def _header(self, name: str, documentation: str, mtype: str) -> str:
        key = (name, documentation, mtype)
        text = self._headers.get(key)
        if text is None:
            escaped = _om.escape_metric_name(name, _ESCAPING)
            doc = documentation.replace("\\", r"\\").replace("\n", r"\n")
            text = self._headers[key] = f"# HELP {escaped} {doc}\n# TYPE {escaped} {mtype}\n"
        return text

    def _render(self) -> bytes:
        output: list[str] = []
        line = self._line
        for metric in self.registry.collect():
            mname, mtype = metric.name, metric.type
            if mtype == "counter":
                mname += "_total"
            elif mtype == "info":
                mname += "_info"
            mtype = _TYPES.get(mtype, mtype)
            output.append(self._header(mname, metric.documentation, mtype))
            extra: dict[str, list[str]] = {}
            for s in metric.samples:
                for suffix in _OM_SUFFIXES:
                    if s.name == metric.name + suffix:
                        extra.setdefault(suffix, []).append(line(s))
                        break
                else:
                    output.append(line(s))
            for suffix, lines in sorted(extra.items()):
                output.append(self._header(metric.name + suffix, metric.documentation, "gauge"))
                output.extend(lines)
        return "".join(output).encode("utf-8")
