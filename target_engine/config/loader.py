"""Load ``instruments.yaml`` (or another file) into an ``EngineConfig``.

Reads the file with ``yaml.safe_load``; a missing file, bad YAML or an invalid field raises
``ConfigError`` with a one-line message naming the file (and field).

Overlays: a file whose top level has ``extends: default`` is a JSON Merge Patch (RFC 7386) over the
built-in ``instruments.yaml``: mappings merge key by key, any other value replaces, ``null`` removes
the key. That lets a game-day scenario change a few fields (e.g. a 10 s funding interval) without
copying the whole instrument table. The merged dict is what the service journals as ``engine_config``.
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
    if "extends" in raw:
        base = raw.pop("extends")
        if base != "default":
            raise ConfigError(f"{target}: extends: only 'default' (the built-in config), got {base!r}")
        merged = merge_patch(load_config_dict(DEFAULT_CONFIG_PATH), raw)
        if not isinstance(merged, dict):  # pragma: no cover - a dict patch always yields a dict
            raise ConfigError(f"{target}: overlay did not produce a mapping")
        return merged
    return raw


def merge_patch(base: object, patch: object) -> object:
    """RFC 7386: a mapping patch merges into a mapping base key by key (``None`` deletes a key);
    anything else replaces the base. Neither argument is modified."""
    if not isinstance(patch, dict):
        return patch
    out: dict[Any, Any] = dict(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def load_engine_config(path: str | Path | None = None, **overrides: object) -> EngineConfig:
    """Parse the file into an ``EngineConfig``; ``overrides`` replace ``engine:`` options."""
    raw = load_config_dict(path)
    try:
        return engine_config_from_dict(raw, **overrides)
    except ConfigError as exc:
        raise ConfigError(f"{path or DEFAULT_CONFIG_PATH}: {exc.message}") from None
