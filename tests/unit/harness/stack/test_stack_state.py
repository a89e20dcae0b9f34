import os

import pytest

from harness.stack.errors import StackError
from harness.stack.process import ProcessSpec
from harness.stack.readiness import parse_listening, probe
from harness.stack.state import StateEntry, proc_start_ticks, read_state, write_state


@pytest.mark.parametrize(
    ("line", "url"),
    [
        ("LISTENING http://127.0.0.1:4000\n", "http://127.0.0.1:4000"),
        ("LISTENING tcp://127.0.0.1:4001", "tcp://127.0.0.1:4001"),
        ("  LISTENING http://127.0.0.1:1/x  ", "http://127.0.0.1:1/x"),
        ("listening http://127.0.0.1:4000", None),
        ("LISTENING", None),
        ("LISTENING 127.0.0.1:4000", None),
        ("INFO started", None),
    ],
)
def test_parse_listening(line, url):
    assert parse_listening(line) == url


def test_state_round_trip(tmp_path):
    entries = [
        StateEntry("a", 10, 10, 5, "http://127.0.0.1:1", ("x", "y"), "/l"),
        StateEntry("b", 11, 11, None, None, ()),
    ]
    write_state(tmp_path / "stack.json", entries, owner_pid=42)
    assert read_state(tmp_path) == entries
    assert read_state(tmp_path / "missing.json") == []


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"processes": [{"pid": 1}]}', '{"processes": [{"name": "a", "pid": "x", "pgid": 1}]}'],
)
def test_malformed_state_is_a_stack_error(tmp_path, text):
    (tmp_path / "stack.json").write_text(text)
    with pytest.raises(StackError):
        read_state(tmp_path)


def test_proc_start_ticks_of_self_and_of_nothing():
    assert isinstance(proc_start_ticks(os.getpid()), int)
    assert proc_start_ticks(2**22 + 12345) is None


def test_spec_validation():
    with pytest.raises(ValueError):
        ProcessSpec("", ("x",))
    with pytest.raises(ValueError):
        ProcessSpec("a/b", ("x",))
    with pytest.raises(ValueError):
        ProcessSpec("a", ())


def test_probe_refuses_other_schemes():
    with pytest.raises(ValueError):
        probe("file:///etc/passwd")
