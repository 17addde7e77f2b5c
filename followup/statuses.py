"""Kolada's value statuses in Swedish, for the report (a leaf module: it imports nothing from the package).

Kolada's v3 API gives each value a `status`: empty for a value that is there, and an English code such as
"Missing" (with `"value": null`) for one that is not. The snapshot keeps the status as Kolada gave it; the
report shows it only through `swedish`, so no English status text reaches a reader. The rule:

1. An empty status stays empty (a value that is there has nothing to explain).
2. A status in `KNOWN`, the table of Kolada's own status codes (matched without regard to case or surrounding
   spaces), becomes its Swedish wording: "Missing" → "värde saknas i Kolada".
3. Any other status that reads as Swedish passes through unchanged: one written by us or by an analyst
   ("Uppgift saknas: kommunen har inte besvarat enkäten", "ej levererat"). It reads as Swedish when it has a
   letter outside ASCII (å, ä, ö, é, ...) or one of the common Swedish words in `SWEDISH_WORDS`.
4. Anything else is an English code Kolada added that we do not know yet: it becomes "värde saknas" (and the
   fetch warns about it, naming it, so that it can be added to `KNOWN`).

Only "Missing" is documented (issue #11, from the public projects that call v3 in 2026); no other status
codes of Kolada's were found documented, so `KNOWN` holds that one until more are seen.
"""

from __future__ import annotations

import re

# Kolada's status codes (lower case) and what the report says instead.
KNOWN = {
    "missing": "värde saknas i Kolada",
}

UNKNOWN = "värde saknas"

# Words that make an ASCII-only status Swedish text rather than an English code.
SWEDISH_WORDS = frozenset(
    """ej inte ingen inget inga saknas saknades saknad uppgift uppgifter uppgiften levererat levererad
    levererades lamnat lamnats inrapporterat inrapportering redovisas redovisat sekretess sekretesskal
    enkat enkaten besvarat svar svarande bortfall kallan kommunen regionen och eller av har utan vid nar
    eftersom pga tillfalligt preliminart preliminar varde vardet""".split()
)

_WORD = re.compile(r"[a-z]+")


def _key(status: str) -> str:
    return " ".join(status.split()).casefold()


def is_known(status: str | None) -> bool:
    """Whether the status is empty or one of Kolada's codes in `KNOWN`: anything else deserves a warning
    when it comes from Kolada (the report still shows it by the rule above)."""
    key = _key(status) if isinstance(status, str) else ""
    return not key or key in KNOWN


def reads_as_swedish(status: str) -> bool:
    """Text with a letter outside ASCII, or with a common Swedish word: written by a person, not a code."""
    if any(ord(c) > 127 and c.isalpha() for c in status):
        return True
    return any(word in SWEDISH_WORDS for word in _WORD.findall(status.casefold()))


def swedish(status: str | None) -> str:
    """What the report shows for a status (see the module docstring for the rule). None, or anything that is
    not text (a missing cell read by pandas), counts as empty."""
    if not isinstance(status, str) or not status.strip():
        return ""
    key = _key(status)
    if key in KNOWN:
        return KNOWN[key]
    return status if reads_as_swedish(status) else UNKNOWN
