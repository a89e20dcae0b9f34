"""The harness's own metrics (``gameday_*`` names of docs/dev/INTERFACES.md) on a small HTTP server.

Resources: one ``ThreadingHTTPServer`` on 127.0.0.1, port 0 by default, served by a daemon thread;
``/metrics`` (Prometheus text format of an explicit registry) and ``/healthz``. :meth:`stop` shuts
the server down and closes its socket (idempotent). Nothing here raises on a scrape.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, generate_latest


class GamedayMetrics:
    """``gameday_fault_active{fault,kind}``, ``gameday_controller_state{state}``,
    ``gameday_admission_fraction``, ``gameday_analysis_checks_total{check,result}``,
    ``gameday_rollbacks_total``, ``gameday_alert_mttd_seconds{alert}``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fault_active = Gauge("gameday_fault_active", "1 while a fault is injected", ["fault", "kind"],
                                  registry=r)
        self.controller_state = Gauge("gameday_controller_state", "1 for the controller's current phase",
                                      ["state"], registry=r)
        self.admission = Gauge("gameday_admission_fraction", "Admission fraction set by the controller",
                               registry=r)
        self.analysis_checks = Counter("gameday_analysis_checks_total", "Ramp analysis checks by result",
                                       ["check", "result"], registry=r)
        self.rollbacks = Counter("gameday_rollbacks_total", "Automatic rollbacks", registry=r)
        self.mttd = Gauge("gameday_alert_mttd_seconds", "Time from fault start to the alert firing",
                          ["alert"], registry=r)
        self.admission.set(1.0)

    def set_phase_gauge(self, values: dict[str, float]) -> None:
        for state, value in values.items():
            self.controller_state.labels(state=state).set(value)


class MetricsServer:
    """Serve a registry at ``http://127.0.0.1:<port>/metrics``; use as a context manager or stop()."""

    def __init__(self, registry: CollectorRegistry, host: str = "127.0.0.1", port: int = 0) -> None:
        reg = registry

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/metrics":
                    body, ctype, status = generate_latest(reg), CONTENT_TYPE_LATEST, 200
                elif self.path == "/healthz":
                    body, ctype, status = b'{"status":"ok"}', "application/json", 200
                else:
                    body = b'{"code":"NOT_FOUND","message":"no such path"}'
                    ctype, status = "application/json", 404
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="gameday-metrics",
                                        daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
