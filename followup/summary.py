"""The summary ("Sammanfattning", the start page): what a council member reads first, computed from the goal
areas' recorded results documents (the same ones the overview reads) and from last year's published results.

Everything here is a number or a sentence made from those documents; nothing is typed by hand. The start
page gets it through `followup.book.substitutions` (`filled_pages`): no notebook is executed for it.

- `glance`: every goal area's shown verdict (symbol and word, and a colour class: never colour alone);
- `counts` and `count_sentence`: the indicators met / partly met / not met / not assessable, with the pace
  verdicts of a cumulative target counted apart;
- `read_previous` and `compare`: last year's published results file (reports/<year-1>/results/
  resultat-<year-1>.json, archived by `make publish`, read through its versioned format), and what changed:
  only indicators with the same id and rule are compared; the others are new, removed or judged by a changed
  rule; each moved verdict says why where the results show it (a new year's value, a revised value, a
  changed target or comparison value);
- `without_actions`: the goal areas whose commentary has no action text ("## Åtgärder").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import assessment, fmt
from .constants import ALL_VERDICTS, MET, NOT_MET, PACE_CLASS, PACE_VERDICTS, PARTLY, UNKNOWN
from .errors import InputError
from .layout import previous_results
from .results import RESULTS_FORMAT, result_row

# The colour class of each verdict on the start page (styled in book/_static/*.css): a verdict always shows its
# symbol and word as well, so the colour only repeats what the text says.
VERDICT_CLASS = {MET: "verdict-met", PARTLY: "verdict-partly", NOT_MET: "verdict-not-met", UNKNOWN: "verdict-unknown"}
VERDICT_CLASS.update({v: VERDICT_CLASS[c] for v, c in PACE_CLASS.items()})

# What the summary reads of a results file: its columns in format version 1. A later version adds columns
# and keeps these meanings (data/README.md), so any version from 1 on is read.
PREVIOUS_AREA_KEYS = ("goal_area", "title", "shown")
PREVIOUS_ROW_KEYS = (
    "goal_area",
    "indicator",
    "title",
    "unit",
    "rule",
    "verdict",
    "assessed_year",
    "assessed_value",
    "reference",
    "target_value",
)


# ---------------------------------------------------------------- this year's verdicts


@dataclass(frozen=True)
class AreaVerdict:
    slug: str
    title: str
    verdict: str  # the verdict shown (an override where the commentary justifies one)
    overridden: bool
    met_text: str  # "2 av 5 indikatorer uppfyllda"

    @property
    def label(self) -> str:
        return assessment.label(self.verdict) + (" (justerad)" if self.overridden else "")

    @property
    def css_class(self) -> str:
        return VERDICT_CLASS[self.verdict]


def glance(docs: dict[str, dict]) -> list[AreaVerdict]:
    """Every goal area's verdict as shown, in the order of the documents (the plan's)."""
    out = []
    for slug, doc in docs.items():
        g = doc["goal_area"]
        out.append(AreaVerdict(slug, g["title"], g["shown"], g["override"] is not None, g["met_text"]))
    return out


def counts(docs: dict[str, dict]) -> dict[str, int]:
    """How many indicators have each verdict (the pace verdicts apart), over all goal areas."""
    verdicts = [r["verdict"]["verdict"] for doc in docs.values() for r in doc["indicators"]]
    return {v: verdicts.count(v) for v in ALL_VERDICTS}


def _indicators(n: int) -> str:
    return f"{n} indikator" if n == 1 else f"{n} indikatorer"


def count_sentence(n: dict[str, int]) -> str:
    """ "Av 42 indikatorer är 15 uppfyllda, …", the pace verdicts counted apart."""
    total = sum(n.values())
    paced = sum(n[v] for v in PACE_VERDICTS)
    text = (
        f"Av {_indicators(total)} är {n[MET]} uppfyllda, {n[PARTLY]} delvis uppfyllda, {n[NOT_MET]} ej "
        f"uppfyllda och {n[UNKNOWN]} kan ej bedömas"
    )
    if paced:
        pace = ", ".join(f"{n[v]} {v}" for v in PACE_VERDICTS if n[v])
        text += (
            f"; {_indicators(paced)} med ett mål för hela planperioden bedöms på takten hittills och räknas "
            f"för sig: {pace}"
        )
    return text + "."


def without_actions(docs: dict[str, dict]) -> tuple[list[str], list[str]]:
    """The titles of the goal areas whose commentary has no action text, and of those among them judged "ej
    uppfyllt" (where one is required: the chapter says "Åtgärder saknas")."""
    lacking = [d["goal_area"] for d in docs.values() if not d["goal_area"]["commentary"]["has_actions"]]
    return [g["title"] for g in lacking], [g["title"] for g in lacking if g["commentary"]["missing_actions"]]


# ---------------------------------------------------------------- last year's published results


def read_previous(repo: Path, year: int) -> dict | None:
    """Last year's published results file (reports/<year-1>/results/resultat-<year-1>.json), checked: its
    format, a version this code reads (1 or later), its report year, and the keys the summary uses. None
    when there is no previous report. Raises an InputError naming the file and the key."""
    rel = previous_results(year)
    path = Path(repo) / rel
    if not path.is_file():
        return None
    try:
        tree = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(rel, "", f"not a readable JSON results file ({exc})") from None
    if not isinstance(tree, dict):
        raise InputError(rel, "(top level)", "expected a JSON object")
    version = tree.get("format_version")
    checks = [
        ("format", tree.get("format") == RESULTS_FORMAT, repr(RESULTS_FORMAT)),
        ("format_version", isinstance(version, int) and not isinstance(version, bool) and version >= 1, "1 or later"),
        ("report_year", tree.get("report_year") == year - 1, str(year - 1)),
        ("goal_areas", isinstance(tree.get("goal_areas"), list), "a list"),
        ("indicators", isinstance(tree.get("indicators"), list), "a list"),
    ]
    for key, ok, expected in checks:
        if not ok:
            raise InputError(rel, key, f"expected {expected}, got {tree.get(key)!r}")
    for part, keys in (("goal_areas", PREVIOUS_AREA_KEYS), ("indicators", PREVIOUS_ROW_KEYS)):
        for i, item in enumerate(tree[part]):
            missing = [k for k in keys if not isinstance(item, dict) or k not in item]
            if missing:
                raise InputError(rel, f"{part}[{i}]", f"missing {', '.join(missing)} (format version {version})")
    return {"path": rel, **tree}


