"""GrafanaAnnotator against a real HTTP server standing in for Grafana's annotations API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.observability import GrafanaAnnotator, ObservabilityError


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict, str]] = []
    status = 200

    def _handle(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        type(self).received.append((self.command, self.path, body, self.headers.get("Authorization", "")))
        payload = json.dumps({"id": len(type(self).received), "message": "Annotation added"}).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _handle
    do_PATCH = _handle

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def grafana() -> Iterator[type[_Recorder]]:
    handler = type("Rec", (_Recorder,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_disabled_without_grafana_url() -> None:
    ann = GrafanaAnnotator(env={})
    assert not ann.enabled
    assert ann.fault_window("f1", "toxic", 1.0, 2.0) is None
    assert ann.deploy_step("cutover", "ramping", 3.0) is None
    ann.close_fault_window(1, 4.0)
    assert ann.errors == []


def test_posts_fault_window_and_deploy_step(grafana: type[_Recorder]) -> None:
    env = {"GRAFANA_URL": grafana.url + "/", "GRAFANA_TOKEN": "t0k"}  # type: ignore[attr-defined]
    with GrafanaAnnotator(env=env, run_id="r1") as ann:
        fid = ann.fault_window("stall", "failpoint", 100.5, target="engine-blue")
        ann.close_fault_window(fid or 0, 130.25)
        ann.deploy_step("cutover", "ramping", 140.0, "step 1", admission=0.25, active="green")
    (m1, p1, b1, auth), (m2, p2, b2, _), (m3, _, b3, _) = grafana.received
    assert (m1, p1) == ("POST", "/api/annotations") and auth == "Bearer t0k"
    assert b1 == {"time": 100500, "tags": ["gameday", "fault", "failpoint", "stall", "run:r1"],
                  "text": "fault stall (failpoint) on engine-blue"}
    assert (m2, p2, b2) == ("PATCH", "/api/annotations/1", {"timeEnd": 130250})
    assert b3["text"] == "deploy cutover → ramping active=green admission=25%: step 1"
    assert b3["tags"][:3] == ["gameday", "deploy", "ramping"]


def test_failures_are_collected_not_raised(grafana: type[_Recorder]) -> None:
    grafana.status = 500
    ann = GrafanaAnnotator(url=grafana.url)  # type: ignore[attr-defined]
    assert ann.fault_window("f", "toxic", 1.0, 2.0) is None
    assert ann.errors and ann.errors[0].startswith("GRAFANA_FAILED")
    strict = GrafanaAnnotator(url=grafana.url, strict=True)  # type: ignore[attr-defined]
    with pytest.raises(ObservabilityError) as err:
        strict.deploy_step("a", "b", 1.0)
    assert err.value.code == "GRAFANA_FAILED"


def test_unreachable_grafana_does_not_break_the_run() -> None:
    ann = GrafanaAnnotator(url="http://127.0.0.1:9", timeout=0.5)
    assert ann.deploy_step("a", "b", 1.0) is None
    assert len(ann.errors) == 1


def test_annotate_history_pairs_fault_windows_and_posts_deploy_steps(grafana: type[_Recorder]) -> None:
    from harness.history import EventKind, HarnessEvent
    from harness.observability import annotate_history

    events = [
        HarnessEvent(10.0, EventKind.FAULT, {"id": "stall", "action": "inject", "fault_kind": "failpoint",
                                             "target": "blue"}),
        HarnessEvent(12.0, EventKind.DEPLOY, {"from": "cutover", "to": "ramping", "admission": 0.1,
                                              "active": "green"}),
        HarnessEvent(15.5, EventKind.FAULT, {"id": "stall", "action": "heal"}),
        HarnessEvent(16.0, EventKind.FAULT, {"id": "never-healed", "action": "inject",
                                             "fault_kind": "toxic"}),
        HarnessEvent(17.0, EventKind.PHASE, {"name": "heal", "status": "start"}),
    ]
    ann = GrafanaAnnotator(url=grafana.url)  # type: ignore[attr-defined]
    assert annotate_history(ann, events) == 3
    bodies = [body for _, _, body, _ in grafana.received]
    assert bodies[0]["text"].startswith("deploy cutover → ramping")
    assert bodies[1] == {"time": 10000, "timeEnd": 15500, "tags": ["gameday", "fault", "failpoint", "stall"],
                         "text": "fault stall (failpoint) on blue"}
    assert "timeEnd" not in bodies[2] and bodies[2]["text"] == "fault never-healed (toxic)"
    assert annotate_history(GrafanaAnnotator(env={}), events) == 0
