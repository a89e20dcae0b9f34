"""The LISTENING line and readiness polling (stdlib only).

:func:`wait_ready` polls ``url`` with short GETs until it answers 2xx or the deadline passes; each
attempt has its own timeout; connection errors are retried every ``interval`` seconds; nothing is
left open. It raises :class:`NotReadyError` with the last error when the budget is spent.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

from harness.stack.errors import NotReadyError

LISTENING_PREFIX = "LISTENING "


def parse_listening(line: str) -> str | None:
    """The URL of a ``LISTENING <url>`` line, else None."""
    text = line.strip()
    if not text.startswith(LISTENING_PREFIX):
        return None
    url = text[len(LISTENING_PREFIX):].strip()
    return url if "://" in url and " " not in url else None


def probe(url: str, timeout: float = 1.0) -> int | None:
    """HTTP status of a GET (any status, even 4xx/5xx), or None when nothing answered."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - scheme checked
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def wait_ready(
    url: str,
    timeout: float,
    *,
    interval: float = 0.05,
    alive: Callable[[], bool] = lambda: True,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Poll ``url`` until 2xx; returns the seconds it took. ``alive()`` False aborts at once."""
    start = clock()
    deadline = start + timeout
    last: int | None = None
    while True:
        last = probe(url, timeout=min(1.0, max(0.1, timeout)))
        if last is not None and 200 <= last < 300:
            return clock() - start
        if not alive():
            raise NotReadyError(f"{url}: the process exited before it was ready")
        if clock() >= deadline:
            raise NotReadyError(f"{url}: not ready within {timeout:g}s (last status {last})")
        time.sleep(interval)
