"""Fetch the year's data from Kolada into a snapshot in data/kolada/, and say what changed.

The snapshot is written in the data format of data/README.md to a temporary folder beside data/kolada/ and
moved into place only when the whole fetch has succeeded: a failed or interrupted fetch leaves the previous
snapshot byte for byte as it was. A fetch compares itself with the previous snapshot and records in
changes.json: revised values, KPIs whose title changed (a changed unit marks a series break, so trends
are not compared across it), KPIs that Kolada no longer has, and peer-group members that changed.

Besides the values for Borlänge, Riket and the peers (every gender, the trend years), a snapshot holds the
plan's KPIs for every municipality of type K (totals, the report year and the two before it) in
all_municipalities.csv, for the ranks among all municipalities, and every municipality Kolada lists in
municipalities.json. Statuses are stored as Kolada gave them; one it does not know is warned about.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from . import statuses, swap
from .constants import TREND_YEARS
from .data import (
    ALL_COLUMNS,
    ALL_FILE,
    KOLADA_COLUMNS,
    DataError,
    csv_text,
    json_text,
    load_dataset,
    unit_of,
    write_part,
)
from .kolada import NO_REASON, Client, KoladaError
from .plan import load_plan
from .runs import RunLock, recover

log = logging.getLogger(__name__)

REMOVED = "removed_from_kolada"


def _number(value) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) else repr(float(value))


def compare(old_dir: Path, values: list[dict], kpis: dict[str, dict], groups: list[dict]) -> dict:
    """What differs between the previous snapshot in old_dir (if any) and the new one."""
    changes = {
        "previous_retrieved": None,
        "revised_values": [],
        "renamed_kpis": [],
        "removed_kpis": [],
        "group_changes": [],
        "series_breaks": [],
    }
    if not (old_dir / "manifest.json").exists():
        return changes
    try:
        old = load_dataset(old_dir.parent, parts=("kolada",))
    except DataError as exc:  # a damaged previous snapshot must not block a new fetch
        changes["previous_unreadable"] = str(exc)
        return changes
    changes["previous_retrieved"] = old.retrieved
    changes["series_breaks"] = list(old.changes.get("series_breaks", []))
    changes["revised_values"] = _revised_values(old, values)
    _kpi_changes(old, kpis, changes)
    changes["group_changes"] = _group_changes(old, groups)
    return changes


def _revised_values(old, values: list[dict]) -> list[dict]:
    """Values that differ from the previous snapshot's (a value that appeared or vanished counts too)."""
    revised = []
    before = {
        (r.indicator, r.municipality, int(r.year), r.gender): r.value
        for r in old.values.itertuples()
        if r.indicator in old.kpis
    }
    for row in values:
        key = (row["kpi"], row["municipality"], row["year"], row["gender"])
        if key in before:
            old_v, new_v = before[key], row["value"]
            old_missing, new_missing = old_v != old_v, new_v is None  # NaN != NaN
            if old_missing != new_missing or (not old_missing and abs(float(new_v) - old_v) > 1e-9):
                revised.append(
                    {
                        "kpi": key[0],
                        "municipality": key[1],
                        "year": key[2],
                        "gender": key[3],
                        "old": None if old_missing else old_v,
                        "new": None if new_missing else float(new_v),
                    }
                )
    return revised


def _kpi_changes(old, kpis: dict[str, dict], changes: dict) -> None:
    """KPIs that Kolada no longer has, and KPIs whose title changed (a new unit is a series break)."""
    for kpi, meta in sorted(kpis.items()):
        previous = old.kpis.get(kpi)
        if meta.get(REMOVED):
            if previous is not None and not previous.get(REMOVED):
                changes["removed_kpis"].append({"kpi": kpi, "title": previous.get("title", "")})
            continue
        if previous is not None and not previous.get(REMOVED) and previous.get("title") != meta.get("title"):
            old_unit, new_unit = unit_of(previous["title"]), unit_of(meta["title"])
            entry = {"kpi": kpi, "old": previous["title"], "new": meta["title"], "unit_changed": old_unit != new_unit}
            changes["renamed_kpis"].append(entry)
            if entry["unit_changed"]:
                _series_break(old, kpi, old_unit, new_unit, changes)


def _series_break(old, kpi: str, old_unit: str, new_unit: str, changes: dict) -> None:
    years = old.values[(old.values["indicator"] == kpi)].dropna(subset=["value"])["year"]
    if len(years):
        changes["series_breaks"].append(
            {
                "kpi": kpi,
                "year": int(years.max()) + 1,
                "note": f"enheten ändrades från ”{old_unit}” till ”{new_unit}” (hämtning {datetime.now(UTC):%Y-%m-%d})",
            }
        )


