"""`margin-engine`: a small dispatcher over a registry of subcommand modules.

How to add a subcommand: write a module exposing ``register(subparsers)`` that adds its parser(s)
and sets ``func=<callable(args) -> int>`` with ``set_defaults``; then add one line per command name
to ``SUBCOMMANDS`` below (name -> module path). Modules are imported lazily: only the module of the
command being run is imported (all of them for ``--help``), so ``calc`` stays fast and a broken
service module cannot break ``calc`` or ``demo``.

Bad arguments print one line (``margin-engine: error: ...``) and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

EXIT_USAGE = 2

# command name -> module exposing register(subparsers)
SUBCOMMANDS: dict[str, str] = {
    "calc": "target_engine.cli_calc",
    "demo": "target_engine.cli_demo",
    "serve": "target_engine.service.cli_serve",
    "feed": "target_engine.feed.cli",
    "replay": "target_engine.service.cli_journal",
    "verify": "target_engine.service.cli_journal",
}


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are a single line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"margin-engine: error: {message}\n")


def build_parser(command: str | None) -> argparse.ArgumentParser:
    parser = OneLineParser(prog="margin-engine", description="reference futures margin engine")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = [SUBCOMMANDS[command]] if command in SUBCOMMANDS else list(dict.fromkeys(SUBCOMMANDS.values()))
    for module_name in wanted:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # a component not installed in this tree; its command simply is not offered
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.error(f"no handler for {args.command!r}")
    return int(func(args))


if __name__ == "__main__":
    sys.exit(main())
