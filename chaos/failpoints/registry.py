"""The failpoint registry: named points, their specs, and what happens when code hits one.

Thread-safe: one lock guards the table, the seeded RNG and the remaining counts; the action itself
(sleeping, blocking on a pause, exiting) runs outside the lock. A ``pause`` blocks until the point
is cleared or set to another spec; the async variant waits on an ``asyncio.Event`` woken from any
thread with ``call_soon_threadsafe``, so it never blocks its event loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from dataclasses import dataclass, field

from chaos.failpoints.spec import Action, FailpointSpec, parse_spec, validate_name

__all__ = ["CRASH_EXIT_CODE", "FailpointError", "Registry"]

CRASH_EXIT_CODE = 70
"""Exit status of a process ended by a ``crash`` failpoint (EX_SOFTWARE)."""


class FailpointError(Exception):
    """Raised by a firing ``error(CODE)`` failpoint; ``code`` is the CODE, ``name`` the point."""

    def __init__(self, code: str, name: str = "") -> None:
        super().__init__(f"failpoint {name or '?'} injected error {code}")
        self.code = code
        self.name = name


@dataclass
class _Entry:
    """One configured point. ``released`` is set when the entry is replaced or cleared."""

    spec: FailpointSpec
    text: str
    remaining: int | None
    hits: int = 0
    released: threading.Event = field(default_factory=threading.Event)
    async_waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(default_factory=list)

    def release(self) -> None:
        self.released.set()
        for loop, event in self.async_waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass
        self.async_waiters.clear()


@dataclass(frozen=True)
class _Decision:
    spec: FailpointSpec
    entry: _Entry
    delay_s: float


class Registry:
    """A table of failpoints. The module-level functions of ``chaos.failpoints`` use one instance."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._rng = random.Random(seed)

    # -- configuration -------------------------------------------------------------------------
    def seed(self, value: int | None) -> None:
        """Reseed the RNG used for probability rolls and jitter (same seed => same rolls)."""
        with self._lock:
            self._rng.seed(value)

    def set(self, name: str, spec: str) -> None:
        """Configure ``name`` with ``spec``; raises FailpointSpecError before changing anything."""
        validate_name(name)
        parsed = parse_spec(spec)
        self.set_parsed({name: parsed})

    def set_parsed(self, specs: dict[str, FailpointSpec]) -> None:
        """Install several already-validated specs at once (replacing releases paused callers)."""
        with self._lock:
            for name, parsed in specs.items():
                old = self._entries.get(name)
                self._entries[name] = _Entry(parsed, parsed.render(), parsed.count)
                if old is not None:
                    old.release()

    def clear(self, name: str | None = None) -> None:
        """Remove one point (no error if absent) or, with no name, all points."""
        with self._lock:
            if name is None:
                entries = list(self._entries.values())
                self._entries.clear()
            else:
                entry = self._entries.pop(name, None)
                entries = [entry] if entry is not None else []
            for entry in entries:
                entry.release()

    def snapshot(self) -> dict[str, str]:
        """name -> canonical spec of every configured point."""
        with self._lock:
            return {name: entry.text for name, entry in self._entries.items()}

    def hits(self) -> dict[str, int]:
        """name -> how many times the point fired since it was set."""
        with self._lock:
            return {name: entry.hits for name, entry in self._entries.items()}

    # -- evaluation ----------------------------------------------------------------------------
    def _decide(self, name: str) -> _Decision | None:
        if not self._entries:  # fast path: nothing configured (dict truthiness is atomic)
            return None
        with self._lock:
            entry = self._entries.get(name)
            if entry is None or entry.spec.action is Action.OFF or entry.remaining == 0:
                return None
            spec = entry.spec
            if spec.probability < 1.0 and self._rng.random() >= spec.probability:
                return None
            if entry.remaining is not None:
                entry.remaining -= 1
            entry.hits += 1
            delay_s = 0.0
            if spec.action is Action.DELAY:
                jitter = self._rng.uniform(-spec.jitter_ms, spec.jitter_ms) if spec.jitter_ms else 0.0
                delay_s = max(0.0, spec.delay_ms + jitter) / 1000.0
            return _Decision(spec, entry, delay_s)

    @staticmethod
    def _crash(name: str) -> None:
        os.write(2, f"failpoint {name}: crash\n".encode())
        os._exit(CRASH_EXIT_CODE)

    def hit(self, name: str) -> None:
        """Evaluate ``name`` synchronously: may sleep, raise FailpointError, block, or exit."""
        decision = self._decide(name)
        if decision is None:
            return
        action = decision.spec.action
        if action is Action.DELAY:
            time.sleep(decision.delay_s)
        elif action is Action.ERROR:
            raise FailpointError(decision.spec.code, name)
        elif action is Action.PAUSE:
            decision.entry.released.wait()
        elif action is Action.CRASH:
            self._crash(name)

    async def ahit(self, name: str) -> None:
        """Evaluate ``name`` in asyncio: delays and pauses yield to the event loop."""
        decision = self._decide(name)
        if decision is None:
            return
        action = decision.spec.action
        if action is Action.DELAY:
            await asyncio.sleep(decision.delay_s)
        elif action is Action.ERROR:
            raise FailpointError(decision.spec.code, name)
        elif action is Action.PAUSE:
            event = asyncio.Event()
            with self._lock:
                if decision.entry.released.is_set():
                    return
                decision.entry.async_waiters.append((asyncio.get_running_loop(), event))
            await event.wait()
        elif action is Action.CRASH:
            self._crash(name)
