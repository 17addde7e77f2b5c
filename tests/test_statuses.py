"""Kolada's statuses in Swedish: no English status text reaches the report."""

import math

import pytest

from followup.statuses import KNOWN, UNKNOWN, is_known, reads_as_swedish, swedish


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("Missing", "värde saknas i Kolada"),  # Kolada's code for a null value
        ("missing", "värde saknas i Kolada"),
        (" Missing ", "värde saknas i Kolada"),
        ("", ""),  # a value that is there
        ("   ", ""),
        (None, ""),
        (math.nan, ""),  # a missing cell as pandas reads it
        ("Unreliable", "värde saknas"),  # an English code we do not know
        ("Not available", "värde saknas"),
        ("N/A", "värde saknas"),
        # Swedish text written by us or by an analyst passes through unchanged.
        ("Uppgift saknas: kommunen har inte besvarat enkäten", "Uppgift saknas: kommunen har inte besvarat enkäten"),
        ("ej levererat", "ej levererat"),
        ("Värde saknas i Kolada (ingen orsak angiven)", "Värde saknas i Kolada (ingen orsak angiven)"),
        ("Bortfall i källan", "Bortfall i källan"),
        ("Ingen inventering gjordes 2021", "Ingen inventering gjordes 2021"),
        ("uppgift saknas", "uppgift saknas"),
    ],
)
def test_swedish(status, shown):
    assert swedish(status) == shown


def test_every_known_status_has_swedish_wording():
    for code, wording in KNOWN.items():
        assert code == code.casefold() and reads_as_swedish(wording)
        assert swedish(code.upper()) == wording and is_known(code.title())
        assert swedish(wording) == wording  # the wording itself passes through
    assert reads_as_swedish(UNKNOWN) and swedish(UNKNOWN) == UNKNOWN


def test_is_known():
    assert is_known("Missing") and is_known("") and is_known(None)
    assert not is_known("Unreliable")
    assert not is_known("Uppgift saknas")  # shown as it is, but not a status Kolada is known to send
