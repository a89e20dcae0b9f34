"""Locustfile: drive the margin engine API (through the gateway) and record every operation.

Run only as a subprocess (``harness.load.runner`` builds the command line): importing locust
monkey-patches the interpreter. Configuration comes from the JSON file named by
``GAMEDAY_LOAD_CONFIG`` (see :mod:`harness.load.config`); ``GAMEDAY_LOAD_WORKER`` overrides the
worker index (the runner sets it for ``--workers`` mode; otherwise Locust's worker index is used).

Per Locust process (not the master), written under ``config.out_dir``:
* ``history-<worker>.jsonl``: every operation as invoke then ok/fail/info (harness.history format);
* ``exporters/<pid>.url``: the URL of a Prometheus exporter (port 0, 127.0.0.1) publishing
  ``loadgen_requests_total{op,outcome}``, ``loadgen_request_duration_seconds{op}``, ``loadgen_users``.

Timeouts and connection errors are ``info`` (outcome unknown), never ``fail``. The task sequence of
each user is deterministic from the seed and (worker, user) index (:class:`harness.load.plan.UserPlan`).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, between, constant, events, task
from locust.env import Environment
from locust.runners import MasterRunner
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from harness.history import ClientOp, HistoryWriter, Op, OpType
from harness.load.config import WORKER_ENV, LoadConfig, load_config_from_env
from harness.load.outcome import Outcome, classify, decode_body
from harness.load.plan import OrderRequest, UserPlan, parse_mark

CONFIG: LoadConfig = load_config_from_env()
MAX_BODY_IN_HISTORY = 4096


class _ProcessState:
    """Per-process resources: history writer (opened lazily, once the worker index is known),
    the exporter's metrics and server, and the user counter. Closed on Locust's ``quitting`` event."""

    def __init__(self) -> None:
        self.environment: Environment | None = None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "loadgen_requests_total", "Client operations by outcome", ["op", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "loadgen_request_duration_seconds", "Client operation latency", ["op"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.users = Gauge("loadgen_users", "Running simulated users", registry=self.registry)
        self.server: Any = None
        self.history: HistoryWriter | None = None
        self.worker = -1
        self.next_user = 0

    def worker_index(self) -> int:
        if self.worker < 0:
            forced = os.environ.get(WORKER_ENV)
            runner = self.environment.runner if self.environment else None
            self.worker = int(forced) if forced else max(0, int(getattr(runner, "worker_index", 0)))
        return self.worker

    def writer(self) -> HistoryWriter:
        if self.history is None:
            worker = self.worker_index()
            path = Path(CONFIG.out_dir) / f"history-{worker}.jsonl"
            self.history = HistoryWriter(path, proc=f"w{worker}")
        return self.history

    def start_exporter(self) -> None:
        server, _thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        self.server = server
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        folder = Path(CONFIG.out_dir) / "exporters"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{os.getpid()}.tmp"
        tmp.write_text(url + "\n", encoding="utf-8")
        tmp.replace(folder / f"{os.getpid()}.url")

    def close(self) -> None:
        if self.history is not None:
            self.history.close()
        if self.server is not None:
            self.server.shutdown()
            self.server = None


STATE = _ProcessState()


def _on_init(environment: Environment, **_kw: Any) -> None:
    STATE.environment = environment
    if not isinstance(environment.runner, MasterRunner):
        STATE.start_exporter()


def _on_quitting(**_kw: Any) -> None:
    STATE.close()


events.init.add_listener(_on_init)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_on_quitting)  # type: ignore[no-untyped-call]


def _history_value(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {}
    if len(json.dumps(body, default=str)) > MAX_BODY_IN_HISTORY:
        return {"truncated": True}
    return body


class EngineUser(FastHttpUser):
    """One trader: place / cancel / query / deposit in the configured mix, prices near the mark."""

    network_timeout = CONFIG.timeout_seconds
    connection_timeout = CONFIG.timeout_seconds
    max_retries = 0
    wait_time = between(CONFIG.wait_min, CONFIG.wait_max) if CONFIG.wait_max > 0 else constant(0)

    def on_start(self) -> None:
        STATE.next_user += 1
        self.plan = UserPlan(CONFIG, STATE.worker_index(), STATE.next_user)
        self.proc = self.plan.proc
        STATE.users.inc()

    def on_stop(self) -> None:
        STATE.users.dec()

    def _call(
        self, op: str, method: str, path: str, *, name: str, account: str | None = None,
        client_order_id: str | None = None, symbol: str | None = None,
        value: dict[str, Any] | None = None, body: dict[str, Any] | None = None,
    ) -> Outcome:
        """One operation: invoke record, the request, its classified completion record, metrics."""
        hist = STATE.writer()
        common: dict[str, Any] = {"account": account, "client_order_id": client_order_id, "symbol": symbol}
        _write(hist, self.proc, OpType.INVOKE, op, value=value or {}, **common)
        started = time.perf_counter()
        outcome: Outcome | None = None
        try:
            with self.client.request(method, path, json=body, name=name, catch_response=True) as resp:
                # A real answer has a status (its .error is then only Locust's bad-status note);
                # no answer (timeout, reset, refused) is an ErrorResponse with status 0.
                status = int(resp.status_code or 0)
                error: BaseException | None = None if status else getattr(resp, "error", None)
                raw: bytes | None = None
                if status:
                    try:
                        raw = resp.content
                    except Exception as exc:  # connection dropped while reading the body
                        status, error = 0, exc
                if not status and error is None:
                    error = ConnectionError("no answer")
                outcome = classify(status or None, decode_body(raw), error)
                if outcome.type is OpType.OK:
                    resp.success()
                else:
                    resp.failure(f"{outcome.type.value}: {outcome.error}")
        finally:
            if outcome is None:  # the user was stopped (GreenletExit) with the request in flight
                _write(hist, self.proc, OpType.INFO, op, error="interrupted: load stopped", **common)
        elapsed = time.perf_counter() - started
        _write(
            hist, self.proc, outcome.type, op, value=_history_value(outcome.body),
            http_status=outcome.http_status, error=outcome.error, **common,
        )
        STATE.requests.labels(op, outcome.type.value).inc()
        STATE.duration.labels(op).observe(elapsed)
        return outcome

    @task
    def step(self) -> None:
        """Pick the next operation from the user's seeded plan (Locust's own picker is not seeded)."""
        op = self.plan.next_op()
        if op == "place":
            self.place()
        elif op == "cancel":
            self.cancel()
        elif op == "query":
            self.query()
        else:
            self.deposit()

    def refresh_mark(self, symbol: str) -> None:
        out = self._call("query", "GET", f"/v1/markets/{symbol}", name="market", symbol=symbol,
                         value={"target": "market"})
        if out.type is OpType.OK:
            self.plan.set_mark(symbol, parse_mark(out.body))

    def place(self) -> None:
        inst = self.plan.instrument()
        if self.plan.wants_mark_refresh(inst.symbol):
            self.refresh_mark(inst.symbol)
        order: OrderRequest = self.plan.new_order(inst)
        out = self._call(
            "place", "POST", "/v1/orders", name="place", account=order.account,
            client_order_id=order.client_order_id, symbol=order.symbol, value=order.body(), body=order.body(),
        )
        if out.type is OpType.OK and order.time_in_force == "GTC":
            self.plan.remember(order)

    def cancel(self) -> None:
        target = self.plan.take_cancel_target()
        if target is None:
            self.query()
            return
        self._call(
            "cancel", "DELETE", f"/v1/orders/{target.client_order_id}?account={target.account}",
            name="cancel",
            account=target.account, client_order_id=target.client_order_id, symbol=target.symbol,
        )

    def query(self) -> None:
        target = self.plan.query_target()
        if target is not None:
            self._call(
                "query", "GET", f"/v1/orders/{target.client_order_id}?account={target.account}",
                name="query-order", account=target.account, client_order_id=target.client_order_id,
                symbol=target.symbol, value={"target": "order"},
            )
            return
        account = self.plan.account()
        self._call("query", "GET", f"/v1/accounts/{account}", name="query-account", account=account,
                   value={"target": "account"})

    def deposit(self) -> None:
        account = self.plan.account()
        body = {"asset": CONFIG.settlement_asset, "amount": str(CONFIG.topup_amount)}
        self._call("deposit", "POST", f"/v1/accounts/{account}/deposits", name="deposit", account=account,
                   value=body, body=body)


def _write(hist: HistoryWriter, proc: str, type_: OpType, op: str, **fields: Any) -> None:
    """Write one record with this user's ``proc`` (the writer's own proc names the process)."""
    hist.write(ClientOp(t=time.time(), proc=proc, type=type_, op=Op(op), **fields))


if CONFIG.steps:

    class SteppedShape(LoadTestShape):
        """Stepped load and spikes: hold each configured step's users for its duration, then stop."""

        def tick(self) -> tuple[int, float] | None:
            elapsed = time.perf_counter() - self.start_time
            end = 0.0
            for step in CONFIG.steps:
                end += step.duration
                if elapsed < end:
                    return step.users, step.spawn_rate
            return None
