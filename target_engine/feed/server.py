"""TCP tick server: every connected client gets the same stream of line-delimited JSON ticks.

One ticker task produces a step every ``interval_ms`` and writes it to every client; a slow client
whose buffer passes 1 MiB is disconnected (it reconnects and gets fresh prices). The failpoint
``feed.tick`` runs before each step (``delay``/``pause`` stall the feed, ``error`` skips a step).
SIGTERM/SIGINT close the listener and every client, then exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
import time
from collections.abc import Callable

from chaos import failpoints
from target_engine.feed.sources import Tick

MAX_CLIENT_BUFFER = 1 << 20


class TickServer:
    def __init__(self, next_step: Callable[[], list[Tick]], interval_ms: int) -> None:
        self.next_step = next_step
        self.interval = interval_ms / 1000.0
        self.clients: set[asyncio.StreamWriter] = set()
        self.seq = 0

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.add(writer)
        try:
            await reader.read()  # until the client closes; input is ignored
        except (ConnectionError, OSError):
            pass
        finally:
            self.clients.discard(writer)
            writer.close()

    def _broadcast(self, ticks: list[Tick]) -> None:
        now = int(time.time() * 1000)
        lines = []
        for t in ticks:
            self.seq += 1
            lines.append(json.dumps({"symbol": t.symbol, "price": t.price, "ts_ms": now, "seq": self.seq}))
        data = ("\n".join(lines) + "\n").encode()
        for w in list(self.clients):
            transport = w.transport
            if transport.is_closing() or transport.get_write_buffer_size() > MAX_CLIENT_BUFFER:
                self.clients.discard(w)
                transport.abort()
                continue
            w.write(data)

    async def run_ticker(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            try:
                await failpoints.ahit("feed.tick")
                self._broadcast(self.next_step())
            except failpoints.FailpointError:
                pass
            next_at = max(next_at + self.interval, loop.time())
            await asyncio.sleep(next_at - loop.time())

    async def serve(self, host: str, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        server = await asyncio.start_server(self._on_client, sock=sock)
        bound = sock.getsockname()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        ticker = asyncio.create_task(self.run_ticker())
        sys.stdout.write(f"LISTENING tcp://{bound[0]}:{bound[1]}\n")
        sys.stdout.flush()
        await stop.wait()
        ticker.cancel()
        server.close()
        for w in list(self.clients):
            w.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()
