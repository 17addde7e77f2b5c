"""The report's status (data/status.yml): a draft ("Utkast") or adopted by the municipal council
("Fastställd av kommunfullmäktige <datum>, § <n>, dnr <…>").

The analysts edit the file; it is one of a build's recorded inputs (followup.layout.input_files), and the
report shows its status on the cover and the start page. The file is optional: without it every report is
a draft. It names the report year it is for, so that a status set for last year's report cannot follow the
file into next year's: a build of any other year is a draft.

Its structure is the JSON Schema data/status.schema.json (checked with jsonschema and worded as the plan's
problems are, followup.plan); the rules across fields are checked here. Every problem is reported at once,
naming the file and the key, e.g.
    data/status.yml: decision: missing (a report with status 'fastställd' names the council's decision: ...)
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema

from .errors import InputError, raise_all
from .layout import STATUS_FILE
from .plan import _Checked, _read_yaml, schema_problems

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "status.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

DRAFT, ADOPTED = "utkast", "fastställd"
DRAFT_LINE = "Utkast"


@dataclass(frozen=True)
class Decision:
    date: str  # YYYY-MM-DD
    paragraph: int
    dnr: str


@dataclass(frozen=True)
class Status:
    """The status the file gives, for its year."""

    year: int | None  # None: no status file (every report is a draft)
    status: str = DRAFT
    decision: Decision | None = None

    def adopted(self, year: int) -> bool:
        """Whether the report of this year is adopted (the file's year and status 'fastställd')."""
        return self.status == ADOPTED and self.year == year and self.decision is not None

    def other_year(self, year: int) -> str | None:
        """What to warn about when the file adopts another year's report than this one (this year's report
        is then a draft, which an analyst who forgot to change `year` would not see), else None."""
        if self.status != ADOPTED or self.year == year:
            return None
        return (
            f"{STATUS_FILE}: 'fastställd' for {self.year}, not for {year}: the {year} report is printed as "
            f"'{DRAFT_LINE}' (set year: {year} when its own decision is taken)"
        )

    def line(self, year: int) -> str:
        """The status line the report of this year prints."""
        if not self.adopted(year):
            return DRAFT_LINE
        d = self.decision
        return f"Fastställd av kommunfullmäktige {d.date}, § {d.paragraph}, dnr {d.dnr}"

    def manifest(self, year: int) -> dict:
        """What the build's and the archive's manifests record about the status."""
        return {"status": ADOPTED if self.adopted(year) else DRAFT, "line": self.line(year)}


NO_FILE = Status(None)


def load_status(path) -> Status:
    """Read and validate the status file; a missing file means a draft. Raises an InputError naming the
    file and the key (or an InputErrors group listing every problem)."""
    path = Path(path)
    if not path.exists():
        return NO_FILE
    tree = _read_yaml(path)
    raise_all(schema_problems(path, tree, _VALIDATOR, _rules, InputError))
    node = tree.get("decision")
    decision = None if node is None else Decision(node["date"], int(node["paragraph"]), " ".join(node["dnr"].split()))
    return Status(int(tree["year"]), tree["status"], decision)


def _rules(checked: _Checked) -> list[tuple[tuple, str]]:
    """The rules across fields, on the parts of the tree the schema found valid."""
    if not isinstance(checked.tree, dict):
        return []  # (the schema's problem: not a mapping)
    status, decision, year = checked.get("status"), checked.get("decision"), checked.get("year")
    if status is None or (decision is None and "decision" in checked.tree):
        return []  # (the schema's problems are reported)
    if status == ADOPTED and decision is None:
        return [
            (
                ("decision",),
                "missing (a report with status 'fastställd' names the council's decision: date, paragraph, dnr)",
            )
        ]
    if status == DRAFT and decision is not None:
        return [(("decision",), "only an adopted report has a decision (the status is 'utkast')")]
    if decision is None or year is None:
        return []
    try:
        date = datetime.date.fromisoformat(decision["date"])
    except ValueError:
        return [(("decision", "date"), f"expected a date that exists, got {decision['date']!r}")]
    if date.year <= year:
        return [
            (
                ("decision", "date"),
                f"expected a date after the report year {year} (the council adopts a year's report after "
                f"the year), got {decision['date']!r}",
            )
        ]
    return []
