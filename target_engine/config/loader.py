"""Load ``instruments.yaml`` (or another file) into an ``EngineConfig``.

Reads the file with ``yaml.safe_load``; a missing file, bad YAML or an invalid field raises
``ConfigError`` with a one-line message naming the file (and field).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from target_engine.domain.errors import ConfigError
from target_engine.domain.instruments import EngineConfig, engine_config_from_dict

DEFAULT_CONFIG_PATH = Path(__file__).with_name("instruments.yaml")


def load_config_dict(path: str | Path | None = None) -> dict[str, Any]:
    target = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{target}: cannot read ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{target}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{target}: expected a mapping at the top level")
    return raw


def load_engine_config(path: str | Path | None = None, **overrides: object) -> EngineConfig:
    """Parse the file into an ``EngineConfig``; ``overrides`` replace ``engine:`` options."""
    raw = load_config_dict(path)
    try:
        return engine_config_from_dict(raw, **overrides)
    except ConfigError as exc:
        raise ConfigError(f"{path or DEFAULT_CONFIG_PATH}: {exc.message}") from None
