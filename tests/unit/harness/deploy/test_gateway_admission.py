"""The counter-based admitter: exact fractions, evenly spread, validated input."""

import math

import pytest

from harness.deploy.admission import AdmissionError, Admitter, parse_fraction


def pattern(fraction, n):
    admitter = Admitter(fraction)
    return [admitter.admit() for _ in range(n)]


def test_quarter_admits_exactly_one_in_four():
    decisions = pattern(0.25, 400)
    assert sum(decisions) == 100
    for i in range(0, 400, 4):  # one in every window of four
        assert sum(decisions[i:i + 4]) == 1


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.333, 0.9, 0.01])
def test_admitted_count_is_floor_of_n_times_fraction_at_every_point(fraction):
    admitter = Admitter(fraction)
    admitted = 0
    for n in range(1, 2001):
        admitted += admitter.admit()
        assert admitted == math.floor(n * parse_fraction(fraction))


def test_zero_refuses_all_and_one_admits_all():
    assert not any(pattern(0, 50))
    assert all(pattern(1, 50))
    assert all(pattern(1.0, 50))


def test_changing_fraction_restarts_the_spread_and_keeps_totals():
    admitter = Admitter(0.5)
    for _ in range(10):
        admitter.admit()
    admitter.set_fraction(0.25)
    later = [admitter.admit() for _ in range(8)]
    assert sum(later) == 2
    stats = admitter.stats()
    assert (stats.fraction, stats.admitted, stats.refused) == (0.25, 7, 11)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf"), "0.5", None, True])
def test_invalid_fractions_are_refused(bad):
    with pytest.raises(AdmissionError):
        Admitter(bad)
    admitter = Admitter(0.5)
    with pytest.raises(AdmissionError):
        admitter.set_fraction(bad)
    assert admitter.fraction == 0.5
