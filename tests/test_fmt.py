import math

import pytest

from followup import fmt

NB, MINUS = "\u00a0", "\u2212"


@pytest.mark.parametrize(
    "value, decimals, expected",
    [
        (0, 0, "0"),
        (7, 0, "7"),
        (1500, 0, f"1{NB}500"),
        (1234567.891, 2, f"1{NB}234{NB}567,89"),
        (12.345, 1, "12,3"),
        (12.35, 1, "12,4"),  # half away from zero on the decimal value, not binary half-even
        (0.125, 2, "0,13"),
        (-2.1, 1, f"{MINUS}2,1"),
        (-1500, 0, f"{MINUS}1{NB}500"),
        (-0.04, 1, "0,0"),  # never a negative zero
        (999.96, 1, f"1{NB}000,0"),
        (5, 2, "5,00"),
    ],
)
def test_number(value, decimals, expected):
    assert fmt.number(value, decimals) == expected


@pytest.mark.parametrize("missing", [None, math.nan, float("nan")])
def test_missing_is_a_dash(missing):
    assert fmt.number(missing) == "–"
    assert fmt.percent(missing) == "–"
    assert fmt.change(missing) == "–"
    assert fmt.value_change(missing, "andel (%)", 1) == "–"


def test_percent_has_a_no_break_space():
    assert fmt.percent(12.3) == f"12,3{NB}%"
    assert fmt.percent(81.25, 1) == f"81,3{NB}%"


def test_change_is_signed():
    assert fmt.change(1.24) == "+1,2"
    assert fmt.change(-2.1) == f"{MINUS}2,1"
    assert fmt.change(0.01) == "0,0"
    assert fmt.change(1500, 0) == f"+1{NB}500"


def test_value_follows_the_unit():
    assert fmt.value(81.3, "andel (%)", 1) == f"81,3{NB}%"
    assert fmt.value(1040.4, "antal/100 000 inv", 0) == f"1{NB}040"
    assert fmt.value_change(-1.25, "andel (%)", 1) == f"{MINUS}1,3{NB}p.e."
    assert fmt.value_change(12, "antal", 0) == "+12"


def test_year_range_uses_an_en_dash():
    assert fmt.year_range(2015, 2025) == "2015–2025"
    assert fmt.year_range(2025, 2025) == "2025"
