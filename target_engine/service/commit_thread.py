"""The journal's writer thread: runs journal writes (group commits, snapshots) one at a time, in
submission order, off the event loop.

``submit(fn, *args)`` queues a call and returns an asyncio future; the thread runs it and hands the
result back with ``loop.call_soon_threadsafe`` (``fn``'s return value, or the exception it raised:
``FencedError``, ``sqlite3.Error``, a failpoint error ... — never swallowed). Lighter than a
one-worker ``ThreadPoolExecutor`` (no concurrent future, no chaining, no idle semaphore) on a
path taken once per batch.

``close`` lets the queued commits finish, then stops and joins the thread. A future whose loop has
closed meanwhile is dropped (the process is shutting down).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


def _settle(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():  # cancelled by its waiter
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


class CommitThread:
    def __init__(self, name: str = "journal-writer") -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Queue ``fn(*args)``; call from the event loop thread."""
        if self._closed:
            raise RuntimeError("commit thread closed")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        if not self._started:
            self._started = True
            self._thread.start()
        self._jobs.put((loop, fut, fn, args))
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
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, fut, fn, args = job
            result: Any = None
            error: BaseException | None = None
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine, which classifies it
                error = exc
            try:
                loop.call_soon_threadsafe(_settle, fut, result, error)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass
            del job, fut, fn, args, result, error
