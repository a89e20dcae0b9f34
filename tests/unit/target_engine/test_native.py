"""target_engine.native decides whether the compiled domain may be imported: only when a manifest
written for this interpreter matches every compiled source and every extension is present."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

import pytest

from target_engine.native import source_hashes, stale_reason

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX")


@pytest.fixture
def domain(tmp_path: Path) -> Path:
    """A fake domain folder built as build_native.py leaves it."""
    for name in ("engine.py", "book.py", "__init__.py", "fastinit.py"):
        (tmp_path / name).write_text(f"# {name}\n")
    for stem in ("engine", "book", "_native__mypyc"):
        (tmp_path / f"{stem}{SUFFIX}").write_bytes(b"\x7fELF")
    write_manifest(tmp_path, source_hashes(tmp_path))
    return tmp_path


def write_manifest(domain: Path, sources: dict[str, str], suffix: str = SUFFIX) -> None:
    manifest = {"ext_suffix": suffix, "group": "target_engine.domain._native", "sources": sources}
    (domain / "_native.json").write_text(json.dumps(manifest))


def test_current_build_is_used(domain: Path) -> None:
    assert stale_reason(domain) is None
    assert set(source_hashes(domain)) == {"engine.py", "book.py"}  # __init__ and fastinit stay interpreted


def test_edited_source_is_named(domain: Path) -> None:
    (domain / "book.py").write_text("# edited\n")
    assert stale_reason(domain) == "book.py changed since the build (make native)"


def test_new_source_is_stale(domain: Path) -> None:
    (domain / "rows.py").write_text("# new\n")
    assert stale_reason(domain) == "rows.py changed since the build (make native)"


def test_interpreted_modules_may_change(domain: Path) -> None:
    (domain / "fastinit.py").write_text("# edited\n")
    assert stale_reason(domain) is None


def test_not_built(domain: Path) -> None:
    (domain / "_native.json").unlink()
    assert stale_reason(domain) == "not built (make native)"


def test_other_interpreter(domain: Path) -> None:
    write_manifest(domain, source_hashes(domain), suffix=".cpython-399-x86_64-linux-gnu.so")
    assert "built for .cpython-399" in (stale_reason(domain) or "")


@pytest.mark.parametrize("stem", ["book", "_native__mypyc"])
def test_missing_extension(domain: Path, stem: str) -> None:
    (domain / f"{stem}{SUFFIX}").unlink()
    assert stale_reason(domain) == "extension files missing (make native)"


@pytest.mark.parametrize("text", ["{not json", "[]", '{"sources": {}}'])
def test_unreadable_manifest(domain: Path, text: str) -> None:
    (domain / "_native.json").write_text(text)
    assert (stale_reason(domain) or "").startswith("unreadable manifest _native.json")
