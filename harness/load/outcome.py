"""Classify one HTTP exchange as ok / fail / info (pure; the rules of docs/dev/INTERFACES.md).

``ok`` = 2xx. ``fail`` = definitely not executed: any 4xx (domain reject, bad input, unknown,
409 NOT_LEADER) and a 503 whose ``code`` is one of NOT_EXECUTED_503. ``info`` = outcome unknown:
no answer (timeout, reset, refused mid-flight), other 5xx (502 UPSTREAM_FAILED, 500, a 503 without a
known code, e.g. injected by a proxy), and anything else. ``info`` is never counted as failed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.history import OpType

NOT_EXECUTED_503 = frozenset(
    {"OVERLOADED", "EXCESS_QUEUE_DEPTH", "ADMISSION_REFUSED", "UPSTREAM_CONNECT_FAILED"}
)


@dataclass(frozen=True)
class Outcome:
    type: OpType
    http_status: int | None
    code: str | None
    error: str | None
    body: Any


def decode_body(raw: bytes | str | None) -> Any:
    """JSON body or None (never raises)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def error_code(body: Any) -> str | None:
    if isinstance(body, Mapping):
        code = body.get("code")
        if isinstance(code, str):
            return code
    return None


def classify(http_status: int | None, body: Any = None, exception: BaseException | None = None) -> Outcome:
    """Classify a response (``http_status`` None or 0 with an ``exception`` = no answer)."""
    if exception is not None or not http_status:
        err = f"{type(exception).__name__}: {exception}" if exception is not None else "no response"
        return Outcome(OpType.INFO, None, None, err[:300], None)
    code = error_code(body)
    if 200 <= http_status < 300:
        return Outcome(OpType.OK, http_status, None, None, body)
    if 400 <= http_status < 500:
        return Outcome(OpType.FAIL, http_status, code, code or f"HTTP {http_status}", body)
    if http_status == 503 and code in NOT_EXECUTED_503:
        return Outcome(OpType.FAIL, http_status, code, code, body)
    return Outcome(OpType.INFO, http_status, code, code or f"HTTP {http_status}", body)
