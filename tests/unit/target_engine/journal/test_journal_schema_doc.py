"""SCHEMA.md (the contract the independent integrity checker reads) names every command and event
kind of the domain with exactly its fields, and the scales the domain uses."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from target_engine.domain import COMMAND_TYPES, EVENT_TYPES, units

SCHEMA = Path(__file__).resolve().parents[4] / "target_engine" / "journal" / "SCHEMA.md"


def documented_kinds() -> dict[str, set[str]]:
    text = SCHEMA.read_text()
    kinds_section = text.split("## Kinds", 1)[1]
    # join wrapped list items into one line each
    items = re.split(r"\n- ", kinds_section)
    out: dict[str, set[str]] = {}
    for item in items[1:]:
        flat = " ".join(line.strip() for line in item.split("\n\n", 1)[0].splitlines())
        for part in re.split(r" · ", flat):
            m = re.match(r"`([A-Za-z]+)`(?: / `([A-Za-z]+)`)?: ?(.*)", part.strip())
            if not m:
                continue
            body = re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)", "", m.group(3))  # drop parenthesised notes
            body = body.split(" — ", 1)[0]
            fields = {f.strip() for f in body.split(",") if re.fullmatch(r"[a-z_]+", f.strip())}
            for name in filter(None, (m.group(1), m.group(2))):
                out[name] = fields
    return out


def test_every_kind_documented_with_its_fields() -> None:
    doc = documented_kinds()
    for registry, implicit in ((COMMAND_TYPES, {"seq", "ts_ms"}), (EVENT_TYPES, set())):
        for name, cls in registry.items():
            assert name in doc, f"{name} missing from SCHEMA.md"
            fields = {f.name for f in dataclasses.fields(cls)} - implicit
            documented = doc[name] - implicit
            assert documented == fields, f"{name}: SCHEMA.md {sorted(documented)} != domain {sorted(fields)}"
    assert set(doc) <= set(COMMAND_TYPES) | set(EVENT_TYPES), "SCHEMA.md names a kind the domain lacks"


def test_scales_match_the_domain() -> None:
    text = SCHEMA.read_text()
    for scale, value in (
        ("price", units.PRICE_SCALE),
        ("quantity", units.QTY_SCALE),
        ("money", units.MONEY_SCALE),
        ("rate", units.RATE_SCALE),
    ):
        row = next(ln for ln in text.splitlines() if ln.startswith(f"| {scale}") and "× 10^" in ln)
        exponent = int(re.search(r"× 10\^(\d+)", row).group(1))  # type: ignore[union-attr]
        assert 10**exponent == value, (scale, row)
