"""Pull index ticks from the feed process over TCP and submit them as ``IndexTick`` commands.

Connects to ``tcp://host:port`` (possibly a Toxiproxy proxy), reads line-delimited JSON, and only
while this node is the leader submits the newest price per symbol (older queued prices are
coalesced). Malformed lines are skipped; on EOF, reset or timeout it reconnects with a bounded
back-off. Failpoint ``feed.tick`` runs per received line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

from chaos import failpoints
from target_engine.domain import DomainError, IndexTick, units
from target_engine.service.errors import ApiError
from target_engine.service.node import Node, now_ms
from target_engine.service.sequencer import Sequencer

log = logging.getLogger("target_engine.service")


def parse_feed_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        raise ValueError(f"feed URL must be tcp://host:port, got {url!r}")
    return parts.hostname, parts.port


class FeedClient:
    def __init__(self, node: Node, sequencer: Sequencer, url: str) -> None:
        self.node = node
        self.sequencer = sequencer
        self.host, self.port = parse_feed_url(url)
        self.connected = False

    async def run(self) -> None:
        backoff = 0.05
        while not self.node.stopping:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 2.0)
            except (OSError, TimeoutError):
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            self.connected, backoff = True, 0.05
            try:
                await self._consume(reader)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                log.info("feed connection lost: %s", exc)
            finally:
                self.connected = False
                writer.close()

    async def _consume(self, reader: asyncio.StreamReader) -> None:
        while True:
            line = await asyncio.wait_for(reader.readline(), timeout=30.0)
            if not line:
                return
            try:
                await failpoints.ahit("feed.tick")
                tick = json.loads(line)
                symbol, price_text = tick["symbol"], tick["price"]
                inst = self.node.config.instruments.get(symbol) if isinstance(symbol, str) else None
                if inst is None:
                    continue
                price = units.parse_price(inst, price_text)
            except (ValueError, KeyError, TypeError, DomainError, failpoints.FailpointError):
                continue
            self.node.index.last_tick_ms[symbol] = now_ms()
            if self.node.is_leader:
                try:
                    self.sequencer.submit(IndexTick(symbol=symbol, price=price), internal=True)
                except ApiError:
                    pass
