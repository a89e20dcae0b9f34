"""`python -m target_engine.service SUBCOMMAND`: the service's subcommands without the top-level CLI
(serve, feed, replay, verify) — the same modules `margin-engine` registers."""

from __future__ import annotations

import argparse
import sys

from target_engine.feed import cli as feed_cli
from target_engine.service import cli_journal, cli_serve

SUBCOMMANDS = (cli_serve, feed_cli, cli_journal)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="margin-engine")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
