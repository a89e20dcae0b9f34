"""Registry, handles, heal_all and the fault ledger, using real failpoint admin servers."""

import json
import socket

import pytest

from chaos import nemesis
from chaos.nemesis import FaultLedger, FaultSpecError, Handle, LedgerError, NemesisContext

from .admin_server import AdminServer


def closed_port_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def test_registry_has_every_kind_and_each_follows_the_protocol():
    assert set(nemesis.NEMESES) == {"toxic", "failpoint", "process", "container"}
    for kind in nemesis.NEMESES:
        impl = nemesis.nemesis_for(kind)
        assert impl.kind == kind
        assert isinstance(impl, nemesis.Nemesis)


def test_unknown_kind_is_a_field_error():
    with pytest.raises(FaultSpecError) as info:
        nemesis.validate("meteor", {})
    assert info.value.field == "kind"
    assert "known:" in info.value.reason


def test_params_must_be_an_object():
    with pytest.raises(FaultSpecError, match="params"):
        nemesis.validate("failpoint", ["not", "a", "dict"])


def test_handle_round_trips_through_json():
    handle = Handle("toxic", "toxic-1", {"api": "http://127.0.0.1:1", "proxy": "p", "toxic": "t"}, "d")
    record = json.loads(json.dumps(nemesis.handle_to_dict(handle)))
    assert nemesis.handle_from_dict(record) == handle


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ("x", "handle"),
        ({"id": "a"}, "handle.kind"),
        ({"kind": "toxic"}, "handle.id"),
        ({"kind": "toxic", "id": "a", "data": []}, "handle.data"),
    ],
)
def test_malformed_handle_records_are_refused(record, field):
    with pytest.raises(FaultSpecError) as info:
        nemesis.handle_from_dict(record)
    assert info.value.field == field


def test_heal_all_heals_in_reverse_order():
    with AdminServer() as server:
        handles = [
            nemesis.inject("failpoint", {"target": server.url, "name": f"p{i}", "spec": "delay(1)"})
            for i in range(3)
        ]
        assert set(server.registry.snapshot()) == {"p0", "p1", "p2"}
        report = nemesis.heal_all(handles)
        assert report.ok
        assert [h.id for h in report.healed] == [h.id for h in reversed(handles)]
        deletes = [path for method, path in server.requests if method == "DELETE"]
        assert deletes == ["/admin/failpoints/p2", "/admin/failpoints/p1", "/admin/failpoints/p0"]
        assert server.registry.snapshot() == {}


def test_heal_all_keeps_going_past_failures():
    with AdminServer() as server:
        good = nemesis.inject("failpoint", {"target": server.url, "name": "good", "spec": "pause"})
        unreachable = Handle("failpoint", "failpoint-dead", {"target": closed_port_url(), "name": "x"})
        unknown_kind = Handle("meteor", "meteor-1", {})
        report = nemesis.heal_all([good, unreachable, unknown_kind], NemesisContext(timeout=2))
        assert not report.ok
        assert [f.fault for f in report.failures] == ["meteor-1", "failpoint-dead"]
        assert report.failures[0].code == "INVALID_FAULT"
        assert report.failures[1].code == "HEAL_FAILED"
        assert report.healed == (good,)
        assert server.registry.snapshot() == {}


def test_heal_from_records_reports_bad_records_and_heals_the_rest():
    with AdminServer() as server:
        handle = nemesis.inject("failpoint", {"target": server.url, "name": "a", "spec": "error(IO)"})
        records = [nemesis.handle_to_dict(handle), {"kind": "toxic"}, "junk"]
        report = nemesis.heal_from_records(json.loads(json.dumps(records)))
        assert [h.id for h in report.healed] == [handle.id]
        assert len(report.failures) == 2
        assert server.registry.snapshot() == {}


def test_heal_is_idempotent():
    with AdminServer() as server:
        handle = nemesis.inject("failpoint", {"target": server.url, "name": "a", "spec": "crash"})
        nemesis.heal(handle)
        nemesis.heal(handle)  # 404 the second time = already healed
        assert server.registry.snapshot() == {}


def test_ledger_tracks_open_handles(tmp_path):
    ledger = FaultLedger(tmp_path / "faults.jsonl")
    assert ledger.open_handles() == []
    a, b, c = (Handle("failpoint", f"f-{i}", {"target": "http://127.0.0.1:1", "name": "n"}) for i in range(3))
    for h in (a, b, c):
        ledger.record_injected(h)
    ledger.record_healed(b)
    assert ledger.open_handles() == [a, c]


def test_ledger_skips_torn_tail_but_refuses_corruption(tmp_path):
    path = tmp_path / "faults.jsonl"
    ledger = FaultLedger(path)
    handle = Handle("toxic", "t-1", {"api": "http://127.0.0.1:1", "proxy": "p", "toxic": "t"})
    ledger.record_injected(handle)
    with open(path, "a") as out:
        out.write('{"event": "healed", "handle": {"ki')  # writer died mid-line
    assert ledger.open_handles() == [handle]
    with open(path, "a") as out:
        out.write("\n" + json.dumps({"event": "injected", "handle": nemesis.handle_to_dict(handle)}) + "\n")
    with pytest.raises(LedgerError, match=":2:"):
        ledger.open_handles()
