"""HTTP route handlers for the public API (routes pinned in docs/dev/INTERFACES.md)."""

from __future__ import annotations

from typing import Any

from target_engine.domain import Command, Event, OrderRejected
from target_engine.service import requests as rq
from target_engine.service.asgi import Request, Response, Router
from target_engine.service.errors import ApiError, not_leader
from target_engine.service.leadership import Leadership
from target_engine.service.metrics import CONTENT_TYPE
from target_engine.service.node import Node, now_ms
from target_engine.service.risk import is_risk_increasing
from target_engine.service.sequencer import Sequencer
from target_engine.service.state_hasher import StateHasher

NOT_FOUND_CODES = {"UNKNOWN_ORDER", "UNKNOWN_ACCOUNT"}


def excess_queue_depth(retry: bool) -> ApiError:
    headers = {"Retry-After": "1"} if retry else {}
    return ApiError("EXCESS_QUEUE_DEPTH", "margin queue over its depth limit; not executed", headers=headers)


class PublicApi:
    def __init__(self, node: Node, sequencer: Sequencer, leadership: Leadership, hasher: StateHasher) -> None:
        self.node = node
        self.seq = sequencer
        self.leadership = leadership
        self.hasher = hasher

    def register(self, r: Router) -> None:
        r.add("POST", "/v1/orders", self.place)
        r.add("GET", "/v1/orders/{client_order_id}", self.get_order)
        r.add("DELETE", "/v1/orders/{client_order_id}", self.cancel)
        r.add("GET", "/v1/openOrders", self.open_orders)
        r.add("GET", "/v1/fills", self.fills)
        r.add("GET", "/v1/accounts/{account}", self.account)
        r.add("POST", "/v1/accounts/{account}/deposits", self.deposit)
        r.add("POST", "/v1/accounts/{account}/withdrawals", self.withdraw)
        r.add("POST", "/v1/accounts/{account}/leverage", self.leverage)
        r.add("POST", "/v1/accounts/{account}/margin-type", self.margin_type)
        r.add("POST", "/v1/accounts/{account}/isolated-margin", self.isolated_margin)
        r.add("GET", "/v1/markets/{symbol}", self.market)
        r.add("GET", "/v1/markets/{symbol}/funding", self.funding)
        r.add("GET", "/v1/state", self.state)
        r.add("GET", "/healthz", self.healthz)
        r.add("GET", "/readyz", self.readyz)
        r.add("GET", "/metrics", self.metrics)

    # ------------------------------------------------------------------ helpers
    async def _execute(self, cmd: Command) -> list[Event]:
        if not self.node.is_leader:
            raise not_leader(self.node.leader_color)
        return await self.seq.submit(cmd)

    @staticmethod
    def _reject(events: list[Event]) -> None:
        for ev in events:
            if isinstance(ev, OrderRejected):
                status = 404 if ev.code in NOT_FOUND_CODES else 400
                raise ApiError(ev.code, ev.reason, status=status)

    # ------------------------------------------------------------------ orders
    async def place(self, req: Request) -> Response:
        cmd = rq.place_order(self.node.config, rq.parse_body(req.body))
        node = self.node
        if node.is_leader and node.excess_halted:
            raise excess_queue_depth(retry=False)
        if node.is_leader and node.shedding and is_risk_increasing(node.engine, cmd):
            raise excess_queue_depth(retry=True)
        events = await self._execute(cmd)
        self._reject(events)
        view = node.engine.order(cmd.account, cmd.client_order_id) or {}
        return Response(200, view)

    async def get_order(self, req: Request) -> Response:
        account = rq.check_id(req.query_one("account"), "account")
        coid = rq.check_id(req.params["client_order_id"], "client_order_id")
        view = self.node.engine.order(account, coid)
        if view is None:
            raise ApiError("UNKNOWN_ORDER", "no such order", status=404)
        return Response(200, view)

    async def cancel(self, req: Request) -> Response:
        cmd = rq.cancel_order(req.query_one("account"), req.params["client_order_id"])
        if self.node.is_leader and self.node.excess_halted:
            raise excess_queue_depth(retry=False)
        events = await self._execute(cmd)
        self._reject(events)
        view = self.node.engine.order(cmd.account, cmd.client_order_id) or {}
        return Response(200, view)

    async def open_orders(self, req: Request) -> Response:
        account = rq.check_id(req.query_one("account"), "account")
        return Response(200, {"account": account, "orders": self.node.engine.open_orders(account)})

    async def fills(self, req: Request) -> Response:
        account = rq.check_id(req.query_one("account"), "account")
        limit_text = req.query_one("limit", required=False) or "100"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
            raise ApiError("INVALID_FIELD", "limit must be an integer 1..1000")
        return Response(200, {"account": account, "fills": self.node.engine.fills(account, int(limit_text))})

    # ------------------------------------------------------------------ accounts
    async def account(self, req: Request) -> Response:
        account = rq.check_id(req.params["account"], "account")
        view = self.node.engine.account_view(account)
        if view is None:
            raise ApiError("UNKNOWN_ACCOUNT", "no such account", status=404)
        return Response(200, view)

    async def _account_command(self, cmd: Command, account: str) -> Response:
        events = await self._execute(cmd)
        self._reject(events)
        return Response(200, self.node.engine.account_view(account) or {})

    async def deposit(self, req: Request) -> Response:
        cmd = rq.transfer(self.node.config, req.params["account"], rq.parse_body(req.body), withdraw=False)
        return await self._account_command(cmd, cmd.account)

    async def withdraw(self, req: Request) -> Response:
        cmd = rq.transfer(self.node.config, req.params["account"], rq.parse_body(req.body), withdraw=True)
        return await self._account_command(cmd, cmd.account)

    async def leverage(self, req: Request) -> Response:
        cmd = rq.leverage(self.node.config, req.params["account"], rq.parse_body(req.body))
        return await self._account_command(cmd, cmd.account)

    async def margin_type(self, req: Request) -> Response:
        cmd = rq.margin_type(self.node.config, req.params["account"], rq.parse_body(req.body))
        return await self._account_command(cmd, cmd.account)

    async def isolated_margin(self, req: Request) -> Response:
        cmd = rq.isolated_margin(self.node.config, req.params["account"], rq.parse_body(req.body))
        return await self._account_command(cmd, cmd.account)

    # ------------------------------------------------------------------ markets
    def _symbol(self, req: Request) -> str:
        symbol = req.params["symbol"]
        if symbol not in self.node.config.instruments:
            raise ApiError("UNKNOWN_SYMBOL", f"unknown symbol {symbol[:40]}", status=404)
        return symbol

    async def market(self, req: Request) -> Response:
        symbol = self._symbol(req)
        view = dict(self.node.engine.market_view(symbol) or {})
        view["index_stale"] = self.node.index.stale(symbol, now_ms(), self.node.config.index_stale_ms)
        return Response(200, view)

    async def funding(self, req: Request) -> Response:
        symbol = self._symbol(req)
        return Response(200, {"symbol": symbol, "history": self.node.engine.funding_history(symbol, 100)})

    # ------------------------------------------------------------------ state and health
    async def state_body(self, with_hash: bool = True) -> dict[str, Any]:
        """With the hash, ``seq`` is the seq of the state the hash describes (see ``state_hasher``)."""
        node = self.node
        seq, digest = await self.hasher.current() if with_hash else (node.applied_seq, None)
        return {
            "seq": seq, "epoch": node.epoch, "role": node.role.value, "color": node.opts.color,
            "trading_mode": node.engine_mode(), "state_hash": digest,
            "leader_color": node.leader_color, "overflow_policy": node.opts.overflow_policy.value,
            "margin_queue_depth": len(node.margin_queue), "margin_queue_limit": node.opts.margin_queue_limit,
            "excess_halted": node.excess_halted, "shedding": node.shedding,
            "inbound_queue_depth": len(self.seq.queue), "index_stale": node.index_stale(),
            "stale_symbols": node.stale_symbols(),
        }

    async def state(self, req: Request) -> Response:
        wanted = req.query_one("hash", required=False)
        if wanted not in (None, "true", "false"):
            raise ApiError("INVALID_FIELD", "query parameter 'hash' must be true or false")
        return Response(200, await self.state_body(with_hash=wanted != "false"))

    async def healthz(self, req: Request) -> Response:
        return Response(200, {"status": "ok", "color": self.node.opts.color, "role": self.node.role.value})

    async def readyz(self, req: Request) -> Response:
        node = self.node
        if self.leadership.corrupt:
            raise ApiError("NOT_READY", f"journal corrupt: {self.leadership.corrupt}", status=503)
        # leader: a batch in flight (applied, commit pending) is not "behind" -- the leader is the journal
        ok = not node.stopping if node.is_leader else self.leadership.lag() <= node.opts.standby_lag_budget
        if not ok:
            raise ApiError("NOT_READY", "not caught up with the journal", status=503)
        return Response(200, {"status": "ready", "role": node.role.value, "seq": node.applied_seq})

    async def metrics(self, req: Request) -> Response:
        node = self.node
        now = now_ms()
        for symbol in node.config.instruments:
            last = node.index.last_tick_ms.get(symbol)
            if last is not None:
                node.metrics.index_age.labels(node.opts.color, symbol).set((now - last) / 1000.0)
            node.metrics.index_stale.labels(node.opts.color, symbol).set(
                1 if node.index.stale(symbol, now, node.config.index_stale_ms) else 0)
        node.metrics.margin_depth.set(len(node.margin_queue))
        node.metrics.inbound_depth.set(len(self.seq.queue))
        return Response(200, None, raw=await node.metrics.render_cached(), content_type=CONTENT_TYPE)
