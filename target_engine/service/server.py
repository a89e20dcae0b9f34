"""Run one engine process: journal, node, sequencer, worker, leadership, feed client, HTTP.

The HTTP server (``--http-server``): the built-in one (``httpserver``, the default: faster by
measurement) or uvicorn (uvloop + httptools) around the ASGI app; both run ``App.dispatch`` on a
socket bound before start (so port 0 works). ``LISTENING http://host:port`` is printed once it
accepts connections. SIGTERM/SIGINT: the server stops accepting and finishes in-flight requests
(10 s grace), the sequencer drains, the lease is released and the leader file lock dropped (a
standby can promote at once), the journal is closed, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import uvicorn

from target_engine.domain import EngineConfig
from target_engine.journal import Journal
from target_engine.service.admin import AdminApi
from target_engine.service.asgi import App, Response, Router
from target_engine.service.feed_client import FeedClient
from target_engine.service.handlers import PublicApi
from target_engine.service.httpserver import HttpServer
from target_engine.service.leadership import Leadership
from target_engine.service.node import Node
from target_engine.service.openapi import document
from target_engine.service.options import HttpServerKind, ServiceOptions
from target_engine.service.sequencer import Sequencer
from target_engine.service.state_hasher import StateHasher
from target_engine.service.worker import MarginWorker

log = logging.getLogger("target_engine.service")


class _Server(uvicorn.Server):
    """uvicorn's server, minus re-raising SIGTERM/SIGINT after the graceful stop.

    uvicorn re-raises a captured signal once it has shut down, which would kill the process with
    status -15 before the journal is closed; here the signal only asks for a graceful stop and
    ``serve`` returns normally (exit 0).
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        originals = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in originals.items():
                signal.signal(sig, handler)


class Built(NamedTuple):
    app: App
    node: Node
    sequencer: Sequencer
    leadership: Leadership
    worker: MarginWorker
    hasher: StateHasher


def build(opts: ServiceOptions, config: EngineConfig, journal: Journal) -> Built:
    node = Node(opts, config, journal)
    sequencer = Sequencer(node)
    leadership = Leadership(node)
    worker = MarginWorker(node, sequencer)
    hasher = StateHasher(node)
    router = Router()
    PublicApi(node, sequencer, leadership, hasher).register(router)
    AdminApi(node, sequencer, leadership).register(router)
    spec = document()

    async def openapi(_req: Any) -> Response:
        return Response(200, spec)

    router.add("GET", "/openapi.json", openapi)
    return Built(App(router, node.metrics), node, sequencer, leadership, worker, hasher)


async def _clock(node: Node, sequencer: Sequencer) -> None:
    from target_engine.domain import ClockTick

    while True:
        await asyncio.sleep(node.opts.clock_tick_ms / 1000.0)
        if node.is_leader and not sequencer.queue:
            with contextlib.suppress(Exception):
                sequencer.submit(ClockTick(), internal=True)


async def serve(opts: ServiceOptions, config: EngineConfig, journal: Journal, host: str, port: int) -> None:
    app, node, sequencer, leadership, worker, hasher = build(opts, config, journal)
    leadership.start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    sock.bind((host, port))
    sock.listen(2048)
    tasks = [asyncio.create_task(coro) for coro in (sequencer.run(), worker.run(), worker.watch(),
                                                    leadership.run(), _clock(node, sequencer))]
    if opts.feed_url:
        tasks.append(asyncio.create_task(FeedClient(node, sequencer, opts.feed_url).run()))

    try:
        if opts.http_server is HttpServerKind.UVICORN:
            await _serve_uvicorn(app, sock)
        else:
            await _serve_builtin(app, sock)
    finally:
        node.stopping = True
        await sequencer.drain()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if node.is_leader:
            with contextlib.suppress(Exception):
                journal.release(node.epoch, opts.color)
        hasher.close()
        sequencer.close()
        node.leader_lock.close()
        journal.close()


def _announce(sock: socket.socket) -> None:
    bound = sock.getsockname()
    sys.stdout.write(f"LISTENING http://{bound[0]}:{bound[1]}\n")
    sys.stdout.flush()


async def _serve_builtin(app: App, sock: socket.socket) -> None:
    """The built-in server until SIGTERM/SIGINT, then its graceful shutdown (at most 10 s)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = HttpServer(app)
    try:
        await server.start(sock)
        _announce(sock)
        await stop.wait()
    finally:
        await server.shutdown()  # a repeated signal meanwhile changes nothing
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        sock.close()


async def _serve_uvicorn(app: App, sock: socket.socket) -> None:
    uv_config = uvicorn.Config(app, loop="none", http="httptools", lifespan="off", access_log=False,
                               log_level="warning", timeout_graceful_shutdown=10, backlog=2048)
    server = _Server(uv_config)

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.005)
        _announce(sock)

    announcer = asyncio.create_task(announce())
    try:
        await server.serve(sockets=[sock])
    finally:
        announcer.cancel()
