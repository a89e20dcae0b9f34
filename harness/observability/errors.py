"""One exception type for the observability package, with stable codes.

Codes: BAD_TARGET, BAD_INTERVAL, RULES_NOT_FOUND (configuration, raised before anything starts);
PROMETHEUS_NOT_FOUND (no binary), PROMETHEUS_START_FAILED (exited or never ready),
PROMETHEUS_RELOAD_FAILED, PROMETHEUS_UNAVAILABLE (HTTP), TIMEOUT (a bounded wait ran out),
GRAFANA_FAILED (an annotation could not be posted).
"""

from __future__ import annotations


class ObservabilityError(Exception):
    """A failure with a stable ``code`` (see the module docstring) and a human message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
