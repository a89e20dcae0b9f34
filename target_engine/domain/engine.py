"""The engine facade: ``Engine(config).apply(cmd) -> list[Event]`` plus read-only queries.

Interface (stable; the service builds on it):

* ``apply(cmd)`` never raises for business rejects (returns ``OrderRejected`` with a stable code);
  it raises ``ProgrammerError`` only for misuse (an object that is not a command).
* ``state_hash()`` sha256 hex of the canonical snapshot; ``snapshot()`` JSON-safe dict;
  ``Engine.restore(config, snapshot)``.
* Queries (JSON-safe dicts, decimals as strings, ``None`` when unknown): ``order``, ``open_orders``,
  ``fills``, ``account_view``, ``market_view``, ``funding_history``, ``insurance_fund``,
  ``trading_mode``, ``seq``, ``now_ms``.
* Margin worker: ``needs_liquidation(account)``, ``accounts_to_liquidate(symbol=None)``,
  ``accounts_touched(events)``; submit ``Liquidate`` commands when ``config.auto_liquidate`` is False.
"""

from __future__ import annotations

from typing import Any

from .commands import Command
from .enums import TradingMode
from .events import Event
from .events import accounts_touched as _accounts_touched
from .instruments import EngineConfig


class Engine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        raise NotImplementedError

    def apply(self, cmd: Command) -> list[Event]:
        raise NotImplementedError

    @staticmethod
    def accounts_touched(events: list[Event]) -> set[str]:
        return _accounts_touched(events)

    def needs_liquidation(self, account: str) -> bool:
        raise NotImplementedError

    def accounts_to_liquidate(self, symbol: str | None = None) -> list[str]:
        raise NotImplementedError

    def state_hash(self) -> str:
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def restore(cls, config: EngineConfig, snapshot: dict[str, Any]) -> Engine:
        raise NotImplementedError

    @property
    def trading_mode(self) -> TradingMode:
        raise NotImplementedError

    @property
    def seq(self) -> int:
        raise NotImplementedError

    def order(self, account: str, client_order_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def open_orders(self, account: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def fills(self, account: str, limit: int = 100) -> list[dict[str, Any]]:
        raise NotImplementedError

    def account_view(self, account: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def market_view(self, symbol: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def funding_history(self, symbol: str, limit: int = 100) -> list[dict[str, Any]]:
        raise NotImplementedError

    def insurance_fund(self, asset: str) -> int:
        raise NotImplementedError
