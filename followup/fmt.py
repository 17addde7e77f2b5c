"""Swedish number formatting: decimal comma, no-break space between thousands, a real minus sign.

    number(1500)        -> "1 500"       (U+00A0 between the groups)
    number(12.345, 1)   -> "12,3"
    number(-2.1, 1)     -> "−2,1"        (U+2212)
    percent(12.3)       -> "12,3 %"
    change(-2.1)        -> "−2,1"; change(0.4) -> "+0,4"
Missing values (None, NaN) are written as the dash "–" (U+2013).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MINUS = "\u2212"
DASH = "\u2013"


def is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def _rounded(value: float, decimals: int) -> Decimal:
    # Round half away from zero on the decimal value people see (not binary half-even).
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def rounded(value: float, decimals: int) -> float:
    """The value as it is shown with `decimals` decimals (half away from zero)."""
    return float(_rounded(value, decimals))


def number(value, decimals: int = 0) -> str:
    """A number in Swedish notation, or "–" when missing."""
    if is_missing(value):
        return DASH
    d = _rounded(value, decimals)
    if d == 0:
        d = abs(d)  # never "−0,0"
    sign = MINUS if d < 0 else ""
    integer, _, fraction = f"{abs(d):f}".partition(".")
    groups = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    text = NBSP.join(groups)
    if decimals > 0:
        text += "," + fraction.ljust(decimals, "0")[:decimals]
    return sign + text


def percent(value, decimals: int = 1) -> str:
    """A share in per cent: "12,3 %"."""
    if is_missing(value):
        return DASH
    return number(value, decimals) + NBSP + "%"


def change(value, decimals: int = 1) -> str:
    """A signed difference: "+1,2", "−2,1", "0,0"."""
    if is_missing(value):
        return DASH
    text = number(value, decimals)
    if text.startswith(MINUS) or _rounded(value, decimals) == 0:
        return text
    return "+" + text


def is_share(unit: str) -> bool:
    """True for Kolada units given in per cent, e.g. "andel (%)"."""
    return "%" in unit


def value(value, unit: str, decimals: int) -> str:
    """A value in its unit as shown in tables: shares with " %", others bare (the unit is in its own column)."""
    return percent(value, decimals) if is_share(unit) else number(value, decimals)


def value_change(value, unit: str, decimals: int) -> str:
    """A change in its unit: shares change in percentage points ("+1,2 p.e.")."""
    text = change(value, decimals)
    if text != DASH and is_share(unit):
        text += NBSP + "p.e."
    return text


def year_range(first: int, last: int) -> str:
    """ "2015–2025" with an en dash."""
    return f"{first}{DASH}{last}" if first != last else str(first)