def _group_changes(old, groups: list[dict]) -> list[dict]:
    """Peer groups whose members changed: who was added and who removed."""
    out = []
    old_groups = {gid: [m["member_id"] for m in g["members"]] for gid, g in old.groups.items()}
    for g in groups:
        was = old_groups.get(g["id"])
        now = [m["member_id"] for m in g["members"]]
        if was is not None and set(was) != set(now):
            names = {m["member_id"]: m["member_title"] for m in g["members"]}
            names.update({m["member_id"]: m["member_title"] for m in old.groups[g["id"]]["members"]})
            out.append(
                {
                    "group": g["id"],
                    "added": [{"id": i, "title": names[i]} for i in now if i not in was],
                    "removed": [{"id": i, "title": names[i]} for i in was if i not in now],
                }
            )
    return out


def _previous_rows(path: Path, kpis: set[str], munis: set[str]) -> list[dict]:
    """The previous snapshot's values for some KPIs (those Kolada no longer has)."""
    if not kpis or not path.exists():
        return []
    import csv

    out = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            if r["kpi"] in kpis and r["municipality"] in munis:
                out.append(
                    {
                        "kpi": r["kpi"],
                        "municipality": r["municipality"],
                        "year": int(r["year"]),
                        "gender": r["gender"],
                        "value": float(r["value"]) if r["value"] else None,
                        "status": r["status"],
                    }
                )
    return out


def fetch(repo: Path, year: int, base_url: str, client: Client | None = None, wait: bool = False) -> dict:
    """Fetch everything the plan needs for a report year into data/kolada/. Returns the changes.
    One run at a time (see followup.runs). Progress is logged (logger `followup.fetch`, level INFO)."""
    repo = Path(repo)
    with RunLock(repo, "Kolada fetch", wait):
        recover(repo)
        return _fetch(repo, year, base_url, client)


def _fetch(repo: Path, year: int, base_url: str, client: Client | None) -> dict:
    plan = load_plan(repo / "data" / "plan.yml")
    target = repo / "data" / "kolada"
    client = client or Client(base_url)
    kpi_ids = sorted({ind.id for _, ind in plan.indicators() if ind.is_kolada})
    first = min(year - TREND_YEARS + 1, plan.period_start)
    log.info("fetching %d KPIs, %d–%d, from %s", len(kpi_ids), first, year, client.base_url)

    groups = _peer_groups(client, plan.peer_group.id)
    members = [m["member_id"] for m in groups[0]["members"]]
    munis = list(dict.fromkeys([plan.municipality.id, plan.comparison.id, *members]))
    fetched = {k["id"]: k for k in client.kpis(kpi_ids)}
    present = [k for k in kpi_ids if k in fetched]
    municipalities = _municipality_list(client, munis)
    rows = _values(client, present, munis, list(range(first, year + 1)))
    warn_unknown_statuses(rows)
    removed = [k for k in kpi_ids if k not in fetched]
    rows += _previous_rows(target / "values.csv", set(removed), set(munis))  # an ended KPI keeps its history
    rows.sort(key=lambda r: (r["kpi"], r["municipality"], r["year"], r["gender"]))
    kpis = _with_removed(target, plan, fetched, removed)
    everyone = _all_municipality_values(client, present, municipalities, year)
    changes = compare(target, rows, kpis, groups)
    files = {
        "values.csv": csv_text([dict(r, value=_number(r["value"])) for r in rows], KOLADA_COLUMNS),
        ALL_FILE: csv_text(everyone, ALL_COLUMNS),
        "kpis.json": json_text([kpis[k] for k in sorted(kpis)]),
        "municipalities.json": json_text(sorted(municipalities, key=lambda m: m["id"])),
        "groups.json": json_text(groups),
        "changes.json": json_text(changes),
    }
    retrieved = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    extra = {
        "api": {"base_url": client.base_url, "version": "v3"},
        "report_year": year,
        "years": [first, year],
        "urls": client.urls,
    }
    _write_snapshot(target, files, retrieved, extra)
    log.info("snapshot written to %s/ (%d values, retrieved %s)", target.relative_to(repo), len(rows), retrieved)
    return changes


def _peer_groups(client: Client, group_id: str) -> list[dict]:
    groups = [g for g in client.groups([group_id]) if g.get("id") == group_id]
    if not groups:
        raise KoladaError(f"{client.base_url}: the peer group {group_id} was not found")
    return groups


def _municipality_list(client: Client, needed: list[str]) -> list[dict]:
    """Every municipality Kolada lists (id, title, type); the plan's places and the peers must be among them."""
    listing = client.municipality_list()
    missing = sorted(set(needed) - {m.get("id") for m in listing})
    if missing:
        raise KoladaError(f"{client.base_url}: municipalities not found: {', '.join(missing)}")
    return listing


