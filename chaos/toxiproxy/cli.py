"""``chaos-proxy``: run the Toxiproxy-compatible server, or drive any Toxiproxy API (like toxiproxy-cli).

``chaos-proxy [serve] --host 127.0.0.1 --port 8474 [--config FILE] [--seed N]`` runs the server.
``chaos-proxy [--api URL] list|inspect|create|delete|toggle|toxic add|update|remove`` calls the API
with ``ToxiproxyClient``. Every failure prints one line ``chaos-proxy: error: ...`` to stderr and
exits non-zero (2 bad usage or input, 1 the API refused or could not be reached).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from typing import Any

from chaos.toxiproxy.client import DEFAULT_API, ToxiproxyClient
from chaos.toxiproxy.errors import ToxiproxyError, ValidationError
from chaos.toxiproxy.models import Proxy, Toxic

COMMANDS = {"serve", "list", "ls", "inspect", "i", "create", "c", "delete", "d", "toggle", "t", "toxic"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        print(f"chaos-proxy: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chaos-proxy", description="Toxiproxy-compatible fault proxy and its CLI")
    parser.add_argument("--api", default=DEFAULT_API, help="Toxiproxy API URL (client commands)")
    parser.add_argument("--timeout", type=float, default=5.0, help="API timeout in seconds")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8474)
    serve.add_argument("--config", help="JSON file: array of proxies, as for /populate")
    serve.add_argument("--seed", type=int, help="seed for toxicity rolls, jitter and http_error rates")

    sub.add_parser("list", aliases=["ls"], help="list proxies")
    inspect = sub.add_parser("inspect", aliases=["i"], help="show a proxy and its toxics")
    inspect.add_argument("name")
    create = sub.add_parser("create", aliases=["c"], help="create a proxy")
    create.add_argument("name")
    create.add_argument("--listen", "-l", default="127.0.0.1:0")
    create.add_argument("--upstream", "-u", required=True)
    delete = sub.add_parser("delete", aliases=["d"], help="delete a proxy")
    delete.add_argument("name")
    toggle = sub.add_parser("toggle", aliases=["t"], help="enable/disable a proxy")
    toggle.add_argument("name")

    toxic = sub.add_parser("toxic", help="manage toxics")
    tsub = toxic.add_subparsers(dest="toxic_command", required=True, parser_class=_Parser)
    add = tsub.add_parser("add", aliases=["a"])
    add.add_argument("name", help="proxy name")
    add.add_argument("--type", "-t", required=True)
    add.add_argument("--toxic-name", "-n")
    add.add_argument("--stream", "-s", default="downstream", choices=["upstream", "downstream", "up", "down"])
    add.add_argument("--toxicity", "-tox", type=float, default=1.0)
    add.add_argument("--attribute", "-a", action="append", default=[], metavar="KEY=VALUE")
    update = tsub.add_parser("update", aliases=["u"])
    update.add_argument("name", help="proxy name")
    update.add_argument("--toxic-name", "-n", required=True)
    update.add_argument("--toxicity", "-tox", type=float)
    update.add_argument("--attribute", "-a", action="append", default=[], metavar="KEY=VALUE")
    remove = tsub.add_parser("remove", aliases=["r", "delete", "d"])
    remove.add_argument("name", help="proxy name")
    remove.add_argument("--toxic-name", "-n", required=True)
    return parser


def _attributes(pairs: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValidationError(f"attribute {pair!r} is not KEY=VALUE")
        try:
            result[key] = json.loads(text)
        except ValueError:
            result[key] = text
    return result


def _stream(text: str) -> str:
    return {"up": "upstream", "down": "downstream"}.get(text, text)


def _show_toxic(t: Toxic) -> str:
    attrs = " ".join(f"{k}={v}" for k, v in t.attributes.items())
    return f"  {t.name}\ttype={t.type}\tstream={t.stream.value}\ttoxicity={t.toxicity:g}\t{attrs}"


def _show_proxy(p: Proxy) -> str:
    state = "enabled" if p.enabled else "disabled"
    return f"{p.name}\tlisten={p.listen}\tupstream={p.upstream}\t{state}\ttoxics={len(p.toxics)}"


def _run_client(args: argparse.Namespace) -> int:
    with ToxiproxyClient(args.api, timeout=args.timeout) as api:
        cmd = args.command
        if cmd in ("list", "ls"):
            proxies = api.proxies()
            for name in sorted(proxies):
                print(_show_proxy(proxies[name]))
            if not proxies:
                print("no proxies")
        elif cmd in ("inspect", "i"):
            proxy = api.proxy(args.name)
            print(_show_proxy(proxy))
            for toxic in proxy.toxics:
                print(_show_toxic(toxic))
        elif cmd in ("create", "c"):
            print(f"created {_show_proxy(api.create_proxy(args.name, args.upstream, args.listen))}")
        elif cmd in ("delete", "d"):
            api.delete_proxy(args.name)
            print(f"deleted proxy {args.name}")
        elif cmd in ("toggle", "t"):
            proxy = api.proxy(args.name)
            updated = api.update_proxy(args.name, enabled=not proxy.enabled)
            print(f"proxy {updated.name} is now {'enabled' if updated.enabled else 'disabled'}")
        else:
            return _run_toxic(api, args)
    return 0


def _run_toxic(api: ToxiproxyClient, args: argparse.Namespace) -> int:
    sub = args.toxic_command
    if sub in ("add", "a"):
        toxic = api.add_toxic(
            args.name,
            args.type,
            _attributes(args.attribute),
            name=args.toxic_name,
            stream=_stream(args.stream),
            toxicity=args.toxicity,
        )
        print(f"added toxic to {args.name}:\n{_show_toxic(toxic)}")
    elif sub in ("update", "u"):
        attrs = _attributes(args.attribute) if args.attribute else None
        toxic = api.update_toxic(args.name, args.toxic_name, attrs, args.toxicity)
        print(f"updated toxic on {args.name}:\n{_show_toxic(toxic)}")
    else:
        api.remove_toxic(args.name, args.toxic_name)
        print(f"removed toxic {args.toxic_name} from {args.name}")
    return 0


def _run_server(args: argparse.Namespace) -> int:
    from chaos.toxiproxy.server import serve

    config = None
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                config = json.load(fh)
        except (OSError, ValueError) as exc:
            print(f"chaos-proxy: error: cannot read config {args.config}: {exc}", file=sys.stderr)
            return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(63)
    try:
        import uvloop

        uvloop.run(serve(args.host, args.port, seed, config))
    except ToxiproxyError as exc:
        print(f"chaos-proxy: error: config {args.config}: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"chaos-proxy: error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = next((i for i, a in enumerate(argv) if not a.startswith("-") or a in ("-h", "--help")), None)
    if first is None or (argv[first] not in COMMANDS and argv[first] not in ("-h", "--help")):
        # `chaos-proxy --port 0` means serve (like toxiproxy-server); keep --api/--timeout in front
        argv = ["serve", *argv] if "--api" not in argv else argv
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _run_server(args)
    try:
        return _run_client(args)
    except ToxiproxyError as exc:
        print(f"chaos-proxy: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValidationError) else 1


if __name__ == "__main__":
    sys.exit(main())
