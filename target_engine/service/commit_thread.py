"""The journal's writer thread: runs one group commit at a time, off the event loop.

``submit`` queues a commit and returns an asyncio future; the thread runs it and hands the result
back with ``loop.call_soon_threadsafe`` (the commit's duration in seconds, or the exception it
raised: ``FencedError``, ``sqlite3.Error``, a failpoint error ... — never swallowed). Commits run
in submission order. Lighter than a one-worker ``ThreadPoolExecutor`` (no concurrent future, no
chaining, no idle semaphore) on a path taken once per batch.

``close`` lets the queued commits finish, then stops and joins the thread. A future whose loop has
closed meanwhile is dropped (the process is shutting down).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[float]", tuple[Any, ...]]


def _settle(fut: asyncio.Future[float], result: float, exc: BaseException | None) -> None:
    if fut.done():  # cancelled by its waiter
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


class CommitThread:
    def __init__(self, commit: Callable[..., None], name: str = "journal-writer") -> None:
        self._commit = commit
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._closed = False

    def submit(self, *args: Any) -> asyncio.Future[float]:
        """Queue ``commit(*args)``; call from the event loop thread."""
        if self._closed:
            raise RuntimeError("commit thread closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[float] = loop.create_future()
        if not self._started:
            self._started = True
            self._thread.start()
        self._jobs.put((loop, fut, args))
        return fut

    def close(self, timeout: float = 30.0) -> None:
        """Finish the queued commits, then stop the thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._started:
            self._jobs.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        commit = self._commit
        perf = time.perf_counter
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, fut, args = job
            started = perf()
            error: BaseException | None = None
            try:
                commit(*args)
            except BaseException as exc:  # handed to the awaiting coroutine, which classifies it
                error = exc
            elapsed = perf() - started
            try:
                loop.call_soon_threadsafe(_settle, fut, elapsed, error)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass
            del job, fut, args, error
