"""Exception hierarchy of chaos.toxiproxy (client and server share it).

Every error carries the HTTP ``status`` Toxiproxy would answer with and a one-line ``message``.
The server renders them as Toxiproxy's ``{"error": message, "status": status}``; the client raises
the subclass matching the status it received.
"""

from __future__ import annotations


class ToxiproxyError(Exception):
    """Base class: ``status`` (HTTP code, 0 when no answer arrived) and ``message``."""

    status: int = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return f"{self.message} (status {self.status})" if self.status else self.message

    def as_body(self) -> dict[str, object]:
        """Toxiproxy's error body."""
        return {"error": self.message, "status": self.status}


class BadRequestError(ToxiproxyError):
    """400: malformed body, missing field, invalid stream/type/attribute."""

    status = 400


class ValidationError(BadRequestError):
    """400 raised locally (by the client before sending, or by the server's schema check)."""


class NotFoundError(ToxiproxyError):
    """404: proxy or toxic not found."""

    status = 404


class ConflictError(ToxiproxyError):
    """409: proxy or toxic already exists."""

    status = 409


class ServerError(ToxiproxyError):
    """500 (e.g. the listen address could not be bound) or any unexpected status."""

    status = 500


class ConnectionFailedError(ToxiproxyError):
    """The API could not be reached or did not answer in time (status 0)."""

    status = 0


def error_for_status(status: int, message: str) -> ToxiproxyError:
    """The exception class matching an HTTP status."""
    cls: type[ToxiproxyError] = {
        400: BadRequestError,
        404: NotFoundError,
        409: ConflictError,
    }.get(status, ServerError)
    return cls(message, status)


def bad_body(reason: str) -> BadRequestError:
    """Toxiproxy's ``bad request body: <reason>``."""
    return BadRequestError(f"bad request body: {reason}")


def missing_field(field: str) -> BadRequestError:
    """Toxiproxy's ``missing required field: <field>``."""
    return BadRequestError(f"missing required field: {field}")


PROXY_NOT_FOUND = "proxy not found"
PROXY_EXISTS = "proxy already exists"
TOXIC_NOT_FOUND = "toxic not found"
TOXIC_EXISTS = "toxic already exists"
INVALID_STREAM = "stream was invalid, can be either upstream or downstream"
INVALID_TOXIC_TYPE = "invalid toxic type"
