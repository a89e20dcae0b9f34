"""Which build of the domain core this process runs: mypyc-compiled or pure Python.

``scripts/build_native.py`` (``make native``) compiles ``target_engine/domain`` into C extensions next
to the sources, with a manifest of the compiled sources' SHA-256 (``_native.json``). Python would
import an extension in preference to its ``.py`` file even after the source changed, so this module,
run when ``target_engine`` is first imported, checks the manifest and, unless the build is present
and current, puts a finder in front that loads the domain from its ``.py`` files. Set
``GAMEDAY_PURE_DOMAIN=1`` to run the pure-Python domain on purpose (the cross-build tests do).

Never imports the domain itself: the choice has to be made before the first domain import.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

DOMAIN_DIR = Path(__file__).resolve().parent / "domain"
DOMAIN_PACKAGE = "target_engine.domain"
MANIFEST = DOMAIN_DIR / "_native.json"
PURE_ENV = "GAMEDAY_PURE_DOMAIN"
# Kept interpreted by the build: the package's re-exports, and fastinit (it generates code with exec).
INTERPRETED = frozenset({"__init__.py", "fastinit.py"})


def compiled_sources(domain_dir: Path = DOMAIN_DIR) -> list[Path]:
    return sorted(p for p in domain_dir.glob("*.py") if p.name not in INTERPRETED)


def source_hashes(domain_dir: Path = DOMAIN_DIR) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in compiled_sources(domain_dir)}


def stale_reason(domain_dir: Path = DOMAIN_DIR) -> str | None:
    """Why the compiled domain in ``domain_dir`` cannot be used, or None when it is current."""
    manifest_path = domain_dir / MANIFEST.name
    if not manifest_path.exists():
        return "not built (make native)"
    try:
        manifest = json.loads(manifest_path.read_text())
        suffix, hashes = manifest["ext_suffix"], manifest["sources"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"unreadable manifest {manifest_path.name}: {exc}"
    if suffix != sysconfig.get_config_var("EXT_SUFFIX"):
        return f"built for {suffix}, this interpreter loads {sysconfig.get_config_var('EXT_SUFFIX')}"
    current = source_hashes(domain_dir)
    changed = sorted(name for name in current.keys() | hashes.keys() if current.get(name) != hashes.get(name))
    if changed:
        return f"{', '.join(changed)} changed since the build (make native)"
    # one extension per compiled module, plus the group's shared library (``<group>__mypyc``)
    shared = str(manifest.get("group", "")).rpartition(".")[2] + "__mypyc"
    stems = [Path(name).stem for name in current] + [shared]
    if any(not (domain_dir / (stem + suffix)).exists() for stem in stems):
        return "extension files missing (make native)"
    return None


class _DomainFromSource(importlib.abc.MetaPathFinder):
    """Loads ``target_engine.domain.*`` from ``.py`` files, ahead of the compiled extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != DOMAIN_PACKAGE:
            return None
        source = DOMAIN_DIR / f"{name}.py"
        return importlib.util.spec_from_file_location(fullname, source) if source.exists() else None


def _choose() -> tuple[str, str]:
    """(build, why): ``mypyc`` or ``python``, and the reason for ``python``."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return "python", f"{PURE_ENV} is set"
    reason = stale_reason()
    return ("mypyc", "current") if reason is None else ("python", reason)


DOMAIN_BUILD, DOMAIN_BUILD_REASON = _choose()
if DOMAIN_BUILD == "python" and any(DOMAIN_DIR.glob("*.so")):
    sys.meta_path.insert(0, _DomainFromSource())
    if not DOMAIN_BUILD_REASON.startswith(PURE_ENV):
        print(f"target_engine: compiled domain not used: {DOMAIN_BUILD_REASON}; "
              "running the pure-Python domain", file=sys.stderr)
