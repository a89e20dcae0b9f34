"""``python -m harness.deploy.gateway``: the blue-green gateway process.

    python -m harness.deploy.gateway --upstream blue=http://127.0.0.1:A --upstream green=http://127.0.0.1:B \\
        --active blue [--host 127.0.0.1] [--port 0] [--admission 1.0] [--admin-token T] \
        [--no-follow-leader]

Binds the socket itself (so port 0 works and the real port is known), serves the ASGI app with
uvicorn on that socket, prints ``LISTENING http://HOST:PORT`` once it accepts connections, and on
SIGTERM/SIGINT stops accepting, finishes in-flight requests, closes the upstream pool and exits 0.
Bad arguments print one line and exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence

import uvicorn

from harness.deploy.admission import AdmissionError
from harness.deploy.gateway_app import GatewayApp, GatewayConfig
from harness.deploy.routing import RouteError

__all__ = ["bind_socket", "main", "serve"]


class _Server(uvicorn.Server):
    """uvicorn server that announces the bound URL after start-up."""

    def __init__(self, config: uvicorn.Config, url: str) -> None:
        super().__init__(config)
        self._url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            print(f"LISTENING {self._url}", flush=True)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0 = chosen by the OS)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


async def serve(config: GatewayConfig, sock: socket.socket) -> None:
    """Serve ``config`` on an already bound socket until SIGTERM/SIGINT."""
    app = GatewayApp(config)
    host, port = sock.getsockname()[:2]
    uv_config = uvicorn.Config(
        app, lifespan="on", log_level="warning", access_log=False, server_header=False,
        date_header=False, timeout_graceful_shutdown=10, timeout_keep_alive=30, proxy_headers=False,
    )
    await _Server(uv_config, f"http://{host}:{port}").serve(sockets=[sock])


def _parse_upstream(text: str) -> tuple[str, str]:
    color, sep, url = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected COLOR=URL, got {text!r}")
    return color.strip(), url.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description="Blue-green HTTP gateway for engines")
    parser.add_argument("--upstream", action="append", type=_parse_upstream, required=True,
                        metavar="COLOR=URL", help="an upstream color and its base URL (repeat)")
    parser.add_argument("--active", required=True, help="color receiving all traffic at start")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--admission", type=float, default=1.0, help="admitted fraction, 0..1")
    parser.add_argument("--admin-token", default=os.environ.get("GATEWAY_ADMIN_TOKEN"))
    parser.add_argument("--connect-timeout", type=float, default=2.0)
    parser.add_argument("--upstream-timeout", type=float, default=30.0)
    parser.add_argument("--pool-size", type=int, default=256)
    parser.add_argument("--keepalive-timeout", type=float, default=3.0,
                        help="seconds an idle upstream connection is kept (keep below the upstream's)")
    parser.add_argument("--no-follow-leader", dest="follow_leader", action="store_false",
                        help="pass 409 NOT_LEADER through: no retry on the leader, no route switch")
    return parser


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (uvicorn[standard] brings it), else the stdlib loop."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.admin_token:
        print("gateway: error: --admin-token is required when binding outside loopback", file=sys.stderr)
        return 2
    try:
        upstreams = dict(args.upstream)
        if len(upstreams) != len(args.upstream):
            raise RouteError("INVALID_UPSTREAM", "a color is given twice")
        config = GatewayConfig(
            upstreams=upstreams, active=args.active, admission=args.admission, admin_token=args.admin_token,
            connect_timeout=args.connect_timeout, upstream_timeout=args.upstream_timeout,
            pool_size=args.pool_size, keepalive_timeout=args.keepalive_timeout,
            follow_leader=args.follow_leader,
        )
    except (RouteError, AdmissionError) as exc:
        print(f"gateway: error: {exc}", file=sys.stderr)
        return 2
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"gateway: error: cannot bind {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    # uvicorn drains on SIGTERM, restores this handler, then re-raises the signal: exit 0 here.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(serve(config, sock))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
