"""The OpenAPI 3.0 document of the engine API (served at /openapi.json, used by the fuzz tests)."""

from __future__ import annotations

from typing import Any

DEC = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
ID = {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,64}$"}
ERROR = {"type": "object", "required": ["code", "message"],
         "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}

ORDER_BODY = {
    "type": "object", "additionalProperties": False,
    "required": ["account", "symbol", "side", "type", "qty", "client_order_id"],
    "properties": {
        "account": ID, "client_order_id": ID, "symbol": {"type": "string"},
        "side": {"type": "string", "enum": ["BUY", "SELL"]},
        "type": {"type": "string", "enum": ["LIMIT", "MARKET"]},
        "qty": DEC, "price": DEC,
        "time_in_force": {"type": "string", "enum": ["GTC", "IOC", "FOK"]},
        "post_only": {"type": "boolean"}, "reduce_only": {"type": "boolean"},
    },
}
TRANSFER_BODY = {"type": "object", "additionalProperties": False, "required": ["asset", "amount"],
                 "properties": {"asset": {"type": "string"}, "amount": DEC}}
LEVERAGE_BODY = {"type": "object", "additionalProperties": False, "required": ["symbol", "leverage"],
                 "properties": {"symbol": {"type": "string"}, "leverage": {"type": "integer"}}}
MARGIN_TYPE_BODY = {"type": "object", "additionalProperties": False, "required": ["symbol", "margin_type"],
                    "properties": {"symbol": {"type": "string"},
                                   "margin_type": {"type": "string", "enum": ["cross", "isolated"]}}}
ISOLATED_BODY = {"type": "object", "additionalProperties": False, "required": ["symbol", "amount"],
                 "properties": {"symbol": {"type": "string"}, "amount": DEC}}
MODE_BODY = {"type": "object", "additionalProperties": False, "required": ["mode"],
             "properties": {"mode": {"type": "string", "enum": ["normal", "cancel_only", "post_only",
                                                                  "reduce_only", "halted"]},
                            "reason": {"type": "string"}}}
INDEX_BODY = {"type": "object", "additionalProperties": False, "required": ["symbol", "price"],
              "properties": {"symbol": {"type": "string"}, "price": DEC}}
SPEC_BODY = {"type": "object", "additionalProperties": False, "required": ["spec"],
             "properties": {"spec": {"type": "string"}}}

ACCOUNT_Q = {"name": "account", "in": "query", "required": True, "schema": ID}
HASH_Q = {"name": "hash", "in": "query", "required": False,
          "description": "false: leave state_hash out (null) and compute nothing. With the hash, seq is the "
                         "seq of the state it describes; a forked child computes it (seconds on a large "
                         "state), so pollers that only need seq, role or mode should say false",
          "schema": {"type": "string", "enum": ["true", "false"], "default": "true"}}

# (method, path, summary, path params, query params, body schema)
OPERATIONS: list[tuple[str, str, str, list[str], list[dict[str, Any]], dict[str, Any] | None]] = [
    ("post", "/v1/orders", "Place an order", [], [], ORDER_BODY),
    ("get", "/v1/orders/{client_order_id}", "Get an order", ["client_order_id"], [ACCOUNT_Q], None),
    ("delete", "/v1/orders/{client_order_id}", "Cancel an order", ["client_order_id"], [ACCOUNT_Q], None),
    ("get", "/v1/openOrders", "Open orders of an account", [], [ACCOUNT_Q], None),
    ("get", "/v1/fills", "Fills of an account", [], [ACCOUNT_Q], None),
    ("get", "/v1/accounts/{account}", "Wallets, positions, margin", ["account"], [], None),
    ("post", "/v1/accounts/{account}/deposits", "Deposit", ["account"], [], TRANSFER_BODY),
    ("post", "/v1/accounts/{account}/withdrawals", "Withdraw", ["account"], [], TRANSFER_BODY),
    ("post", "/v1/accounts/{account}/leverage", "Set leverage", ["account"], [], LEVERAGE_BODY),
    ("post", "/v1/accounts/{account}/margin-type", "Set margin type", ["account"], [], MARGIN_TYPE_BODY),
    ("post", "/v1/accounts/{account}/isolated-margin", "Add/remove isolated margin", ["account"], [],
     ISOLATED_BODY),
    ("get", "/v1/markets/{symbol}", "Book top, mark, index, funding", ["symbol"], [], None),
    ("get", "/v1/markets/{symbol}/funding", "Funding history", ["symbol"], [], None),
    ("get", "/v1/state", "Seq, epoch, role, color, trading mode, state hash", [], [HASH_Q], None),
    ("get", "/healthz", "Alive", [], [], None),
    ("get", "/readyz", "Ready", [], [], None),
    ("get", "/metrics", "Prometheus metrics", [], [], None),
    ("get", "/admin/failpoints", "List failpoints", [], [], None),
    ("put", "/admin/failpoints/{name}", "Set a failpoint", ["name"], [], SPEC_BODY),
    ("delete", "/admin/failpoints/{name}", "Clear a failpoint", ["name"], [], None),
    ("delete", "/admin/failpoints", "Clear all failpoints", [], [], None),
    ("put", "/admin/trading-mode", "Set the trading mode (journaled)", [], [], MODE_BODY),
    ("put", "/admin/index-price", "Journal an index price tick by hand", [], [], INDEX_BODY),
    ("post", "/admin/insurance-fund", "Inject into the insurance fund (journaled)", [], [], TRANSFER_BODY),
    ("post", "/admin/promote", "Promote this engine to leader (new epoch)", [], [], None),
    ("post", "/admin/snapshot", "Write a snapshot", [], [], None),
]


def document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, pparams, qparams, body in OPERATIONS:
        op: dict[str, Any] = {
            "summary": summary,
            "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                           for p in pparams] + qparams,
            "responses": {
                "200": {"description": "ok"},
                "default": {"description": "error", "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.0.3", "info": {"title": "margin-engine", "version": "1"}, "paths": paths}
