"""Series, peer-group means, ranks and the summary of an indicator in a report year.

Everything here works on a Dataset and plan objects and returns plain values or DataFrames; what a page
shows is made from these values by followup.results (the results document) and followup.chapter.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass

import pandas as pd

from . import fmt, statuses
from .constants import NOT_DELIVERED, TREND_YEARS
from .data import Dataset
from .plan import Indicator, Plan


@dataclass(frozen=True)
class Point:
    year: int
    value: float  # NaN when missing
    status: str = ""  # the reason when the value is missing

    @property
    def missing(self) -> bool:
        return math.isnan(self.value)


def series(ds: Dataset, indicator: str, municipality: str, gender: str = "T") -> pd.DataFrame:
    """The rows of one indicator for one municipality and gender: year, value, status (sorted by year)."""
    return ds.series(indicator, municipality, gender)


def point(ds: Dataset, indicator: str, municipality: str, year: int, gender: str = "T") -> Point:
    """One value; a year without a row is missing with reason "" (the caller says why)."""
    s = series(ds, indicator, municipality, gender)
    row = s[s["year"] == year]
    if row.empty:
        return Point(year, math.nan, "")
    return Point(year, float(row["value"].iloc[0]), row["status"].iloc[0])


def latest(
    ds: Dataset, indicator: str, municipality: str, up_to: int, before: int | None = None, gender: str = "T"
) -> Point | None:
    """The latest year up to `up_to` (and before `before`, if given) that has a value."""
    s = series(ds, indicator, municipality, gender).dropna(subset=["value"])
    s = s[s["year"] <= up_to]
    if before is not None:
        s = s[s["year"] < before]
    if s.empty:
        return None
    last = s.iloc[-1]
    return Point(int(last["year"]), float(last["value"]), last["status"])


@dataclass(frozen=True)
class PeerMean:
    year: int
    value: float  # NaN when no member has a value
    n: int  # members with a value
    of: int  # members in the group


def peer_mean(ds: Dataset, indicator: str, group: str, year: int, gender: str = "T") -> PeerMean:
    """Unweighted mean of the group's members' values for a year, over the members that have one
    (Kolada computes a group's value the same way)."""
    members = ds.group_members(group)
    v = ds.year_values(indicator, year, gender)
    rows = v[v["municipality"].isin(members)].dropna(subset=["value"])
    value = float(rows["value"].mean()) if len(rows) else math.nan
    return PeerMean(year, value, len(rows), len(members))


def peer_rank(ds: Dataset, plan: Plan, indicator: Indicator, year: int) -> tuple[int, int] | None:
    """The municipality's rank among itself and its peers in a year (1 = best, by the indicator's
    direction), over those that have a value; None when the municipality has none."""
    places = [plan.municipality.id, *ds.group_members(plan.peer_group.id)]
    v = ds.year_values(indicator.id, year)
    rows = v[v["municipality"].isin(places)].dropna(subset=["value"])
    own = rows[rows["municipality"] == plan.municipality.id]
    if own.empty:
        return None
    return _place(rows["value"], float(own["value"].iloc[0]), indicator), len(rows)


def _place(values: pd.Series, mine: float, indicator: Indicator) -> int:
    """1 + the number of values strictly better than mine, comparing the values as the page shows them
    (rounded half away from zero to the indicator's decimals): equal values share the better place."""
    shown = values.map(lambda x: fmt.rounded(x, indicator.decimals))
    own = fmt.rounded(mine, indicator.decimals)
    better = (shown > own) if indicator.higher_is_better else (shown < own)
    return int(better.sum()) + 1


def gender_split(ds: Dataset, indicator: Indicator, municipality: str, up_to: int):
    """(year, women, men) for the latest year up to `up_to` that has both values; None without a split."""
    women = series(ds, indicator.id, municipality, "K").dropna(subset=["value"]).set_index("year")["value"]
    men = series(ds, indicator.id, municipality, "M").dropna(subset=["value"]).set_index("year")["value"]
    years = sorted(y for y in set(women.index) & set(men.index) if y <= up_to)
    if not years:
        return None
    y = years[-1]
    return int(y), float(women[y]), float(men[y])


def peer_mean_series(ds: Dataset, indicator: str, group: str, years, gender: str = "T") -> list[PeerMean]:
    return [peer_mean(ds, indicator, group, y, gender) for y in years]


def missing_reason(ds: Dataset, indicator: Indicator, municipality: str, year: int) -> str:
    """Why a value is missing, in Swedish: the status Kolada or the supplier gave (Kolada's English codes
    translated, see followup.statuses), a delivery still missing, or when Kolada publishes it."""
    if indicator.id in ds.removed_kpis:
        return "nyckeltalet har upphört i Kolada"
    p = point(ds, indicator.id, municipality, year)
    if not indicator.is_kolada:  # the supplier's own words (Kolada's codes are translated, nothing else)
        return f"uppgift från {indicator.supplier} saknas" if not_delivered(p) else p.status
    if p.status:
        return statuses.swedish(p.status)
    return publication_reason(ds.kpis.get(indicator.id, {}), year, ds.retrieved)


def not_delivered(p: Point) -> bool:
    """A local value that has not been delivered: no row, or an empty value with the status "ej levererat"."""
    return p.missing and (not p.status or p.status.strip().casefold() == NOT_DELIVERED)


def publication_reason(meta: dict, year: int, retrieved: str) -> str:
    """Why Kolada has no value for a year, from the KPI's next publication as the snapshot recorded it:
    `publ_period` is the year the next publication covers and `publication_date` its date."""
    period, due = meta.get("publ_period"), meta.get("publication_date")
    if period is None or str(period).strip() == "":
        return "ingen publicering planerad"
    if str(period).isdigit() and year >= int(period):
        if not due:
            return "ej publicerat än"
        if str(due)[:10] > str(retrieved)[:10]:
            return f"ej publicerat än, väntas {due}"
        return f"försenat, väntades {due}"
    return "saknas i Kolada"


def published_years(ds: Dataset, indicator: Indicator, first: int, last: int) -> list[int]:
    """The years from first to last in which the indicator is published: all of them, except a biennial KPI's
    off years (it has no value then, which is not a missing value)."""
    return [y for y in range(first, last + 1) if not (indicator.is_kolada and ds.off_year(indicator.id, y))]


QUARTILES = {  # Kolada's presentation: the best 25 %, the middle 50 %, the worst 25 % (a mark, never colour alone)
    "best": ("▲", "bästa fjärdedelen"),
    "middle": ("●", "mellersta hälften"),
    "worst": ("▼", "sämsta fjärdedelen"),
}


@dataclass(frozen=True)
class NationalRank:
    """The municipality's place among all municipalities with a value in a year (1 = best, by the
    indicator's direction; ties share the better place)."""

    year: int
    place: int
    of: int

    @property
    def quartile(self) -> str:
        """ "best" for the first quarter of the places (rounded up), "worst" for the last, else "middle"."""
        quarter = math.ceil(self.of / 4)
        if self.place <= quarter:
            return "best"
        return "worst" if self.place > self.of - quarter else "middle"

    @property
    def text(self) -> str:
        """ "plats 57 av 287 ▲ bästa fjärdedelen"."""
        mark, words = QUARTILES[self.quartile]
        return f"plats {self.place} av {self.of} {mark} {words}"


def national_rank(ds: Dataset, plan: Plan, indicator: Indicator, year: int) -> NationalRank | None:
    """Where the municipality stands among all municipalities (the snapshot's all_municipalities.csv) in a
    year, comparing the values as the report shows them; None without a value for it that year."""
    if not indicator.is_kolada:
        return None
    rows = ds.all_year_values(indicator.id, year).dropna(subset=["value"])
    own = rows[rows["municipality"] == plan.municipality.id]
    if own.empty:
        return None
    return NationalRank(int(year), _place(rows["value"], float(own["value"].iloc[0]), indicator), len(rows))


@dataclass(frozen=True)
class IndicatorSummary:
    indicator: Indicator
    report_year: int
    latest: Point | None
    previous: Point | None
    national: Point | None  # Riket in the latest year
    national_reason: str
    peers: PeerMean | None  # the peer mean in the latest year
    rank: tuple[int, int] | None  # rank among the municipality and its peers in the latest year
    note: str  # why the report year has no value, or why nothing is shown

    @property
    def change(self) -> float:
        """The change between the values as the page shows them (so "70,0 → 70,1" is never "0,0")."""
        if self.latest is None or self.previous is None:
            return math.nan
        d = self.indicator.decimals
        return round(fmt.rounded(self.latest.value, d) - fmt.rounded(self.previous.value, d), d + 2)


def summarise(
    ds: Dataset, plan: Plan, indicator: Indicator, year: int, municipality: str | None = None
) -> IndicatorSummary:
    """Latest and previous value, change, Riket and the peer mean for one indicator and report year."""
    muni = municipality or plan.municipality.id
    last = latest(ds, indicator.id, muni, up_to=year)
    prev = latest(ds, indicator.id, muni, up_to=year, before=last.year) if last else None
    first_gap = last.year + 1 if last else max(ds.years[0], year - TREND_YEARS + 1)
    gap_years = published_years(ds, indicator, first_gap, year)
    note = "; ".join(f"{y}: {missing_reason(ds, indicator, muni, y)}" for y in gap_years)
    national, national_reason, peers, rank = None, "", None, None
    if last is not None and indicator.is_kolada:
        national = point(ds, indicator.id, plan.comparison.id, last.year)
        if national.missing:
            national_reason = statuses.swedish(national.status) or "inget värde för riket i Kolada"
        peers = peer_mean(ds, indicator.id, plan.peer_group.id, last.year)
        rank = peer_rank(ds, plan, indicator, last.year)
    elif last is not None:
        national_reason = "lokal uppgift, finns inte för riket"
    return IndicatorSummary(indicator, year, last, prev, national, national_reason, peers, rank, note)


def table_html(df: pd.DataFrame, table_id: str, caption: str) -> str:
    """A display table as accessible HTML: escaped text, no index, a caption, a fixed id (deterministic)."""
    styler = (
        df.style.hide(axis="index")
        .format(escape="html")
        .set_caption(html.escape(caption))
        .set_uuid(table_id)
        .set_table_attributes('class="followup-table"')
    )
    return styler.to_html()


_NAME_SEPARATOR = re.compile(r",\s+(?=[A-ZÅÄÖ])|(?<!-)\s+(?:och|&)\s+")


def source_names(producers) -> str:
    """The original producers of several indicators as one Swedish list, each name once: "SCB" and "SCB och
    Skolverket" give "SCB och Skolverket" (a name is split at "och" or "&", not after a hyphen as in "Post-
    och telestyrelsen", and at a comma before a capital; names differing only in case are one)."""
    names = []
    for producer in producers:
        for name in _NAME_SEPARATOR.split(producer or ""):
            name = " ".join(name.split())
            if name and name.casefold() not in {n.casefold() for n in names}:
                names.append(name)
    names.sort(key=str.casefold)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + (f" och {names[-1]}" if names else "")
