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


# ---- reason vocabularies: the literal reasons the domain writes == the ones SCHEMA.md lists ----
DOMAIN = SCHEMA.parents[1] / "domain"

# event kind -> (call that writes the reason, index of the reason argument)
REASON_SITES = {
    "WalletChanged": ("credit", 4),
    "OrderCanceled": ("cancel", 2),
    "InsuranceFundChanged": ("InsuranceFundChanged", 3),
}


def domain_reasons(call: str, index: int) -> set[str]:
    """Every string literal passed as argument ``index`` to ``call(...)`` / ``x.call(...)`` in the domain."""
    import ast

    found: set[str] = set()
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == call and len(node.args) > index:
                arg = node.args[index]
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path.name}:{node.lineno}: {call} reason is not a literal; extend this test"
                )
                found.add(arg.value)
    return found


def documented_reasons(kind: str) -> set[str]:
    text = SCHEMA.read_text().split("## Kinds", 1)[1]
    flat = " ".join(text.split())
    m = re.search(rf"`{kind}`: [^(]*?reason \(([^)]*)\)", flat)
    assert m, f"SCHEMA.md lists no reason vocabulary for {kind}"
    return set(re.findall(r"`([A-Z_]+)`", m.group(1)))


def test_reason_vocabularies_match_the_domain() -> None:
    for kind, (call, index) in REASON_SITES.items():
        written = domain_reasons(call, index)
        assert written, f"no {kind} reasons found in the domain (call {call!r} renamed?)"
        assert documented_reasons(kind) == written, f"{kind}: SCHEMA.md != domain"
