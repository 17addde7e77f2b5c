"""Series, peer-group means, ranks and the summary of an indicator in a report year.

Everything here works on a Dataset and plan objects and returns plain values or DataFrames; what a page
shows is made from these values by followup.results (the results document) and followup.chapter.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import pandas as pd

from .constants import TREND_YEARS
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
    v = ds.values
    rows = v[(v["indicator"] == indicator) & (v["municipality"] == municipality) & (v["gender"] == gender)]
    return rows[["year", "value", "status"]].sort_values("year").reset_index(drop=True)


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
    v = ds.values
    rows = v[
        (v["indicator"] == indicator)
        & (v["gender"] == gender)
        & (v["year"] == year)
        & (v["municipality"].isin(members))
    ].dropna(subset=["value"])
    value = float(rows["value"].mean()) if len(rows) else math.nan
    return PeerMean(year, value, len(rows), len(members))


def peer_rank(ds: Dataset, plan: Plan, indicator: Indicator, year: int) -> tuple[int, int] | None:
    """The municipality's rank among itself and its peers in a year (1 = best, by the indicator's
    direction), over those that have a value; None when the municipality has none."""
    places = [plan.municipality.id, *ds.group_members(plan.peer_group.id)]
    v = ds.values
    rows = v[
        (v["indicator"] == indicator.id) & (v["gender"] == "T") & (v["year"] == year) & v["municipality"].isin(places)
    ].dropna(subset=["value"])
    own = rows[rows["municipality"] == plan.municipality.id]
    if own.empty:
        return None
    mine = float(own["value"].iloc[0])
    better = (rows["value"] > mine) if indicator.higher_is_better else (rows["value"] < mine)
    return int(better.sum()) + 1, len(rows)


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
    """Why a value is missing, in Swedish: the status Kolada gave, or that it is not yet published."""
    if indicator.id in ds.removed_kpis:
        return "nyckeltalet har upphört i Kolada"
    p = point(ds, indicator.id, municipality, year)
    if p.status:
        return p.status
    if indicator.is_kolada:
        meta = ds.kpis.get(indicator.id, {})
        period, due = meta.get("publ_period"), meta.get("publication_date")
        if period and str(period).isdigit() and int(period) == year:
            return f"ej publicerat än, väntas {due}" if due else "ej publicerat än"
        if period and str(period).isdigit() and int(period) < year:
            return "ej publicerat än"
        if not period:
            return "ej publicerat; Kolada anger inget datum för nästa publicering"
        return "uppgift saknas i Kolada"
    return "uppgift saknas i den lokala filen"


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
        if self.latest is None or self.previous is None:
            return math.nan
        return self.latest.value - self.previous.value


def summarise(
    ds: Dataset, plan: Plan, indicator: Indicator, year: int, municipality: str | None = None
) -> IndicatorSummary:
    """Latest and previous value, change, Riket and the peer mean for one indicator and report year."""
    muni = municipality or plan.municipality.id
    last = latest(ds, indicator.id, muni, up_to=year)
    prev = latest(ds, indicator.id, muni, up_to=year, before=last.year) if last else None
    gap_years = range(last.year + 1 if last else max(ds.years[0], year - TREND_YEARS + 1), year + 1)
    note = "; ".join(f"{y}: {missing_reason(ds, indicator, muni, y)}" for y in gap_years)
    national, national_reason, peers, rank = None, "", None, None
    if last is not None and indicator.is_kolada:
        national = point(ds, indicator.id, plan.comparison.id, last.year)
        if national.missing:
            national_reason = national.status or "inget värde för riket i Kolada"
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