def _unique(rows: list[dict], base_url: str) -> list[dict]:
    """The rows, refused if a (kpi, municipality, year, gender) came twice."""
    seen = set()
    for row in rows:
        key = (row["kpi"], row["municipality"], row["year"], row["gender"])
        if key in seen:
            raise KoladaError(f"{base_url}: the value for {', '.join(map(str, key))} came twice")
        seen.add(key)
    return rows


def _values(client: Client, kpis: list[str], munis: list[str], years: list[int]) -> list[dict]:
    """The values of the KPIs Kolada has, for Borlänge, Riket and the peers, every gender."""
    if not kpis:
        return []
    rows = _unique(client.data(kpis, munis, years), client.base_url)
    return [r for r in rows if r["municipality"] in munis and r["kpi"] in kpis]


def _all_municipality_values(client: Client, kpis: list[str], municipalities: list[dict], year: int) -> list[dict]:
    """Totals for every municipality of type K, the report year and the two before it, for the ranks among all
    municipalities: one request per 25 KPIs (the data path without a municipality part), 5 000 rows a page.
    Only values that are there, sorted by kpi, municipality, year."""
    kommuner = {m["id"] for m in municipalities if m.get("type") == "K"}
    if not kpis:
        return []
    years = [year - 2, year - 1, year]
    rows = [r for r in client.data(kpis, None, years) if r["gender"] == "T"]
    rows = _unique(rows, client.base_url)
    out = [
        {"kpi": r["kpi"], "municipality": r["municipality"], "year": r["year"], "value": _number(r["value"])}
        for r in rows
        if r["value"] is not None and r["municipality"] in kommuner and r["kpi"] in kpis and r["year"] in years
    ]
    out.sort(key=lambda r: (r["kpi"], r["municipality"], r["year"]))
    log.info(
        "  all municipalities: %d values, %d KPIs, %d municipalities of type K, %d–%d",
        len(out),
        len(kpis),
        len({r["municipality"] for r in out}),
        years[0],
        years[-1],
    )
    return out


def warn_unknown_statuses(rows: list[dict]) -> None:
    """A warning, one line per status, for every status Kolada gave that followup.statuses does not know: it
    is kept in values.csv as given, and the report words it by statuses.swedish. (A null value that came
    without a status has the client's Swedish NO_REASON: nothing to warn about.)"""
    counts = Counter(r["status"] for r in rows if not statuses.is_known(r["status"]) and r["status"] != NO_REASON)
    for status, n in sorted(counts.items()):
        log.warning(
            "  unknown Kolada status %r in %d cells: kept in values.csv, shown in the report as %r",
            status,
            n,
            statuses.swedish(status),
        )


def _with_removed(target: Path, plan, fetched: dict[str, dict], removed: list[str]) -> dict[str, dict]:
    """The KPIs' metadata as fetched, and the KPIs Kolada no longer has recorded as such, with the title
    they had."""
    previous = {}
    if (target / "kpis.json").exists():
        previous = {k["id"]: k for k in json.loads((target / "kpis.json").read_text(encoding="utf-8"))}
    titles = {ind.id: ind.title for _, ind in plan.indicators()}
    kpis = dict(fetched)
    for k in removed:
        kpis[k] = {"id": k, "title": previous.get(k, {}).get("title", titles[k]), REMOVED: True}
        log.info("  KPI %s is no longer in Kolada: recorded as ended", k)
    return kpis


def _write_snapshot(target: Path, files: dict[str, str], retrieved: str, extra: dict) -> None:
    """Write the snapshot beside target, check that it reads back, and only then put it in target's place."""
    stage = swap.staging_dir(target)
    try:
        write_part(stage / "kolada", files, "kolada", retrieved, extra=extra)
        load_dataset(stage, parts=("kolada",))  # what was written must read back
        swap.replace_dir(stage / "kolada", target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def summary(changes: dict) -> list[str]:
    """Lines for the terminal: what changed since the previous snapshot."""
    if changes.get("previous_unreadable"):
        return [f"the previous snapshot could not be read, so nothing was compared: {changes['previous_unreadable']}"]
    if changes["previous_retrieved"] is None:
        return ["no previous snapshot to compare with"]
    parts = [
        f"{len(changes['revised_values'])} revised values",
        f"{len(changes['renamed_kpis'])} renamed KPIs",
        f"{len(changes['removed_kpis'])} KPIs no longer in Kolada",
        f"{len(changes['group_changes'])} peer groups with other members",
    ]
    if not any(changes[k] for k in ("revised_values", "renamed_kpis", "removed_kpis", "group_changes")):
        return [f"no changes since the snapshot of {changes['previous_retrieved']}"]
    return [f"changes since the snapshot of {changes['previous_retrieved']}: " + ", ".join(parts)]
