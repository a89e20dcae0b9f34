"""Service errors: one exception type carrying an HTTP status and a stable code (one table)."""

from __future__ import annotations

# code -> HTTP status; the one mapping table for service-level errors.
STATUS_BY_CODE: dict[str, int] = {
    "BAD_REQUEST": 400,
    "MALFORMED_JSON": 400,
    "INVALID_FIELD": 400,
    "UNKNOWN_FIELD": 400,
    "MISSING_FIELD": 400,
    "INVALID_ID": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "UNKNOWN_ORDER": 404,
    "UNKNOWN_ACCOUNT": 404,
    "UNKNOWN_SYMBOL": 404,
    "METHOD_NOT_ALLOWED": 405,
    "NOT_LEADER": 409,
    "PROMOTION_FAILED": 409,
    "BODY_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "OVERLOADED": 503,
    "EXCESS_QUEUE_DEPTH": 503,
    "JOURNAL_UNAVAILABLE": 503,
    "SHUTTING_DOWN": 503,
    "FAILPOINT": 503,
    "INTERNAL": 500,
}


class ApiError(Exception):
    """An HTTP error answer ``{"code", "message", **extra}`` with optional headers."""

    def __init__(self, code: str, message: str, *, status: int | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, object] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else STATUS_BY_CODE.get(code, 400)
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, **self.extra}


def not_leader(leader_color: str | None) -> ApiError:
    return ApiError("NOT_LEADER", "this engine is not the leader", extra={"leader_color": leader_color})


def overloaded() -> ApiError:
    return ApiError("OVERLOADED", "inbound queue full; not executed", headers={"Retry-After": "1"})
