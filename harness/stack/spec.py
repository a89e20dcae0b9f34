"""StackSpec: what a game-day stack consists of, and the argv of each component (pure, no I/O).

Start order (see :mod:`harness.stack.stack`): feed → chaos-proxy (unless an external Toxiproxy URL
is given) → proxy ``index`` → engines (leader first, then standby) fed through ``index`` → proxies
``blue``/``green`` → gateway → proxy ``api`` → Prometheus scraping every component directly.
Commands are argv prefixes (no shell) so tests and installs without console scripts work.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.stack.process import ProcessSpec

COLORS = ("blue", "green")
ROLES = ("leader", "standby", "auto")
POLICIES = ("halt", "shed")
DURABILITIES = ("power", "process")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RULES = (REPO_ROOT / "dashboards" / "prometheus" / "alerts.yml",
                 REPO_ROOT / "dashboards" / "prometheus" / "recording.yml")


@dataclass(frozen=True)
class EngineSpec:
    """One engine color: ``margin-engine serve --color C --role R --overflow-policy P``."""

    color: str
    role: str = "leader"
    overflow_policy: str = "halt"
    extra_args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.color not in COLORS or self.role not in ROLES or self.overflow_policy not in POLICIES:
            raise ValueError(f"engine {self.color!r}: color in {COLORS}, role in {ROLES}, "
                             f"overflow_policy in {POLICIES} required")


DEFAULT_ENGINES = (EngineSpec("blue", "leader", "halt"), EngineSpec("green", "standby", "shed"))


@dataclass(frozen=True)
class StackSpec:
    """Everything needed to bring a stack up in ``run_dir`` (logs, journal, stack.json live there).

    ``toxiproxy_url`` / ``prometheus_url``: use those servers instead of starting chaos-proxy /
    Prometheus. ``prometheus=False`` starts none. ``gateway=False`` leaves the gateway out (the
    ``api`` proxy then points at the active engine's proxy).
    """

    run_dir: Path
    seed: int = 1
    engines: tuple[EngineSpec, ...] = DEFAULT_ENGINES
    journal: Path | None = None
    engine_config: Path | None = None
    durability: str = "power"  # margin-engine serve --durability, for every engine (one journal)
    feed_symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")
    feed_args: tuple[str, ...] = ()
    toxiproxy_url: str | None = None
    prometheus: bool = True
    prometheus_url: str | None = None
    scrape_interval: str = "250ms"
    eval_interval: str = "250ms"
    rule_files: tuple[Path, ...] = DEFAULT_RULES
    gateway: bool = True
    active_color: str = "blue"
    engine_command: tuple[str, ...] = (sys.executable, "-m", "target_engine.service")
    proxy_command: tuple[str, ...] = (sys.executable, "-m", "chaos.toxiproxy.cli")
    gateway_command: tuple[str, ...] = (sys.executable, "-m", "harness.deploy.gateway")
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 30.0

    def __post_init__(self) -> None:
        colors = [e.color for e in self.engines]
        if not colors or len(set(colors)) != len(colors):
            raise ValueError("engines: at least one, each color once")
        if self.active_color not in colors:
            raise ValueError(f"active_color {self.active_color!r} is not one of the engines {colors}")
        if self.durability not in DURABILITIES:
            raise ValueError(f"durability {self.durability!r}: one of {DURABILITIES} required")

    @property
    def journal_path(self) -> Path:
        return self.journal or self.run_dir / "journal.sqlite"

    def ordered_engines(self) -> list[EngineSpec]:
        """Leaders first (they must hold the lease before a standby tails the journal)."""
        return sorted(self.engines, key=lambda e: {"leader": 0, "auto": 1, "standby": 2}[e.role])

    # -- argv of each component ----------------------------------------------------------------
    def _proc(self, name: str, argv: list[str], ready_path: str | None) -> ProcessSpec:
        return ProcessSpec(name, tuple(argv), env=dict(self.env), ready_path=ready_path,
                           listening_timeout=self.ready_timeout, ready_timeout=self.ready_timeout)

    def feed_process(self) -> ProcessSpec:
        symbols = ",".join(self.feed_symbols)
        argv = [*self.engine_command, "feed", "--symbols", symbols, "--seed", str(self.seed),
                "--host", "127.0.0.1", "--port", "0", *self.feed_args]
        return self._proc("feed", argv, None)

    def proxy_process(self) -> ProcessSpec:
        argv = [*self.proxy_command, "serve", "--host", "127.0.0.1", "--port", "0", "--seed", str(self.seed)]
        return self._proc("chaos-proxy", argv, "/version")

    def engine_process(self, engine: EngineSpec, feed_url: str | None) -> ProcessSpec:
        argv = [*self.engine_command, "serve", "--journal", str(self.journal_path), "--color", engine.color,
                "--role", engine.role, "--overflow-policy", engine.overflow_policy,
                "--durability", self.durability, "--host", "127.0.0.1", "--port", "0"]
        if self.engine_config is not None:
            argv += ["--config", str(self.engine_config)]
        if feed_url:
            argv += ["--feed", feed_url]
        return self._proc(f"engine-{engine.color}", [*argv, *engine.extra_args], "/healthz")

    def gateway_process(self, upstreams: dict[str, str]) -> ProcessSpec:
        argv = [*self.gateway_command, "--host", "127.0.0.1", "--port", "0"]
        for color, url in upstreams.items():
            argv += ["--upstream", f"{color}={url}"]
        argv += ["--active", self.active_color]
        return self._proc("gateway", argv, "/healthz")
