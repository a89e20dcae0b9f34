"""Admin routes under /admin: failpoints, trading mode, index price, insurance fund, promote, snapshot.

Loopback clients only unless a token is configured; with a token every admin request needs
``Authorization: Bearer <token>`` (compared in constant time).
"""

from __future__ import annotations

import hmac

from chaos import failpoints
from target_engine.domain import DomainError, IndexTick, SetTradingMode, TradingMode, units
from target_engine.domain.commands import FundInsurance
from target_engine.journal import JournalError, LeaseHeldError
from target_engine.service.asgi import Request, Response, Router
from target_engine.service.errors import ApiError, not_leader
from target_engine.service.leadership import Leadership
from target_engine.service.node import Node, now_ms
from target_engine.service.requests import check_symbol
from target_engine.service.sequencer import Sequencer

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class AdminApi:
    def __init__(self, node: Node, sequencer: Sequencer, leadership: Leadership) -> None:
        self.node = node
        self.seq = sequencer
        self.leadership = leadership

    def register(self, r: Router) -> None:
        r.add("GET", "/admin/failpoints", self.list_failpoints)
        r.add("PUT", "/admin/failpoints/{name}", self.set_failpoint)
        r.add("DELETE", "/admin/failpoints/{name}", self.clear_failpoint)
        r.add("DELETE", "/admin/failpoints", self.clear_all)
        r.add("PUT", "/admin/trading-mode", self.trading_mode)
        r.add("PUT", "/admin/index-price", self.index_price)
        r.add("POST", "/admin/insurance-fund", self.fund_insurance)
        r.add("POST", "/admin/promote", self.promote)
        r.add("POST", "/admin/snapshot", self.snapshot)

    def _auth(self, req: Request) -> None:
        token = self.node.opts.admin_token
        if token:
            got = req.headers.get("authorization", "")
            if not hmac.compare_digest(got.encode(), f"Bearer {token}".encode()):
                raise ApiError("UNAUTHORIZED", "admin token required")
        elif req.client_host not in LOOPBACK:
            raise ApiError("FORBIDDEN", "admin API is loopback-only without a token")

    async def list_failpoints(self, req: Request) -> Response:
        self._auth(req)
        return Response(200, {"failpoints": failpoints.snapshot()})

    async def set_failpoint(self, req: Request) -> Response:
        self._auth(req)
        body = req.json()
        if set(body) != {"spec"} or not isinstance(body["spec"], str):
            raise ApiError("INVALID_FIELD", 'body must be {"spec": "<failpoint spec>"}')
        try:
            failpoints.set(req.params["name"], body["spec"])
        except failpoints.FailpointSpecError as exc:
            raise ApiError("INVALID_FAILPOINT", str(exc), status=400) from None
        return Response(200, {"failpoints": failpoints.snapshot()})

    async def clear_failpoint(self, req: Request) -> Response:
        self._auth(req)
        failpoints.clear(req.params["name"])
        return Response(200, {"failpoints": failpoints.snapshot()})

    async def clear_all(self, req: Request) -> Response:
        self._auth(req)
        failpoints.clear()
        return Response(200, {"failpoints": failpoints.snapshot()})

    async def trading_mode(self, req: Request) -> Response:
        self._auth(req)
        body = req.json()
        unknown = set(body) - {"mode", "reason"}
        if unknown or not isinstance(body.get("mode"), str) or not isinstance(body.get("reason", ""), str):
            raise ApiError("INVALID_FIELD", 'body must be {"mode": "...", "reason": "..."}')
        try:
            mode = TradingMode(body["mode"])
        except ValueError:
            raise ApiError("INVALID_FIELD", "mode must be one of "
                           + "|".join(m.value for m in TradingMode)) from None
        if not self.node.is_leader:
            raise not_leader(self.node.leader_color)
        await self.seq.submit(SetTradingMode(mode=mode, reason=body.get("reason", "")[:200]), internal=True)
        if mode is not TradingMode.HALTED:
            self.node.excess_halted = False
        return Response(200, {"mode": self.node.engine_mode(), "seq": self.node.applied_seq})

    async def index_price(self, req: Request) -> Response:
        """Journal one index tick by hand (tests, demos, a feed-less stack); counts as a fresh price."""
        self._auth(req)
        body = req.json()
        if set(body) != {"symbol", "price"}:
            raise ApiError("INVALID_FIELD", 'body must be {"symbol": "...", "price": "..."}')
        symbol = check_symbol(self.node.config, body["symbol"])
        try:
            price = units.parse_price(self.node.config.instruments[symbol], body["price"])
        except DomainError as exc:
            raise ApiError(exc.code, exc.message, status=400) from None
        if not self.node.is_leader:
            raise not_leader(self.node.leader_color)
        self.node.index.last_tick_ms[symbol] = now_ms()
        await self.seq.submit(IndexTick(symbol=symbol, price=price))
        view = self.node.engine.market_view(symbol) or {}
        return Response(200, {"symbol": symbol, "seq": self.node.applied_seq, **view})

    async def fund_insurance(self, req: Request) -> Response:
        """Inject money into the insurance fund (journaled FundInsurance; OKEx 2018's risk-reserve
        injection, or seeding a fund on a running venue). Body ``{"asset", "amount"}``, amount > 0."""
        self._auth(req)
        body = req.json()
        if set(body) != {"asset", "amount"}:
            raise ApiError("INVALID_FIELD", 'body must be {"asset": "...", "amount": "..."}')
        asset = body["asset"]
        if not isinstance(asset, str) or asset not in self.node.config.assets:
            raise ApiError("UNKNOWN_ASSET", f"asset must be one of {'|'.join(self.node.config.assets)}",
                           status=400)
        try:
            amount = units.parse_amount(body["amount"])
        except DomainError as exc:
            raise ApiError(exc.code, exc.message, status=400) from None
        if not self.node.is_leader:
            raise not_leader(self.node.leader_color)
        await self.seq.submit(FundInsurance(asset=asset, amount=amount))
        balance = self.node.engine.insurance_fund(asset)
        return Response(200, {"asset": asset, "balance": units.format_money(balance),
                              "seq": self.node.applied_seq})

    async def promote(self, req: Request) -> Response:
        self._auth(req)
        if not self.node.is_leader:
            try:
                self.leadership.promote(force=True)
            except (LeaseHeldError, JournalError) as exc:
                raise ApiError("PROMOTION_FAILED", str(exc)) from None
        node = self.node
        return Response(200, {"role": node.role.value, "epoch": node.epoch, "seq": node.applied_seq})

    async def snapshot(self, req: Request) -> Response:
        self._auth(req)
        if not self.node.is_leader:
            raise not_leader(self.node.leader_color)
        return Response(200, await self.seq.snapshot())
