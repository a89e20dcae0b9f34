"""A trivial HTTP/1.1 server for measuring the load generator's own capacity (benchmark code).

Answers every request (keep-alive, pipelined) with a fixed ``200 {}`` and does nothing else, so a
closed loop against it measures how many requests/s one generator process can drive and at what
CPU cost. Binds 127.0.0.1 on an ephemeral port and prints ``LISTENING <url>``; optional ``--cpu N``
pins it. Bad framing from a client closes that connection; SIGTERM ends the process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import cast

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Sink(asyncio.Protocol):
    """Frames requests by Content-Length and answers each one at once, in order."""

    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        buf, answered = self.buf + data, 0
        while (end := buf.find(b"\r\n\r\n")) >= 0:
            head = buf[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            try:
                length = int(head[at + 17 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            except ValueError:
                self.transport.close()
                return
            if len(buf) < end + 4 + length:
                break
            buf = buf[end + 4 + length :]
            answered += 1
        self.buf = buf
        if answered:
            self.transport.write(RESPONSE * answered)


async def serve(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", 0)
    print(f"LISTENING http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cpu", type=int, help="pin to this CPU")
    import uvloop

    uvloop.run(serve(parser.parse_args().cpu))


if __name__ == "__main__":
    main()