@dataclass(frozen=True)
class Change:
    """One indicator compared with last year's report."""

    kind: str  # "moved", "same", "new", "rule_changed" or "removed"
    goal_area: str  # its goal area's title
    title: str  # the indicator's short title (this year's) or title (last year's, when removed)
    before: str | None = None  # last year's verdict
    after: str | None = None  # this year's verdict
    reasons: tuple[str, ...] = ()  # why a verdict moved, where the results show it


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


def _reasons(old: dict, new: dict, record: dict) -> tuple[str, ...]:
    """Why a verdict moved, as far as the two results rows show it."""

    def show(x):
        return fmt.value(x, record["unit"], record["decimals"])

    out = []
    if old["assessed_year"] is not None and new["assessed_year"] is not None:
        if new["assessed_year"] != old["assessed_year"]:
            out.append(f"nytt värde för {new['assessed_year']}: {show(new['assessed_value'])}")
        elif not _same(old["assessed_value"], new["assessed_value"]):
            out.append(
                f"reviderat värde för {new['assessed_year']}: {show(old['assessed_value'])} → "
                f"{show(new['assessed_value'])}"
            )
    elif new["assessed_year"] is not None:
        out.append(f"värde finns nu för {new['assessed_year']}: {show(new['assessed_value'])}")
    elif old["assessed_year"] is not None:
        out.append(f"inget värde att bedöma i år (förra året: {old['assessed_year']})")
    if not _same(old["target_value"], new["target_value"]):
        out.append(f"ändrat mål: {show(old['target_value'])} → {show(new['target_value'])}")
    elif not _same(old["reference"], new["reference"]) and old["rule"] in ("national", "peers", "improvement"):
        out.append(f"ändrat jämförelsevärde: {show(old['reference'])} → {show(new['reference'])}")
    return tuple(out)


def compare(docs: dict[str, dict], previous: dict, not_chosen: tuple[str, ...] = ()) -> list[Change]:
    """This year's indicators against last year's published results: the same id and rule are compared
    (moved or same); another rule is "rule_changed"; an id last year lacked is "new"; one that is gone is
    "removed" (unless its goal area is one of `not_chosen`, the plan's goal areas a subset build leaves out).
    In this year's order, the removed ones last."""
    before = {row["indicator"]: row for row in previous["indicators"]}
    titles = {g["goal_area"]: g["title"] for g in previous["goal_areas"]}
    out, seen = [], set()
    for slug, doc in docs.items():
        area = doc["goal_area"]["title"]
        for r in doc["indicators"]:
            seen.add(r["id"])
            new, old = result_row(slug, r), before.get(r["id"])
            if old is None:
                out.append(Change("new", area, r["short_title"], after=new["verdict"]))
            elif old["rule"] != new["rule"]:
                out.append(Change("rule_changed", area, r["short_title"], old["verdict"], new["verdict"]))
            elif old["verdict"] == new["verdict"]:
                out.append(Change("same", area, r["short_title"], old["verdict"], new["verdict"]))
            else:
                reasons = _reasons(old, new, r)
                out.append(Change("moved", area, r["short_title"], old["verdict"], new["verdict"], reasons))
    for row in previous["indicators"]:
        if row["indicator"] not in seen and row["goal_area"] not in not_chosen:
            area = titles.get(row["goal_area"], row["goal_area"])
            out.append(Change("removed", area, row["title"], before=row["verdict"]))
    return out


def areas_moved(docs: dict[str, dict], previous: dict) -> list[tuple[str, str, str]]:
    """The goal areas whose shown verdict differs from last year's: (title, before, after)."""
    before = {g["goal_area"]: g["shown"] for g in previous["goal_areas"]}
    return [
        (d["goal_area"]["title"], before[slug], d["goal_area"]["shown"])
        for slug, d in docs.items()
        if slug in before and before[slug] != d["goal_area"]["shown"]
    ]


def comparison_sentence(changes: list[Change], previous_year: int) -> str:
    """How this year's verdicts compare with last year's report, counted."""
    n = {k: sum(1 for c in changes if c.kind == k) for k in ("same", "moved", "new", "rule_changed", "removed")}
    text = (
        f"Jämfört med rapporten för {previous_year}: av {_indicators(n['same'] + n['moved'])} som bedöms efter "
        f"samma regel båda åren har {n['moved']} fått en annan bedömning och {n['same']} samma"
    )
    rest = [f"{_indicators(n['new'])} är nya"] if n["new"] else []
    if n["rule_changed"]:
        rest.append(f"{_indicators(n['rule_changed'])} bedöms efter en ändrad regel och jämförs inte")
    if n["removed"]:
        rest.append(f"{_indicators(n['removed'])} från förra året finns inte med i år")
    return text + ("; " + "; ".join(rest) if rest else "") + "."


def no_previous_sentence(year: int) -> str:
    return f"Det finns ingen publicerad rapport för {year - 1} att jämföra med."
