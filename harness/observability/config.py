"""Scrape targets and the generated ``prometheus.yml`` (pure: no I/O except locating rule files)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from harness.observability.errors import ObservabilityError

_JOB = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?")
RULES_DIR_ENV = "GAMEDAY_RULES_DIR"
# Jobs whose series carry their own job/instance labels (a Pushgateway holds other jobs' metrics).
HONOR_LABELS_JOBS = frozenset({"pushgateway"})


@dataclass(frozen=True)
class ScrapeTarget:
    """One endpoint to scrape: a Prometheus job name and a URL (path defaults to /metrics)."""

    job: str
    url: str

    def __post_init__(self) -> None:
        if not _JOB.fullmatch(self.job):
            raise ObservabilityError("BAD_TARGET", f"job name {self.job!r} is not a valid job name")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.port is None:
            raise ObservabilityError("BAD_TARGET", f"{self.job}: url {self.url!r} needs http(s)://host:port")

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def address(self) -> str:
        """host:port as Prometheus wants it in static_configs."""
        return urlsplit(self.url).netloc

    @property
    def metrics_path(self) -> str:
        path = urlsplit(self.url).path
        return path if path not in ("", "/") else "/metrics"


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as ``250ms``, ``1s``, ``1m30s``; BAD_INTERVAL otherwise."""
    m = _DURATION.fullmatch(text.strip()) if text else None
    if not m or not any(m.groups()):
        raise ObservabilityError("BAD_INTERVAL", f"{text!r} is not a duration like 250ms, 1s or 1m")
    hours, minutes, seconds, millis = (int(g) if g else 0 for g in m.groups())
    value = hours * 3600 + minutes * 60 + seconds + millis / 1000
    if value <= 0:
        raise ObservabilityError("BAD_INTERVAL", f"{text!r} must be positive")
    return value


def default_rule_files() -> list[Path]:
    """The project's rule files: ``$GAMEDAY_RULES_DIR`` or ``<repo>/dashboards/prometheus``."""
    repo_rules = Path(__file__).resolve().parents[2] / "dashboards" / "prometheus"
    base = Path(os.environ.get(RULES_DIR_ENV) or repo_rules)
    files = [base / "alerts.yml", base / "recording.yml"]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise ObservabilityError("RULES_NOT_FOUND",
                                 f"rule files missing: {', '.join(missing)} (set {RULES_DIR_ENV})")
    return files


def render_config(
    targets: Iterable[ScrapeTarget],
    rule_files: Sequence[Path | str],
    scrape_interval: str = "250ms",
    eval_interval: str = "250ms",
) -> str:
    """The text of a prometheus.yml scraping ``targets`` (grouped per job) with ``rule_files``.

    The scrape timeout equals the interval (Prometheus refuses a longer one). Rule file paths are
    made absolute so the config works wherever Prometheus runs.
    """
    parse_duration(scrape_interval)
    parse_duration(eval_interval)
    jobs: dict[tuple[str, str, str], list[str]] = {}
    for t in targets:
        jobs.setdefault((t.job, t.scheme, t.metrics_path), []).append(t.address)
    names = [job for job, _, _ in jobs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ObservabilityError("BAD_TARGET", f"jobs {duplicated} mix schemes or metrics paths")
    config = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": eval_interval,
        },
        "rule_files": [str(Path(f).resolve()) for f in rule_files],
        "scrape_configs": [
            {
                "job_name": job,
                **({"honor_labels": True} if job in HONOR_LABELS_JOBS else {}),
                "scheme": scheme,
                "metrics_path": path,
                "static_configs": [{"targets": sorted(set(addresses))}],
            }
            for (job, scheme, path), addresses in sorted(jobs.items())
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)
