"""Spec grammar of chaos.failpoints: valid forms round-trip, invalid ones name the problem."""

import pytest

from chaos.failpoints import Action, FailpointSpecError, parse_spec
from chaos.failpoints.spec import parse_assignments, validate_name


@pytest.mark.parametrize(
    ("text", "action", "probability", "count"),
    [
        ("off", Action.OFF, 1.0, None),
        ("delay(200)", Action.DELAY, 1.0, None),
        ("delay(200,50)", Action.DELAY, 1.0, None),
        ("error(IO)", Action.ERROR, 1.0, None),
        ("pause", Action.PAUSE, 1.0, None),
        ("crash", Action.CRASH, 1.0, None),
        ("50%3*error(IO)", Action.ERROR, 0.5, 3),
        ("12.5%pause", Action.PAUSE, 0.125, None),
        ("2*delay(10)", Action.DELAY, 1.0, 2),
    ],
)
def test_valid_specs_parse_and_round_trip(text, action, probability, count):
    spec = parse_spec(text)
    assert spec.action is action
    assert spec.probability == pytest.approx(probability)
    assert spec.count == count
    assert parse_spec(spec.render()) == spec


def test_delay_arguments_are_kept():
    spec = parse_spec(" delay( 200 , 50 ) ")
    assert (spec.delay_ms, spec.jitter_ms) == (200, 50)
    assert spec.render() == "delay(200,50)"


def test_error_code_is_kept():
    assert parse_spec("error(DISK_FULL)").code == "DISK_FULL"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "expected [P%][N*]action"),
        ("explode", "unknown action"),
        ("delay", "delay needs"),
        ("delay(x)", "whole number"),
        ("delay(1,2,3)", "at most 2"),
        ("delay(99999999)", "exceeds"),
        ("error()", "needs a code"),
        ("error(a b)", "needs a code"),
        ("0%error(X)", "probability"),
        ("150%error(X)", "probability"),
        ("0*crash", "count"),
        ("pause(3)", "takes no arguments"),
        ("-5%pause", "expected"),
    ],
)
def test_invalid_specs_are_refused_with_reason(text, fragment):
    with pytest.raises(FailpointSpecError) as info:
        parse_spec(text)
    assert fragment in str(info.value)


def test_non_string_spec_is_refused():
    with pytest.raises(FailpointSpecError, match="must be a string"):
        parse_spec(42)


@pytest.mark.parametrize("name", ["", "has space", "a/b", "x" * 200, None])
def test_invalid_names_are_refused(name):
    with pytest.raises(FailpointSpecError, match="invalid failpoint name"):
        validate_name(name)


def test_assignments_parse_several_entries_and_skip_empty_ones():
    parsed = parse_assignments("a.b=delay(200); ;c=50%3*error(IO);")
    assert sorted(parsed) == ["a.b", "c"]
    assert parsed["c"].count == 3


def test_assignment_without_equals_is_refused():
    with pytest.raises(FailpointSpecError, match="expected name=spec"):
        parse_assignments("a.b")
