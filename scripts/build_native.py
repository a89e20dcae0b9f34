"""Compile the margin engine's domain core with mypyc (``make native``).

The domain (``target_engine/domain``) is strictly typed pure Python; mypyc turns its modules into C
extensions that Python imports in place of the ``.py`` files, about 2x faster per command (replay
apply 7.9 -> 3.7 us). Same source, same semantics: ``tests/integration/engine/test_engine_native_domain.py``
runs seeded sessions that liquidate and settle funding under both builds and compares every event.

The extensions are written next to the sources (``*.so``, ignored by git) with a manifest,
``_native.json``, holding each compiled source's SHA-256. ``target_engine.native`` imports the
compiled modules only while every hash still matches, so an edited source is never shadowed by a
stale build: it falls back to the pure-Python domain and says so on stderr.

Usage:
  python scripts/build_native.py           build (about 40 s), replacing an earlier build
  python scripts/build_native.py --check   exit 0 when the build is present and current, else 1
  python scripts/build_native.py --clean   remove the extensions and the manifest

Needs gcc and the Python headers (Debian: gcc, python3-dev; scripts/install-system-deps.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("GAMEDAY_PURE_DOMAIN", "1")  # the build replaces what a warning would be about
from target_engine.native import DOMAIN_DIR, MANIFEST, compiled_sources, source_hashes, stale_reason  # noqa: E402

GROUP = "target_engine.domain._native"


def extension_files() -> list[Path]:
    return sorted(DOMAIN_DIR.glob("*.so"))


def clean() -> None:
    for path in [*extension_files(), MANIFEST]:
        path.unlink(missing_ok=True)


_SETUP = """
import sys
from setuptools import setup
from mypyc.build import mypycify
paths = sys.argv[1:]
sys.argv = sys.argv[:1]
setup(name="gameday-native-domain", ext_modules=mypycify(paths, group_name={group!r}, opt_level="3"),
      script_args=["build_ext", "--build-lib", "lib", "--build-temp", "tmp", "--parallel", "2"])
"""


def build() -> int:
    if shutil.which(os.environ.get("CC", "gcc")) is None:
        print("build_native: no C compiler (gcc); install it (Debian: apt-get install gcc python3-dev)",
              file=sys.stderr)
        return 2
    if not Path(sysconfig.get_paths()["include"], "Python.h").exists():
        print("build_native: no Python headers (Python.h); install them "
              "(Debian: apt-get install python3-dev)", file=sys.stderr)
        return 2
    sources = compiled_sources()
    hashes = source_hashes()
    # mypyc's setup() reads pyproject.toml from the working directory; build in an empty one with
    # the project's mypy settings passed explicitly (the domain is checked --strict there too).
    with tempfile.TemporaryDirectory(prefix="gameday-native-") as work:
        config = ["--config-file", str(ROOT / "pyproject.toml")]
        cmd = [sys.executable, "-c", _SETUP.format(group=GROUP), *config, *map(str, sources)]
        done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
            print(f"build_native: mypyc failed (exit {done.returncode}); the pure-Python domain stays in use",
                  file=sys.stderr)
            return 1
        built = sorted(Path(work, "lib", "target_engine", "domain").glob("*.so"))
        if len(built) != len(sources) + 1:  # one extension per module plus the group's shared library
            print(f"build_native: expected {len(sources) + 1} extensions, mypyc made {len(built)}",
                  file=sys.stderr)
            return 1
        clean()
        for path in built:
            shutil.copy2(path, DOMAIN_DIR / path.name)
    if source_hashes() != hashes:
        clean()
        print("build_native: sources changed during the build; run it again", file=sys.stderr)
        return 1
    MANIFEST.write_text(json.dumps({
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "group": GROUP,
        "sources": hashes,
    }, indent=1, sort_keys=True) + "\n")
    where = DOMAIN_DIR.relative_to(ROOT)
    print(f"build_native: compiled {len(sources)} domain modules with mypyc into {where}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 0 when the build is present and current")
    mode.add_argument("--clean", action="store_true", help="remove the compiled modules")
    args = parser.parse_args(argv)
    if args.clean:
        clean()
        return 0
    if args.check:
        reason = stale_reason()
        print(f"build_native: {reason or 'current'}")
        return 0 if reason is None else 1
    return build()


if __name__ == "__main__":
    sys.exit(main())
