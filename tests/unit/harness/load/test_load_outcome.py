import pytest

from harness.history import OpType
from harness.load.outcome import classify, decode_body


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"status": "NEW"}, OpType.OK),
        (201, None, OpType.OK),
        (400, {"code": "INSUFFICIENT_MARGIN"}, OpType.FAIL),
        (404, {"code": "UNKNOWN_ORDER"}, OpType.FAIL),
        (409, {"code": "NOT_LEADER", "leader_color": "green"}, OpType.FAIL),
        (503, {"code": "OVERLOADED"}, OpType.FAIL),
        (503, {"code": "EXCESS_QUEUE_DEPTH"}, OpType.FAIL),
        (503, {"code": "ADMISSION_REFUSED"}, OpType.FAIL),
        (503, {"code": "UPSTREAM_CONNECT_FAILED"}, OpType.FAIL),
        (503, {"code": "SOMETHING_ELSE"}, OpType.INFO),
        (503, None, OpType.INFO),
        (502, {"code": "UPSTREAM_FAILED"}, OpType.INFO),
        (500, {"code": "INTERNAL"}, OpType.INFO),
        (None, None, OpType.INFO),
        (0, None, OpType.INFO),
    ],
)
def test_classification_follows_the_interfaces_table(status, body, expected):
    out = classify(status, body)
    assert out.type is expected
    if expected is OpType.FAIL:
        assert out.error == (body or {}).get("code", out.error)


def test_an_exception_is_info_with_its_name_never_fail():
    out = classify(None, None, TimeoutError("timed out"))
    assert out.type is OpType.INFO
    assert out.error == "TimeoutError: timed out"
    assert out.http_status is None


def test_decode_body_never_raises():
    assert decode_body(b'{"a": 1}') == {"a": 1}
    assert decode_body(b"not json") is None
    assert decode_body(b"\xff\xfe") is None
    assert decode_body(None) is None
